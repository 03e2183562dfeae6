"""The non-speech reader and the harder long-form set, on planted folders and clips."""

import json

import numpy as np
import pytest
import soundfile as sf

from audiosqueeze.datasets import Utterance
from audiosqueeze.datasets.nonspeech import CATEGORIES, from_nonspeech, nonspeech_folder
from audiosqueeze.errors import AudioFileNotFoundError, ManifestError, OptionsError
from conftest import tone

#: A planted level per category, so every stretch can be traced back to its category.
LEVEL = {"stationary_noise": 0.02, "environmental": 0.03, "music": 0.2, "near_silence": 0.001}


def _nonspeech_folder(root, per_category=3, seconds=1.0):
    """``root/nonspeech`` with clips of constant value ``LEVEL[category] * (1 + j / 10)``."""
    folder = root / "nonspeech"
    rows = []
    for cat in CATEGORIES:
        (folder / cat).mkdir(parents=True)
        for j in range(per_category):
            uid = f"{cat}-{j}"
            x = np.full(int(16000 * seconds), LEVEL[cat] * (1 + j / 10), np.float32)
            sf.write(folder / cat / f"{uid}.wav", x, 16000, subtype="FLOAT")
            split = "dev" if j % 2 == 0 else "test"
            rows.append({"id": uid, "path": f"{cat}/{uid}.wav", "duration_s": seconds,
                         "category": cat, "text": "", "dataset": "nonspeech",
                         "split": split})  # fmt: skip
    (folder / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def test_reader_takes_the_manifest_halves_and_categories(tmp_path):
    folder = _nonspeech_folder(tmp_path)
    both = from_nonspeech(tmp_path)
    dev, test = from_nonspeech(tmp_path, "dev"), from_nonspeech(tmp_path, "test")
    assert len(both) == 12 and len(dev) == 8 and len(test) == 4
    assert {u.id for u in dev} | {u.id for u in test} == {u.id for u in both}
    assert all(u.text == "" and u.dataset == "nonspeech" and u.subset == "dev" for u in dev)
    assert [u.category for u in test] == [
        "stationary_noise",
        "environmental",
        "music",
        "near_silence",
    ]
    music = from_nonspeech(tmp_path, "dev", ("music",))
    assert [u.id for u in music] == ["music-0", "music-2"]
    assert np.allclose(music[1].load(), 0.2 * 1.2)
    assert nonspeech_folder(folder) == folder  # the folder itself works too


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"split": "train"}, OptionsError, "'train'"),
        ({"categories": ("speech",)}, OptionsError, "'speech'"),
    ],
)
def test_reader_rejects_bad_options(tmp_path, kwargs, error, match):
    _nonspeech_folder(tmp_path)
    with pytest.raises(error, match=match):
        from_nonspeech(tmp_path, **kwargs)


def test_reader_rejects_bad_folders_and_rows(tmp_path):
    with pytest.raises(AudioFileNotFoundError, match="nonspeech/manifest.jsonl"):
        from_nonspeech(tmp_path)
    folder = _nonspeech_folder(tmp_path)
    lines = (folder / "manifest.jsonl").read_text().splitlines()
    bad = json.loads(lines[0]) | {"text": "hello"}
    (folder / "manifest.jsonl").write_text("\n".join([json.dumps(bad), *lines[1:]]))
    with pytest.raises(ManifestError, match="non-empty reference 'hello'"):
        from_nonspeech(tmp_path)
    for second, match in [
        ("{not json", "line 2 is not JSON"),
        ("[1, 2]", "line 2 is not a JSON object"),
        (json.dumps(json.loads(lines[1]) | {"path": 7}), "line 2: field 'path' must be a string"),
        (json.dumps(json.loads(lines[1]) | {"duration_s": "x"}), "'duration_s' must be a number"),
    ]:
        (folder / "manifest.jsonl").write_text(lines[0] + "\n" + second + "\n")
        with pytest.raises(ManifestError, match=match):
            from_nonspeech(tmp_path)
    (folder / "manifest.jsonl").write_bytes(lines[0].encode() + b"\n\xff\xfe\n")
    with pytest.raises(ManifestError, match="not UTF-8"):
        from_nonspeech(tmp_path)
    for first in (b"\xff\xfe\n", b"[1]\n", b"{broken\n"):  # not the non-speech set at all
        (folder / "manifest.jsonl").write_bytes(first + lines[1].encode())
        with pytest.raises(AudioFileNotFoundError, match="no non-speech set"):
            from_nonspeech(tmp_path)


def test_real_nonspeech_set(shared_data):
    if not (shared_data / "nonspeech" / "manifest.jsonl").is_file():
        pytest.skip("no nonspeech/ in the data folder")
    dev, test = from_nonspeech(shared_data, "dev"), from_nonspeech(shared_data, "test")
    assert (len(dev), len(test)) == (105, 94)
    assert {u.category for u in dev} == {u.category for u in test} == set(CATEGORIES)
    assert not {u.id for u in dev} & {u.id for u in test}
    assert all(u.text == "" and u.path.is_file() for u in dev + test)


def _utts(n=12):
    out = []
    for i in range(n):
        x = tone(2.0 + i % 3, freq=150 + 10 * i)
        out.append(Utterance(f"u{i}", f"Utterance number {i}, Mr. X.", "librispeech", "test-other",
                             duration_s=len(x) / 16000, samples=x))  # fmt: skip
    return out


@pytest.fixture(scope="module")
def nonspeech(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    _nonspeech_folder(root, per_category=4, seconds=6.0)
    return from_nonspeech(root, "test")


def test_hard_longform_plants_long_stretches_where_it_says(nonspeech):
    pytest.importorskip("whisper_normalizer", reason="reference word counts use the normaliser")
    from audiosqueeze.datasets.longform import (
        _FADE,
        HARD_KINDS,
        HARD_MAX_DBFS,
        describe,
        make_hard_longform,
    )
    from audiosqueeze.evaluate import normalize

    utts = {u.id: u for u in _utts()}
    recs = make_hard_longform(list(utts.values()), nonspeech, count=3, seed=1, per_recording=(2, 4))
    again = make_hard_longform(
        list(utts.values()), nonspeech, count=3, seed=1, per_recording=(2, 4)
    )
    assert describe(recs) == describe(again)
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(recs, again, strict=True))
    parts = [p for r in recs for p in r.parts]
    assert len(parts) == len(set(parts))  # no clip used twice
    cap = 10 ** (HARD_MAX_DBFS / 20)
    for r in recs:
        assert r.dataset == "longform-hard" and r.subset == "test" and 2 <= len(r.parts) <= 4
        gaps = r.gaps
        assert len(gaps) == len(r.parts) + 1 and gaps[0].start == 0
        assert gaps[-1].end == len(r.samples) and gaps[-1].kind == "silence"
        assert all(g.kind in ("environmental", "music", "noise") for g in gaps[1:-1])
        words = 0
        for k, g in enumerate(gaps):
            assert 10.0 <= (g.end - g.start) / 16000 <= 60.0
            body = r.samples[g.start + _FADE : g.end - _FADE]
            cat = HARD_KINDS[g.kind]
            assert g.sources and all(s.startswith(cat) for s in g.sources)
            # planted constants: the stretch holds only its category's clips, capped in level
            level = np.sqrt(np.mean(body.astype(np.float64) ** 2))
            assert level <= cap * 1.001 and np.max(np.abs(body)) <= LEVEL[cat] * 1.31
            assert g.word_index == words
            if k < len(r.parts):
                x = utts[r.parts[k]].samples
                seg = r.samples[g.end : g.end + len(x)]
                assert np.array_equal(seg[_FADE:-_FADE], x[_FADE:-_FADE])
                assert gaps[k + 1].start == g.end + len(x)
                words += len(normalize(utts[r.parts[k]].text).split())
        assert words == len(r.reference.split())
    music = [g for r in recs for g in r.gaps if g.kind == "music"]
    assert music, "seed 1 plants music"  # music is louder than the cap: turned down to it
    r = next(r for r in recs if music[0] in r.gaps)
    body = r.samples[music[0].start + _FADE : music[0].end - _FADE]
    assert np.sqrt(np.mean(body.astype(np.float64) ** 2)) == pytest.approx(cap, rel=0.05)


def test_hard_longform_needs_enough_material(nonspeech):
    from audiosqueeze.datasets.longform import make_hard_longform

    with pytest.raises(ValueError, match=">= 36 utterances"):
        make_hard_longform(_utts(12), nonspeech, count=6)
    with pytest.raises(ValueError, match="every category"):
        make_hard_longform(_utts(12), [u for u in nonspeech if u.category != "music"], count=2)
