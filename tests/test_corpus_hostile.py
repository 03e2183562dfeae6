"""Hostile corpus jobs: output folders that overlap the input, odd file names, interrupted
reruns. Short synthetic clips and the energy VAD, so each job takes well under a second."""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import audiosqueeze as sq
from audiosqueeze.corpus import CorpusOptions, ManifestError, load_records, read_input, run_corpus
from conftest import silence, tone

OPTIONS = CorpusOptions(rate=0.5, vad="energy")


def _clip(path: Path, seed: int = 0) -> Path:
    """Half a second of tone, a pause, another tone: something to cut."""
    x = np.concatenate([tone(0.5, 220 + 40 * seed), silence(0.6), tone(0.4, 330)])
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x, 16000, subtype="PCM_16")
    return path


def _folder(folder: Path, n: int = 2) -> Path:
    for i in range(n):
        _clip(folder / f"c{i}.wav", i)
    return folder


def test_output_folder_holding_the_input_compresses_it(tmp_path, monkeypatch):
    # before: every source lay inside the output folder, so all were dropped: 0 items, exit 0
    _folder(tmp_path / "clips")
    monkeypatch.chdir(tmp_path)
    summary = run_corpus("clips", ".", OPTIONS, jobs=1)
    assert (summary.items, summary.ok, summary.failed) == (2, 2, 0)
    again = run_corpus("clips", ".", OPTIONS, jobs=1)  # its own outputs are not read back
    assert (again.items, again.skipped, again.processed) == (2, 2, 0)


@pytest.mark.parametrize("out", [".", "audio", "timemaps"])
def test_output_folder_that_is_or_holds_the_input_folder_in_its_outputs_is_refused(tmp_path, out):
    # before: "0 items" and exit 0, with records.jsonl and manifest.jsonl written into the input
    root = tmp_path / "out"
    src = _folder(root if out == "." else root / out)
    before = sorted(p.name for p in src.iterdir())
    quote = re.escape(f"'{root}' would write into the input folder '{src}'")
    with pytest.raises(sq.OptionsError, match=quote):
        run_corpus(src, root, OPTIONS, jobs=1)
    assert sorted(p.name for p in src.iterdir()) == before
    assert not (root / "records.jsonl").exists()


@pytest.mark.parametrize(
    "name", ["manifest.jsonl", "records.jsonl", "summary.json", "cuts.jsonl.gz"]
)
def test_a_manifest_that_the_output_folder_would_overwrite_is_refused(tmp_path, name):
    # before: `corpus data/manifest.jsonl -o data` dropped every row (its files lay in the
    # output folder) and wrote an empty manifest.jsonl over the input manifest
    _clip(tmp_path / "a.wav")
    manifest = tmp_path / name
    row = {"id": "a", "path": "a.wav", "text": "hello"}
    if name.endswith(".gz"):
        source = {"type": "file", "source": "a.wav"}
        row = {
            "id": "a",
            "start": 0,
            "duration": 1.5,
            "recording": {"id": "a", "sources": [source]},
        }
        manifest.write_bytes(gzip.compress((json.dumps(row) + "\n").encode()))
    else:
        manifest.write_text(json.dumps(row) + "\n")
    data = manifest.read_bytes()
    with pytest.raises(sq.OptionsError, match=re.escape(f"input manifest '{manifest}'")):
        run_corpus(manifest, tmp_path, OPTIONS, jobs=1, manifest_format="lhotse")
    assert manifest.read_bytes() == data


def test_a_manifest_beside_the_output_folder_still_works(tmp_path):
    _clip(tmp_path / "a.wav")
    (tmp_path / "in.jsonl").write_text('{"id": "a", "path": "a.wav", "text": "hello"}\n')
    summary = run_corpus(tmp_path / "in.jsonl", tmp_path, OPTIONS, jobs=1)
    assert (summary.items, summary.ok) == (1, 1)
    rows = [json.loads(line) for line in (tmp_path / "manifest.jsonl").read_text().splitlines()]
    assert [r["text"] for r in rows] == ["hello"]


def test_a_folder_without_audio_is_one_clear_error(tmp_path):
    # before: "0 items", exit 0 (a glob that matches nothing was already an error)
    (tmp_path / "in.jsonl").mkdir()  # a "manifest" that is a folder
    (tmp_path / "in.jsonl" / "notes.txt").write_text("no audio here")
    with pytest.raises(ManifestError, match=r"'.*in\.jsonl' holds no audio files"):
        read_input(tmp_path / "in.jsonl")


def test_a_file_name_that_is_not_utf8_is_compressed_and_resumed(tmp_path):
    # before: UnicodeEncodeError (surrogates not allowed) writing its record: exit 70, with the
    # job cut short and no manifest
    src = _folder(tmp_path / "in", 1)
    odd = src / os.fsdecode(b"caf\xe9.wav")  # Latin-1 bytes: not UTF-8
    os.rename(_clip(tmp_path / "plain.wav"), odd)
    summary = run_corpus(src, tmp_path / "out", OPTIONS, jobs=1)
    assert (summary.items, summary.ok) == (2, 2)
    records = load_records(tmp_path / "out" / "records.jsonl")
    assert records[os.fsdecode(b"caf\xe9")]["source"] == str(odd)  # the same name read back
    rows = (tmp_path / "out" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    sources = sorted(json.loads(r)["original_audio_filepath"] for r in rows)
    assert sources == sorted([str(odd), str(src / "c0.wav")])
    again = run_corpus(src, tmp_path / "out", OPTIONS, jobs=1)
    assert (again.skipped, again.processed) == (2, 0)


def test_a_rerun_killed_after_writing_outputs_leaves_nothing_to_trust(tmp_path, monkeypatch):
    # before: run 1 (rate 0.5) done; run 2 (rate 0.75) killed after its new outputs were in
    # place but before their record: manifest.jsonl still listed run 1's durations for run 2's
    # files, and run 3 (rate 0.5 again) skipped the item on run 1's record, keeping run 2's audio
    from audiosqueeze.corpus import run as corpus_run

    src, out = _folder(tmp_path / "in", 1), tmp_path / "out"
    run_corpus(src, out, OPTIONS, jobs=1)
    first = (out / "audio" / "c0.flac").read_bytes()
    real_append = corpus_run._Log.append

    def killed(self, record):
        if record.get("status") == "ok":
            raise KeyboardInterrupt  # a kill: outputs written, record not
        real_append(self, record)

    monkeypatch.setattr(corpus_run._Log, "append", killed)
    with pytest.raises(KeyboardInterrupt):
        run_corpus(src, out, CorpusOptions(rate=0.75, vad="energy"), jobs=1)
    assert (out / "audio" / "c0.flac").read_bytes() != first  # run 2's file is in place
    assert not (out / "manifest.jsonl").exists() and not (out / "summary.json").exists()
    monkeypatch.undo()
    again = run_corpus(src, out, OPTIONS, jobs=1)
    assert (again.skipped, again.processed, again.ok) == (0, 1, 1)
    assert (out / "audio" / "c0.flac").read_bytes() == first


@pytest.mark.parametrize("fmt", ["nemo", "lhotse"])
@pytest.mark.parametrize(
    ("which", "damage"),
    [
        ("timemap", b"garbage"),
        ("timemap", b"\xff\xfe"),
        # a valid time map, just not this recording's: it was trusted and copied into the cuts
        ("timemap", b'{"sample_rate": 16000, "original": [0, 5], "compressed": [0, 5]}'),
        ("audio", b"fLaC"),  # cut short
    ],
)
def test_an_output_changed_since_it_was_written_is_compressed_again(tmp_path, fmt, which, damage):
    """A rerun trusted every finished item's outputs: one edited or cut short was reused as it
    was (NeMo), or was an internal error or went into the cuts unchecked (lhotse). Records
    now hold the outputs' hashes, and an item whose outputs changed is done again."""
    if fmt == "lhotse":
        pytest.importorskip("lhotse", reason="lhotse not installed (CI installs it)")
    _clip(tmp_path / "in" / "a.wav")
    out = tmp_path / "out"
    run_corpus(tmp_path / "in", out, OPTIONS, jobs=1, manifest_format=fmt)
    paths = {"audio": out / "audio" / "a.flac", "timemap": out / "timemaps" / "a.timemap.json"}
    before = {k: p.read_bytes() for k, p in paths.items()}
    paths[which].write_bytes(damage)
    summary = run_corpus(tmp_path / "in", out, OPTIONS, jobs=1, manifest_format=fmt)
    assert (summary.ok, summary.skipped, summary.processed) == (1, 0, 1)
    assert {k: p.read_bytes() for k, p in paths.items()} == before
    again = run_corpus(tmp_path / "in", out, OPTIONS, jobs=1, manifest_format=fmt)
    assert (again.skipped, again.processed) == (1, 0)  # unchanged outputs are trusted


@pytest.mark.parametrize("text", ["garbage", '{"original": [0, 5]}', "\udcff"])
def test_a_time_map_that_cannot_be_read_is_named(tmp_path, text):
    from audiosqueeze.corpus.manifests import read_timemap

    tm = tmp_path / "a.timemap.json"
    tm.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ManifestError, match=re.escape(repr(str(tm))) + ".*delete it"):
        read_timemap(tm)


def test_output_dash_is_a_usage_error_not_a_folder_named_dash(tmp_path, monkeypatch, capsys):
    from audiosqueeze.cli import main

    _clip(tmp_path / "a.wav")
    monkeypatch.chdir(tmp_path)
    assert main(["corpus", "a.wav", "-o", "-", "--jobs", "1", "--json"]) == 2
    assert "writes a folder, not to stdout" in capsys.readouterr().err
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.update(input_s="12"),  # a string: the summary's sum raised TypeError
        lambda s: s.pop("output_s"),  # gone: KeyError
        lambda s: s.update(tokens_before=[1, 2]),  # a list: AttributeError on .items()
        lambda s: s.update(output_s=s["output_s"] + 60.0),  # a number, but not the time map's
        lambda s: s["tokens_after"].update(gemini=0),  # claims every token saved
        lambda s: s.update(input_s=True),  # a bool is no count of seconds
    ],
    ids=["string", "missing", "list", "longer", "tokens", "bool"],
)
def test_an_edited_stats_line_is_redone_not_trusted(tmp_path, edit):
    # before: a record whose hashes still matched was trusted whole, so its edited stats went
    # into summary.json and the manifest, or stopped the job with a traceback
    src, out = _folder(tmp_path / "in", 2), tmp_path / "out"
    first = run_corpus(src, out, OPTIONS, jobs=1)
    log = out / "records.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    edit(records[0]["stats"])
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    again = run_corpus(src, out, OPTIONS, jobs=1)
    assert (again.skipped, again.processed, again.ok) == (1, 1, 2)
    assert again.input_s == first.input_s and again.output_s == first.output_s
    assert again.tokens_saved == first.tokens_saved
    manifest = [json.loads(r) for r in (out / "manifest.jsonl").read_text().splitlines()]
    assert sorted(r["duration"] for r in manifest) == sorted(
        r["stats"]["output_s"] for r in load_records(log).values()
    )
    third = run_corpus(src, out, OPTIONS, jobs=1)  # the redone record is trusted again
    assert (third.skipped, third.processed) == (2, 0)


def test_a_time_map_that_is_not_one_leaves_its_record_untrusted(tmp_path):
    from audiosqueeze.corpus.work import stats_hold

    src, out = _folder(tmp_path / "in", 1), tmp_path / "out"
    run_corpus(src, out, OPTIONS, jobs=1)
    record = load_records(out / "records.jsonl")["c0"]
    timemap = out / record["timemap"]
    assert stats_hold(record, timemap)
    for text in ("", "not json", "[]", '{"original": [0, 5], "compressed": [0, 9]}'):
        timemap.write_text(text)
        assert not stats_hold(record, timemap)
    assert not stats_hold(record, out / "no-such.timemap.json")
