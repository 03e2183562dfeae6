"""Dataset readers on planted folders, and the fixed splits on the real data."""

import json
import os
import re
import sys
import types

import numpy as np
import pytest
import soundfile as sf

from audiosqueeze.datasets import (
    SPLITS,
    data_root,
    from_commonvoice,
    from_huggingface,
    from_librispeech,
    from_manifest,
    split_utterances,
)
from audiosqueeze.errors import AudioFileNotFoundError, OptionsError


def _flac(path, seconds=0.5):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(int(16000 * seconds), np.float32), 16000)


def test_manifest_reader_filters_subsets(tmp_path):
    _flac(tmp_path / "a.flac")
    rows = [
        {
            "id": "a",
            "path": "a.flac",
            "text": "hi",
            "dataset": "librispeech",
            "split": "test-other",
            "duration_s": 0.5,
        },
        {
            "id": "b",
            "path": "b.flac",
            "text": "yo",
            "dataset": "commonvoice",
            "split": "cv-valid-dev",
        },
    ]
    (tmp_path / "manifest.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    us = from_manifest(tmp_path)
    assert [u.id for u in us] == ["a", "b"]
    assert [u.id for u in from_manifest(tmp_path, ("test-other",))] == ["a"]
    assert us[0].path == tmp_path / "a.flac" and us[0].load().shape == (8000,)
    with pytest.raises(AudioFileNotFoundError, match="manifest.jsonl"):
        from_manifest(tmp_path / "nowhere")


def test_librispeech_standard_layout(tmp_path):
    root = tmp_path / "LibriSpeech"
    chapter = root / "test-clean" / "61" / "70968"
    _flac(chapter / "61-70968-0001.flac")
    _flac(chapter / "61-70968-0000.flac")
    (chapter / "61-70968.trans.txt").write_text(
        "61-70968-0000 HE BEGAN A CONFUSED COMPLAINT\n61-70968-0001 GIVE NOT SO EARNEST A MIND\n"
        "61-70968-0002 THIS ONE HAS NO AUDIO\n"
    )
    us = from_librispeech(root)
    assert [(u.id, u.subset, u.text.split()[0]) for u in us] == [
        ("61-70968-0000", "test-clean", "HE"),
        ("61-70968-0001", "test-clean", "GIVE"),
    ]


def test_commonvoice_tsv_and_clips(tmp_path):
    _flac(tmp_path / "clips" / "common_voice_en_1.flac")
    (tmp_path / "test.tsv").write_text(
        'client_id\tpath\tsentence\nx\tcommon_voice_en_1.flac\t"Quoted", he said.\n'
        "x\tmissing.flac\tGone.\n"
    )
    us = from_commonvoice(tmp_path, "test")
    assert [(u.id, u.text, u.subset) for u in us] == [
        ("common_voice_en_1", '"Quoted", he said.', "test")
    ]
    with pytest.raises(AudioFileNotFoundError, match="dev.tsv"):
        from_commonvoice(tmp_path, "dev")


def test_huggingface_adapter_with_a_fake_datasets_module(monkeypatch):
    rows = [
        {
            "id": "u1",
            "sentence": "hello",
            "audio": {"array": np.zeros(8000), "sampling_rate": 8000, "path": None},
        }
    ]
    calls = []

    def load_dataset(name, config, split):
        calls.append((name, config, split, os.environ.get("HF_HUB_OFFLINE")))
        return rows

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    us = list(from_huggingface("someone/cv", "test"))
    assert calls == [("someone/cv", None, "test", "1")]  # offline unless the user allows
    assert us[0].id == "u1" and us[0].text == "hello" and us[0].load().shape == (16000,)


def test_data_root_needs_a_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("AUDIOSQUEEZE_DATA", raising=False)
    with pytest.raises(OptionsError, match="AUDIOSQUEEZE_DATA"):
        data_root(None)
    with pytest.raises(AudioFileNotFoundError, match="nope"):
        data_root(tmp_path / "nope")
    monkeypatch.setenv("AUDIOSQUEEZE_DATA", str(tmp_path))
    assert data_root(None) == tmp_path


def test_unknown_split_or_dataset(tmp_path):
    with pytest.raises(OptionsError, match="'train'"):
        split_utterances(tmp_path, "train", "librispeech")
    with pytest.raises(OptionsError, match="'tedlium'"):
        split_utterances(tmp_path, "test", "tedlium")


def test_real_splits_are_fixed_and_disjoint(shared_data):
    test_ls = split_utterances(shared_data, "test", "librispeech")
    test_cv = split_utterances(shared_data, "test", "commonvoice")
    dev_ls = split_utterances(shared_data, "dev", "librispeech")
    dev_cv = split_utterances(shared_data, "dev", "commonvoice")
    assert {u.subset for u in test_ls} == set(SPLITS["test"]["librispeech"])
    assert {u.subset for u in test_cv} == set(SPLITS["test"]["commonvoice"])
    assert (len(test_ls), len(test_cv)) == (105, 154)
    test_ids = {u.id for u in test_ls + test_cv}
    assert not test_ids & {u.id for u in dev_ls + dev_cv}
    assert all(u.path.is_file() and u.text for u in test_ls[:5] + test_cv[:5])


def test_sample_split_is_a_seeded_draw_per_dataset(tmp_path):
    from audiosqueeze.datasets import sample_split

    rows = [
        {"id": f"{ds[:2]}{i}", "path": "x.flac", "text": "t", "dataset": ds, "split": sub}
        for ds, sub in (("librispeech", "train-clean-5"), ("commonvoice", "cv-valid-dev"))
        for i in range(20)
    ]
    (tmp_path / "manifest.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    a = [u.id for u in sample_split(tmp_path, "dev", 5, seed=9)]
    assert a == [u.id for u in sample_split(tmp_path, "dev", 5, seed=9)]  # the same draw
    assert [x[:2] for x in a] == ["li"] * 5 + ["co"] * 5
    assert a != [u.id for u in sample_split(tmp_path, "dev", 5, seed=10)]
    assert a[:5] != [f"li{i}" for i in range(5)]  # shuffled, not the manifest's first five
    bigger = [u.id for u in sample_split(tmp_path, "dev", 8, seed=9)]
    assert bigger[:5] == a[:5]  # a larger draw extends the smaller one


_GOOD = (
    '{"id": "a", "path": "a.flac", "text": "hi", "dataset": "librispeech", "split": "test-other"}'
)


@pytest.mark.parametrize(
    ("line", "quote"),
    [
        ("garbage", "line 2 is not JSON"),
        ("[1, 2]", "line 2 is not a JSON object"),
        (_GOOD.replace('"text": "hi", ', ""), "line 2: field 'text' must be a string, got nothing"),
        (_GOOD.replace('"a.flac"', "7"), "line 2: field 'path' must be a string, got 7"),
        (_GOOD.replace('"id": "a"', '"id": ["a"]'), "field 'id' must be a string, got ['a']"),
        (_GOOD[:-1] + ', "duration_s": "2.5"}', "field 'duration_s' must be a number, got '2.5'"),
    ],
)
def test_a_bad_data_manifest_row_is_named_by_its_line(tmp_path, capsys, line, quote):
    # before: JSONDecodeError / KeyError / TypeError: `bench --data` said "internal error", 70
    from audiosqueeze.cli import main
    from audiosqueeze.errors import ManifestError

    (tmp_path / "manifest.jsonl").write_text(_GOOD + "\n" + line + "\n")
    with pytest.raises(ManifestError, match=re.escape(quote)):
        split_utterances(tmp_path, "test", "librispeech")
    args = ["bench", "--data", str(tmp_path), "--datasets", "librispeech", "--jobs", "2"]
    assert main([*args, "--out", str(tmp_path / "out"), "--no-report"]) == 1  # no model loaded
    err = capsys.readouterr().err
    assert quote in err and "manifest.jsonl" in err and "internal" not in err


def test_a_data_manifest_that_is_not_utf8_is_a_manifest_error(tmp_path):
    from audiosqueeze.errors import ManifestError

    (tmp_path / "manifest.jsonl").write_bytes(b"\xff\xfe{}\n")
    with pytest.raises(ManifestError, match="not UTF-8"):
        from_manifest(tmp_path)
