"""Corpus jobs with planted answers: option bounds, output names, segment bounds, records a
rerun may trust, and manifests that point at the right file. Short synthetic clips and the
energy VAD, so the whole file runs in a few seconds."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import audiosqueeze as sq
from audiosqueeze.corpus import BadItem, CorpusOptions, Item, ManifestError, read_input
from audiosqueeze.corpus.work import json_line, process, safe_name, sha256_file, stats_hold
from conftest import silence, tone

OPTIONS = CorpusOptions(rate=0.5, vad="energy")


def _clip(path: Path, extra: int = 0) -> Path:
    """1.5 s: tone, pause, tone (24000 samples), plus ``extra`` samples of tone."""
    x = np.concatenate([tone(0.5), silence(0.6), tone(0.4, 330), tone(extra / 16000)])
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x, 16000, subtype="PCM_16")
    return path


def _process(item: Item, out: Path) -> dict:
    """``item``'s record, its outputs written under ``out`` (folders made as the job makes them)."""
    for sub in ("audio", "timemaps"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    return process(item, "a", str(out), OPTIONS)


# -- options -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw",
    [
        {"rate": 0.0},
        {"rate": 1.0},
        {"target_reduction": 0.0},
        {"target_reduction": 0.3},
        {"target_reduction": 0.99},
        {"num_threads": 1},
        {"num_threads": 256},
    ],
)
def test_options_at_their_bounds_are_accepted(kw):
    assert all(getattr(CorpusOptions(**kw), k) == v for k, v in kw.items())


@pytest.mark.parametrize(
    "kw",
    [
        {"rate": -0.01},
        {"rate": 1.01},
        {"rate": 1.5},
        {"target_reduction": -0.1},
        {"target_reduction": 1.0},  # removing everything is no compression
        {"target_reduction": 1.5},
        {"num_threads": 0},
        {"num_threads": 257},
    ],
)
def test_options_past_their_bounds_are_refused(kw):
    (name, value), *_ = kw.items()
    with pytest.raises(sq.OptionsError, match=name):
        CorpusOptions(**kw)


@pytest.mark.parametrize(
    ("obj", "field"),
    [(OPTIONS, "rate"), (Item("k", "s"), "source"), (BadItem("k", "e"), "error")],
)
def test_options_and_items_cannot_change_after_they_are_checked(obj, field):
    # a mutable CorpusOptions could take rate=5 after validation, and its digest would change
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, field, 5)


def test_digest_ignores_threads_only():
    base = CorpusOptions(rate=0.5, vad="energy", num_threads=1)
    assert CorpusOptions(rate=0.5, vad="energy", num_threads=8).digest() == base.digest()
    for other in ({"rate": 0.6}, {"audio_format": "wav"}, {"target_reduction": 0.3}):
        assert dataclasses.replace(base, **other).digest() != base.digest(), other


# -- names and hashes --------------------------------------------------------------------------
def test_a_name_at_the_limit_is_kept_and_a_longer_one_is_cut_and_told_apart():
    assert safe_name("a" * 120) == "a" * 120
    long_a, long_b = "a" * 200 + "x", "a" * 200 + "y"  # equal in their first 200 characters
    name_a, name_b = safe_name(long_a), safe_name(long_b)
    assert name_a != name_b and name_a.startswith("a" * 120)
    assert len(f"{name_a}.timemap.json".encode()) < 255  # one file name on any file system
    assert safe_name(long_a) == name_a  # the same key, the same file on a rerun


def test_sha256_of_a_folder_is_the_librarys_error(tmp_path):
    # a folder (or a FIFO, whose open() would block) is refused before it is opened
    with pytest.raises(sq.DecodeError, match="not a regular file"):
        sha256_file(tmp_path)
    with pytest.raises(sq.AudioFileNotFoundError):
        sha256_file(tmp_path / "nope.wav")


def test_sha256_is_of_the_whole_file(tmp_path):
    import hashlib

    data = bytes(range(256)) * 9000  # more than one 1 MiB block
    (tmp_path / "f").write_bytes(data)
    assert sha256_file(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_json_line_is_utf8_where_it_can_be():
    assert json_line({"text": "café"}) == '{"text": "café"}'
    odd = "caf\udce9"  # os.fsdecode of a Latin-1 name
    assert json.loads(json_line({"p": odd})) == {"p": odd}


# -- one item ----------------------------------------------------------------------------------
def test_a_whole_file_is_streamed_not_loaded(tmp_path, monkeypatch):
    src = _clip(tmp_path / "a.wav")

    def no_load(*a, **kw):
        raise AssertionError("a whole file must not be loaded into memory")

    monkeypatch.setattr(sq, "load", no_load)
    r = _process(Item("a", str(src)), tmp_path / "out")
    assert r["status"] == "ok", r.get("error")
    assert r["stats"]["input_s"] == 1.5


@pytest.mark.parametrize(("offset", "duration"), [(0.0, 0.8), (0.5, 1.0), (0.5, 1.005)])
def test_a_segment_is_cut_from_its_offset_for_its_duration(tmp_path, offset, duration):
    # offset 0 with a duration is a segment too, not the whole file; 5 ms past the end is
    # the tolerance for a duration rounded in a manifest
    src = _clip(tmp_path / "a.wav")
    r = _process(Item("a", str(src), offset, duration), tmp_path / "out")
    assert r["status"] == "ok", r.get("error")
    tm = sq.TimeMap.from_json((tmp_path / "out" / r["timemap"]).read_text())
    want = min(sq.to_samples(offset + duration), 24000) - sq.to_samples(offset)
    assert tm.original_samples == want
    assert r["stats"]["input_s"] == want / 16000


@pytest.mark.parametrize(
    ("offset", "duration", "shown"),
    [(0.5, 1.1, "[0.5, 1.6]"), (1.5, 0.005, "[1.5, 1.505]"), (2.0, 1.0, "[2.0, 3.0]")],
)
def test_a_segment_outside_the_recording_is_one_clear_failure(tmp_path, offset, duration, shown):
    src = _clip(tmp_path / "a.wav")
    r = _process(Item("a", str(src), offset, duration), tmp_path / "out")
    assert r["status"] == "failed"
    assert f"segment {shown} s lies outside the recording (1.500 s)" in r["error"]
    assert not list((tmp_path / "out").rglob("a.*"))


def test_seconds_is_the_time_the_item_took(tmp_path):
    import time

    src = _clip(tmp_path / "a.wav")
    t0 = time.perf_counter()
    r = _process(Item("a", str(src)), tmp_path / "out")
    took = time.perf_counter() - t0
    assert 0 < r["seconds"] <= took + 1e-4


# -- records a rerun may trust -----------------------------------------------------------------
@pytest.fixture
def done(tmp_path):
    """A finished record of a clip whose length is no whole number of milliseconds."""
    src = _clip(tmp_path / "a.wav", extra=1)  # 24001 samples: 1.5000625 s
    record = _process(Item("a", str(src)), tmp_path / "out")
    assert record["status"] == "ok"
    return record, tmp_path / "out" / record["timemap"]


def test_a_record_of_an_odd_length_holds(done):
    record, timemap = done
    assert record["stats"]["input_s"] == round(24001 / 16000, 6)
    assert stats_hold(record, timemap)


@pytest.mark.parametrize("stats", [None, [], "ok", 1.5])
def test_a_record_without_stats_does_not_hold(done, stats):
    record, timemap = done
    assert not stats_hold({**record, "stats": stats}, timemap)
    assert not stats_hold({k: v for k, v in record.items() if k != "stats"}, timemap)


# -- inputs ------------------------------------------------------------------------------------
def _manifest(tmp_path: Path, rows: list, name: str = "m.jsonl") -> list:
    """The items ``read_input`` makes of ``rows`` (dicts as JSON, strings as they are)."""
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress("\n".join(lines).encode()))
    else:
        path.write_text("\n".join(lines) + "\n")
    return read_input(path)


def test_one_audio_file_is_one_item(tmp_path):
    src = _clip(tmp_path / "a.wav")
    assert read_input(src) == ([Item("a", str(src.resolve()))], "file")


def test_a_recursive_glob_keys_files_by_their_path_below_the_common_folder(tmp_path):
    _clip(tmp_path / "in" / "a.wav")
    _clip(tmp_path / "in" / "sub" / "b.wav")
    (tmp_path / "in" / "notes.txt").write_text("x")
    items, kind = read_input(f"{tmp_path}/in/**/*.wav")
    assert kind == "glob"
    assert [(it.key, it.source) for it in items] == [
        ("a", str(tmp_path / "in" / "a.wav")),
        ("sub/b", str(tmp_path / "in" / "sub" / "b.wav")),
    ]


def test_a_folder_keys_same_stems_by_their_suffix(tmp_path):
    _clip(tmp_path / "in" / "a.wav")
    _clip(tmp_path / "in" / "a.flac")
    _clip(tmp_path / "in" / "b.WAV")
    items, kind = read_input(tmp_path / "in")
    assert kind == "folder"
    assert sorted((it.key, Path(it.source).name) for it in items) == [
        ("a.flac", "a.flac"),
        ("a.wav", "a.wav"),
        ("b", "b.WAV"),
    ]


@pytest.mark.parametrize(
    ("spec", "error", "match"),
    [
        ("{}/*.nothing", ManifestError, "matched no files"),
        ("{}/sub*", ManifestError, "matched no files"),  # only a folder matches
        ("{}/gone.wav", sq.AudioFileNotFoundError, "no such file, folder or pattern"),
    ],
)
def test_an_input_with_nothing_to_read_is_one_clear_error(tmp_path, spec, error, match):
    (tmp_path / "subdir").mkdir()
    with pytest.raises(error, match=match):
        read_input(spec.format(tmp_path))


@pytest.mark.parametrize(
    ("data", "match"),
    [(b"[1]\n2\n\n", "holds no JSON object lines"), (b"\xff\xfe{}\n", "cannot read")],
)
def test_a_manifest_that_cannot_be_read_at_all_is_one_clear_error(tmp_path, data, match):
    (tmp_path / "m.jsonl").write_bytes(data)
    with pytest.raises(ManifestError, match=match):
        read_input(tmp_path / "m.jsonl")


def _bad(items, n: int = 1) -> str:
    """The error of the ``n``-th item, which must be a failure."""
    assert isinstance(items[n], BadItem), items[n]
    return items[n].error


FIRST = {"audio_filepath": "a.wav", "duration": 1.0}


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ([1, 2], "line 2: expected a JSON object, got list"),
        ({"audio_filepath": 5}, "'audio_filepath' must be a non-empty string, got 5"),
        ({"audio_filepath": " "}, "'audio_filepath' must be a non-empty string"),
        ({"audio_filepath": "a\x00.wav"}, "'audio_filepath' must be a non-empty string"),
        ({"text": "x"}, "'audio_filepath' must be a non-empty string, got nothing"),
        ({**FIRST, "offset": True}, "'offset' must be a number of seconds, got True"),
        ({**FIRST, "offset": "1.5"}, "'offset' must be a number of seconds, got '1.5'"),
        ({**FIRST, "offset": -1}, r"'offset' must be in \[0, 1e\+07\] s, got -1"),
        ({**FIRST, "offset": float("nan")}, "'offset' must be in"),
        ({**FIRST, "offset": 1e7 + 1}, "'offset' must be in"),
        ({**FIRST, "offset": 1.0, "duration": 0}, "needs a positive 'duration', got 0"),
        ({"audio_filepath": "a.wav", "offset": 1.0}, "needs a positive 'duration', got None"),
        ({**FIRST, "text": 3}, "'text' must be a string, got 3"),
        ({"audio_filepath": "~no_such_user_x/a.wav"}, "unusable path"),
        ("{broken", "line 2: not valid JSON"),
        ("x" * (1 << 20), "longer than"),
    ],
)
def test_a_bad_nemo_line_is_a_failure_that_says_why(tmp_path, row, match):
    items, kind = _manifest(tmp_path, [FIRST, row])
    assert kind == "nemo" and isinstance(items[0], Item)
    assert re.search(match, _bad(items))
    assert items[1].key == "m.jsonl:2" and _bad(items).startswith("m.jsonl line 2: ")


def test_nemo_lines_become_whole_files_or_segments(tmp_path):
    rows = [
        {"audio_filepath": "a.wav", "text": "no duration needed"},
        {"audio_filepath": "a.wav", "duration": 1e7, "offset": 0.5, "text": "s", "lang": "en"},
        {"audio_filepath": "b.wav", "duration": 2.0, "offset": 0, "id": "mine"},
        {"audio_filepath": "b.wav", "duration": 0.5, "offset": 1.5},  # keyed by milliseconds
    ]
    items, _ = _manifest(tmp_path, rows)
    a, b = str(tmp_path / "a.wav"), str(tmp_path / "b.wav")
    assert [(it.key, it.source, it.offset_s, it.duration_s) for it in items] == [
        ("a", a, 0.0, None),
        ("a-500", a, 0.5, 1e7),
        ("mine-0", b, 0.0, 2.0),
        ("b-1500", b, 1.5, 0.5),
    ]
    assert items[0].whole and not items[2].whole
    assert items[1].meta == {"text": "s", "lang": "en"}


def test_our_manifest_paths_are_relative_to_its_folder_then_to_the_working_one(
    tmp_path, monkeypatch
):
    (tmp_path / "data").mkdir()
    _clip(tmp_path / "data" / "both.wav")
    _clip(tmp_path / "cwd" / "both.wav")
    _clip(tmp_path / "cwd" / "here.wav")
    monkeypatch.chdir(tmp_path / "cwd")
    rows = [{"path": p, "id": p} for p in ("both.wav", "here.wav", "gone.wav")]
    rows.append({"path": str(tmp_path / "cwd" / "both.wav"), "id": "abs"})
    rows.append({"path": "both.wav"})  # no id: the path is the key, so a repeat
    items, kind = _manifest(tmp_path / "data", rows)
    assert kind == "ours"
    assert [it.source for it in items[:4]] == [
        str(tmp_path / "data" / "both.wav"),  # beside the manifest first
        str(tmp_path / "cwd" / "here.wav"),  # else where lhotse looks: the working folder
        str(tmp_path / "data" / "gone.wav"),  # nowhere: named beside the manifest
        str(tmp_path / "cwd" / "both.wav"),
    ]
    assert items[4].key == "both.wav#dup" and "duplicate id 'both.wav'" in items[4].error


def test_a_lhotse_recording_set_is_read_as_whole_files(tmp_path):
    source = {"type": "file", "channels": [0], "source": "a.wav"}
    rows = [{"id": "r1", "sources": [source], "duration": 1.5, "sampling_rate": 16000}]
    rows.append({"id": "r2", "sources": [source, source]})
    rows.append({"id": "r3", "sources": [{**source, "type": "url"}]})
    items, kind = _manifest(tmp_path, rows, "recs.jsonl.gz")
    assert kind == "lhotse-recordings"
    assert (items[0].key, items[0].source, items[0].whole) == ("r1", str(tmp_path / "a.wav"), True)
    assert items[0].meta == {"recording_id": "r1", "duration": 1.5, "sampling_rate": 16000}
    assert "2 sources" in _bad(items, 1) and "'url' is not supported" in _bad(items, 2)


def _cut(rid: str = "r", start=0.0, duration=1.5, rec_duration=1.5, sups=None) -> dict:
    rec = {"id": rid, "sources": [{"type": "file", "source": "a.wav"}]}
    if rec_duration is not None:
        rec["duration"] = rec_duration
    cut = {
        "id": f"c-{start}-{duration}-{rec_duration}",
        "start": start,
        "duration": duration,
        "recording": rec,
    }
    if sups is not None:
        cut["supervisions"] = sups
    return cut


def test_lhotse_cuts_are_whole_recordings_or_segments(tmp_path):
    sups = [{"start": 0.0, "duration": 1.0, "text": "hello"}, {"text": "world"}, {"x": 1}]
    rows = [
        _cut(sups=sups),  # the whole recording
        _cut(duration=1.5 - 0.0005),  # within a millisecond of it: still whole
        _cut(start=0.25, duration=1.0),
        _cut(duration=1.0),  # from 0, but shorter
        _cut(rec_duration=None),  # the recording's length unknown: a segment
        {**_cut(), "type": "MonoCut", "recording": None},
        {k: v for k, v in _cut(duration=1.5, rec_duration=1.5).items() if k != "start"}
        | {"id": "n"},
    ]
    items, kind = _manifest(tmp_path, rows)
    assert kind == "lhotse-cuts"
    spans = [(it.whole, it.offset_s, it.duration_s) for it in items[:5]]
    assert spans == [
        (True, 0.0, None),
        (True, 0.0, None),
        (False, 0.25, 1.0),
        (False, 0.0, 1.0),
        (False, 0.0, 1.5),
    ]
    assert items[0].meta == {"recording_id": "r", "text": "hello world", "supervisions": sups}
    assert "'recording' must be an object" in _bad(items, 5)
    assert items[6].whole  # no start: from 0


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"duration": 0}, "'duration' must be positive"),
        ({"duration": None}, "'duration' must be positive"),
        ({"start": -1}, "'start' must be in"),
        ({"supervisions": {"start": 0}}, "'supervisions' must be a list of objects"),
        ({"supervisions": [1]}, "'supervisions' must be a list of objects"),
        ({"supervisions": [{"start": "0"}]}, "supervision 'start' must be a number"),
        ({"supervisions": [{"duration": True}]}, "supervision 'duration' must be a number"),
        ({"supervisions": [{"start": float("inf")}]}, "supervision 'start'"),
        ({"supervisions": [{"duration": 1e7 + 1}]}, "supervision 'duration'"),
    ],
)
def test_a_bad_lhotse_cut_is_a_failure_that_says_why(tmp_path, change, match):
    items, _ = _manifest(tmp_path, [_cut(), {**_cut(), **change}])
    assert match in _bad(items)


def test_a_supervision_sticking_out_of_its_cut_is_kept(tmp_path):
    sups = [{"start": -0.5, "duration": 1e7, "text": "x"}]  # lhotse allows start < 0
    (item,), _ = _manifest(tmp_path, [_cut(sups=sups)])
    assert isinstance(item, Item) and item.meta["supervisions"] == sups


# -- outputs -----------------------------------------------------------------------------------
from audiosqueeze.corpus.manifests import (  # noqa: E402
    lhotse_cut,
    lhotse_recording,
    lhotse_supervisions,
    nemo_line,
    write_lhotse,
)

#: A time map of 1.5 s whose 0.5 s to 1.0 s were cut: 1.0 s is left.
CUT_MIDDLE = {"sample_rate": 16000, "original": [0, 8000, 16000, 24000],
              "compressed": [0, 8000, 8000, 16000]}  # fmt: skip


def _record(root: Path, meta: dict, key: str = "k") -> dict:
    """An ``ok`` record of 1.5 s compressed to 1.0 s by :data:`CUT_MIDDLE`."""
    (root / "timemaps").mkdir(parents=True, exist_ok=True)
    (root / "timemaps" / "k.timemap.json").write_text(json.dumps(CUT_MIDDLE))
    return {"key": key, "name": "k", "source": "/data/k.wav", "status": "ok", "meta": meta,
            "audio": "audio/k.flac", "timemap": "timemaps/k.timemap.json",
            "stats": {"input_s": 1.5, "output_s": 1.0}}  # fmt: skip


def test_a_nemo_line_points_at_the_compressed_file_and_keeps_the_rest(tmp_path):
    meta = {"text": "hi", "lang": "en", "duration": 99, "audio_filepath": "x", "supervisions": []}
    line = nemo_line(_record(tmp_path, meta), tmp_path)
    assert line == {
        "audio_filepath": str(tmp_path / "audio" / "k.flac"),
        "duration": 1.0,
        "text": "hi",
        "original_duration": 1.5,
        "original_audio_filepath": "/data/k.wav",
        "timemap_filepath": str(tmp_path / "timemaps" / "k.timemap.json"),
        "lang": "en",
    }
    assert nemo_line(_record(tmp_path, {"text": 7}), tmp_path)["text"] == "7"
    assert nemo_line(_record(tmp_path, {}), tmp_path)["text"] == ""


def test_lhotse_supervisions_move_onto_the_compressed_timeline(tmp_path):
    sups = [
        {"id": "s0", "start": 0.25, "duration": 1.0, "text": "a", "speaker": "x"},  # over the cut
        {"start": -0.2, "duration": 0.5},  # before the cut start: clipped at 0
        {"start": 1.2, "duration": 1.0},  # past the cut end: clipped at 1.5 s
        {"start": 0.6, "duration": 0.2},  # inside the removed part: nothing left
        {"duration": 1.25},  # no start: from the cut's start
        {"start": 1.25},  # no duration: none
    ]
    got = lhotse_supervisions(_record(tmp_path, {"supervisions": sups}), tmp_path)
    assert [(s["id"], s["start"], s["duration"]) for s in got] == [
        ("s0", 0.25, 0.5),
        ("k-1", 0.0, 0.3),
        ("k-2", 0.7, 0.3),
        ("k-3", 0.5, 0.0),
        ("k-4", 0.0, 0.75),
        ("k-5", 0.75, 0.0),
    ]
    assert all(s["recording_id"] == "k" and s["channel"] == 0 for s in got)
    assert (got[0]["text"], got[0]["speaker"]) == ("a", "x")
    assert lhotse_supervisions(_record(tmp_path, {}), tmp_path) == []


def test_a_lhotse_cut_covers_its_whole_compressed_recording(tmp_path):
    record = _record(tmp_path, {"recording_id": "orig", "text": "t"})
    record["stats"]["output_s"] = 1.00003  # not a whole sample: rounded to one
    rec = lhotse_recording(record, tmp_path)
    assert (rec["num_samples"], rec["duration"]) == (16000, 1.0)
    assert rec["sources"][0]["source"] == str(tmp_path / "audio" / "k.flac")
    cut = lhotse_cut(record, tmp_path)
    assert (cut["id"], cut["start"], cut["duration"], cut["recording"]) == ("k", 0.0, 1.0, rec)
    assert cut["custom"] == {
        "original_source": "/data/k.wav",
        "original_duration": 1.5,
        "original_recording_id": "orig",
        "text": "t",
        "timemap_filepath": str(tmp_path / "timemaps" / "k.timemap.json"),
        "timemap": CUT_MIDDLE,
    }


def test_lhotse_supervisions_are_written_only_where_there_are_any(tmp_path):
    plain = [_record(tmp_path, {}, "a")]
    assert [p.name for p in write_lhotse(tmp_path, plain, tmp_path)] == [
        "recordings.jsonl.gz",
        "cuts.jsonl.gz",
    ]
    with_sups = [*plain, _record(tmp_path, {"supervisions": [{"start": 0, "duration": 1}]}, "b")]
    paths = write_lhotse(tmp_path, with_sups, tmp_path)
    assert [p.name for p in paths][-1] == "supervisions.jsonl.gz"
    rows = [[json.loads(x) for x in gzip.decompress(p.read_bytes()).splitlines()] for p in paths]
    assert [r["id"] for r in rows[0]] == [r["id"] for r in rows[1]] == ["a", "b"]
    assert [(s["recording_id"], s["duration"]) for s in rows[2]] == [("b", 0.5)]
    assert not list(tmp_path.glob(".*.part"))


def test_a_lhotse_file_that_fails_mid_write_leaves_the_earlier_one(tmp_path):
    from audiosqueeze.corpus.manifests import _write_gz

    path = _write_gz(tmp_path / "cuts.jsonl.gz", [{"id": "a"}])
    with pytest.raises(TypeError):
        _write_gz(path, [{"id": "b"}, {"id": object()}])
    assert gzip.decompress(path.read_bytes()) == b'{"id": "a"}\n'
    assert not list(tmp_path.glob(".*.part"))


# -- the job -----------------------------------------------------------------------------------
from audiosqueeze.corpus import Summary, load_records, run_corpus  # noqa: E402
from audiosqueeze.corpus.run import _summarise  # noqa: E402


def test_summary_rates_and_hours():
    s = Summary(items=3, ok=2, failed=1, skipped=0, processed=4, input_s=7200.0, output_s=1800.0,
                tokens_saved={}, wall_s=2.0)  # fmt: skip
    d = s.to_dict()
    assert (s.files_per_s, d["files_per_s"], d["hours_in"], d["hours_out"]) == (2.0, 2.0, 2.0, 0.5)
    assert Summary(1, 1, 0, 0, 1, 1.0, 1.0, {}, wall_s=0.0).files_per_s == 0.0


def test_summarise_counts_tokens_saved_per_model():
    def ok(before, after, inp, out):
        stats = {"tokens_before": before, "tokens_after": after, "input_s": inp, "output_s": out}
        return {"key": "k", "status": "ok", "stats": stats}

    final = [
        ok({"m": 10, "n": 5}, {"m": 4, "n": 5}, 2.0, 1.0),
        ok({"m": 3}, {}, 1.0004, 0.5),  # a model the output lacks: nothing counted as saved
        {"key": "bad", "source": "/x.wav", "status": "failed", "error": "boom"},
        {"key": "p", "status": "pending"},
    ]
    s = _summarise(final, 1, 3, ["m.jsonl"], 0.0)
    assert s.tokens_saved == {"m": 6, "n": 0}
    assert (s.items, s.ok, s.failed, s.skipped, s.processed) == (4, 2, 2, 1, 3)
    assert (s.input_s, s.output_s) == (3.0, 1.5)
    assert s.failures == [
        {"key": "bad", "source": "/x.wav", "error": "boom"},
        {"key": "p", "source": None, "error": None},
    ]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"jobs": 0}, "jobs must be an integer >= 1, got 0"),
        ({"jobs": True}, "got True"),
        ({"jobs": 1.5}, "got 1.5"),
        ({"manifest_format": "kaldi"}, "manifest format must be one of .*'kaldi'"),
    ],
)
def test_a_bad_job_argument_is_refused_before_any_work(tmp_path, kw, match):
    _clip(tmp_path / "a.wav")
    with pytest.raises(sq.OptionsError, match=match):
        run_corpus(tmp_path / "a.wav", tmp_path / "out", OPTIONS, **kw)
    assert not (tmp_path / "out").exists()


def test_keys_whose_file_names_clash_get_their_own_files_and_rows(tmp_path):
    src = tmp_path / "in"
    _clip(src / "a b.wav")  # both keys are named a_b
    _clip(src / "a_b.wav", extra=16000)  # one second longer: which file is which shows
    out = tmp_path / "out"
    first = run_corpus(src, out, OPTIONS, jobs=1)
    assert (first.ok, first.failed) == (2, 0)
    rows = {Path(r["original_audio_filepath"]).name: r for r in read_jsonl(out / "manifest.jsonl")}
    assert sorted(rows) == ["a b.wav", "a_b.wav"]
    assert len({r["audio_filepath"] for r in rows.values()}) == 2
    for name, row in rows.items():
        assert row["original_duration"] == sf.info(src / name).duration
        assert row["duration"] == sf.info(row["audio_filepath"]).duration
    again = run_corpus(src, out, OPTIONS, jobs=1)
    assert (again.skipped, again.processed) == (2, 0)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_load_records_keeps_the_latest_line_per_key(tmp_path):
    log = tmp_path / "records.jsonl"
    log.write_text(
        "\n".join(
            [
                '{"key": "a", "status": "ok", "n": 1}',
                '{"key": "b", "status": "failed"}',
                "[1, 2]",
                '{"key": 5, "status": "ok"}',
                '{"key": "a", "status": "pending", "n": 2}',
                '{"key": "b", "stat',  # cut short by a kill
            ]
        )
    )
    assert load_records(log) == {
        "a": {"key": "a", "status": "pending", "n": 2},
        "b": {"key": "b", "status": "failed"},
    }
    assert load_records(tmp_path / "none.jsonl") == {}


def test_a_record_log_cut_short_mid_line_gets_its_next_record_on_a_new_line(tmp_path):
    src = _clip(tmp_path / "in" / "a.wav").parent
    out = tmp_path / "out"
    run_corpus(src, out, OPTIONS, jobs=1)
    log = out / "records.jsonl"
    log.write_text(log.read_text() + '{"key": "a", "status": "o')
    _clip(src / "b.wav")
    summary = run_corpus(src, out, OPTIONS, jobs=1)
    assert (summary.skipped, summary.processed, summary.ok) == (1, 1, 2)
    assert load_records(log)["b"]["status"] == "ok"
    assert (out / "audio" / "b.flac").is_file()


def test_a_rerun_redoes_only_what_changed(tmp_path):
    src = tmp_path / "in"
    for name in ("a", "b", "c"):
        _clip(src / f"{name}.wav")
    out = tmp_path / "out"
    run_corpus(src, out, OPTIONS, jobs=1)
    _clip(src / "b.wav", extra=800)  # new content under the same name
    (out / "timemaps" / "c.timemap.json").unlink()  # an output gone
    summary = run_corpus(src, out, OPTIONS, jobs=1)
    assert (summary.skipped, summary.processed, summary.ok) == (1, 2, 3)
    records = load_records(out / "records.jsonl")
    assert records["b"]["stats"]["input_s"] == 1.55
    lines = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    pending = [r["key"] for r in lines if r["status"] == "pending"]
    assert sorted(pending) == ["b", "c"]  # each ok record of a redone item is withdrawn first
    other = run_corpus(src, out, CorpusOptions(rate=0.25, vad="energy"), jobs=1)
    assert (other.skipped, other.processed) == (0, 3)


# -- the command -------------------------------------------------------------------------------
from audiosqueeze.cli import main  # noqa: E402
from audiosqueeze.corpus.cli import _hours, _print_summary, _saved  # noqa: E402


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.4, "0 s"), (59.4, "59 s"), (60.0, "1.0 min"), (3599.0, "60.0 min"), (3600.0, "1.00 h"),
     (5400.0, "1.50 h")],
)  # fmt: skip
def test_hours_saved_are_shown_in_the_unit_that_fits(seconds, shown):
    assert _hours(seconds) == shown


def test_saved_seconds_of_a_record():
    assert _saved({"status": "ok", "stats": {"input_s": 10.0, "output_s": 4.0}}) == 6.0
    assert _saved({"status": "failed", "stats": {"input_s": 10.0, "output_s": 4.0}}) == 0.0
    assert _saved({"status": "ok"}) == 0.0


def test_the_printed_summary(capsys):
    failures = [{"key": f"k{i}", "source": "", "error": f"e{i}"} for i in range(12)]
    s = Summary(items=14, ok=2, failed=12, skipped=1, processed=13, input_s=7200.0,
                output_s=1800.0, tokens_saved={"gemini": 1234}, failures=failures, wall_s=2.0,
                manifests=["/o/manifest.jsonl"])  # fmt: skip
    _print_summary(s)
    shown = " ".join(capsys.readouterr().out.split())
    assert "14 items: 2 ok, 12 failed, 1 done earlier; this run 13 in 2.0 s (6.50 files/s)" in shown
    assert "hours in 2.000 -> out 0.500 (75.0% shorter)" in shown
    assert "gemini" in shown and "1234" in shown
    assert "failed: k9: e9" in shown and "k10" not in shown
    assert "... and 2 more failures (see summary.json)" in shown
    assert "manifest: /o/manifest.jsonl" in shown
    _print_summary(Summary(0, 0, 0, 0, 0, 0.0, 0.0, {}))
    shown = capsys.readouterr().out
    assert "(0.0% shorter)" in shown and "more failures" not in shown


def test_the_command_passes_its_options_to_the_job(tmp_path, capsys):
    src = _clip(tmp_path / "in" / "a.wav").parent
    out = tmp_path / "out"
    args = ["corpus", str(src), "-o", str(out), "--vad", "energy", "--jobs", "1", "--json"]
    more = ["--target-reduction", "0.2", "--audio-format", "wav", "--format", "lhotse"]
    assert main([*args, *more, "--threads", "2"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["items"], summary["ok"], summary["processed"]) == (1, 1, 1)
    record = load_records(out / "records.jsonl")["a"]
    want = CorpusOptions(rate=0.5, target_reduction=0.2, vad="energy", audio_format="wav")
    assert record["options"] == want.digest() and record["audio"] == "audio/a.wav"
    assert summary["manifests"] == [str(out / "recordings.jsonl.gz"), str(out / "cuts.jsonl.gz")]
    assert not (out / "manifest.jsonl").exists()
    assert main([*args, "--rate", "0.25"]) == 0  # other options: done again
    summary = json.loads(capsys.readouterr().out)
    assert (summary["skipped"], summary["processed"]) == (0, 1)
    assert load_records(out / "records.jsonl")["a"]["options"] == (
        CorpusOptions(rate=0.25, vad="energy").digest()
    )
    assert summary["manifests"] == [str(out / "manifest.jsonl")]


def test_the_progress_bar_counts_what_this_run_did(tmp_path, capsys):
    src = _clip(tmp_path / "in" / "a.wav").parent
    (src / "bad.wav").write_bytes(b"not audio")
    out = tmp_path / "out"
    assert main(["corpus", str(src / "a.wav"), "-o", str(out), "--vad", "energy"]) == 0
    capsys.readouterr()
    assert main(["corpus", str(src), "-o", str(out), "--vad", "energy", "--jobs", "1"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "2/2" in shown and "1 failed" in shown
    assert "2 items: 1 ok, 1 failed, 1 done earlier; this run 1 in" in shown
    assert "failed: bad:" in shown
    stats = load_records(out / "records.jsonl")["a"]["stats"]  # saved by the earlier run
    assert f"{_hours(stats['input_s'] - stats['output_s'])} saved" in shown
