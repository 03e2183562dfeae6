"""Corpus jobs with planted answers: option bounds, output names, segment bounds, records a
rerun may trust, and manifests that point at the right file. Short synthetic clips and the
energy VAD, so the whole file runs in a few seconds."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import audiosqueeze as sq
from audiosqueeze.corpus import BadItem, CorpusOptions, Item
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
