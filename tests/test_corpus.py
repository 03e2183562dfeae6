"""The local corpus job: outputs, manifests, resume, failures, kill -9, CLI (real clips)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from corpus_helpers import CORRUPT, assert_same_outputs, make_folder, pcm, pick_clips, read_jsonl

import audiosqueeze as sq
from audiosqueeze.cli import main
from audiosqueeze.corpus import CorpusOptions, ManifestError, load_records, read_input, run_corpus
from conftest import needs_silero

pytestmark = needs_silero
RATE = 0.75


@pytest.fixture(scope="module")
def clips(shared_data):
    return pick_clips(shared_data)


@pytest.fixture(scope="module")
def single(clips, tmp_path_factory):
    """The single-process run (``jobs=1``) over the clips and one corrupted file."""
    base = tmp_path_factory.mktemp("single")
    src = make_folder(base / "in", clips)
    summary = run_corpus(src, base / "out", CorpusOptions(rate=RATE), jobs=1)
    return src, base / "out", summary


def test_folder_job_writes_what_compress_writes(single, clips, tmp_path):
    src, out, summary = single
    assert (summary.items, summary.ok, summary.failed) == (7, 6, 1)
    lines = {Path(r["original_audio_filepath"]).stem: r for r in read_jsonl(out / "manifest.jsonl")}
    assert sorted(lines) == sorted(c["id"] for c in clips)
    for c in clips:
        row = lines[c["id"]]
        ref = sq.compress(c["abs"], RATE)  # the in-memory path, written the same way
        ref.save(tmp_path / "ref.flac")
        np.testing.assert_array_equal(pcm(Path(row["audio_filepath"])), pcm(tmp_path / "ref.flac"))
        assert row["original_duration"] == pytest.approx(c["duration_s"], abs=1e-3)
        assert row["duration"] == pytest.approx(sf.info(row["audio_filepath"]).duration, abs=1e-4)
        tm = sq.TimeMap.from_dict(json.loads(Path(row["timemap_filepath"]).read_text()))
        assert tm.to_dict() == ref.timemap.to_dict()
        assert tm.original_samples == round(c["duration_s"] * 16000)  # covers the whole input
        assert tm.compressed_samples == sf.info(row["audio_filepath"]).frames
    ok = [r for r in lines.values()]
    assert summary.input_s == pytest.approx(sum(r["original_duration"] for r in ok), abs=1e-3)
    assert summary.output_s == pytest.approx(sum(r["duration"] for r in ok), abs=1e-3)
    for model in ("gemini", "gpt-4o"):
        want = sum(sq.tokens(r["original_duration"], model) - sq.tokens(r["duration"], model)
                   for r in ok)  # fmt: skip
        assert summary.tokens_saved[model] == want > 0
    (failure,) = summary.failures
    assert failure["key"] == "broken" and failure["source"] == str(src / "broken.flac")
    with pytest.raises(sq.AudiosqueezeError) as e:  # the library's own message is recorded
        sq.load(src / "broken.flac")
    assert failure["error"] == str(e.value)
    assert json.loads((out / "summary.json").read_text())["failed"] == 1


def test_rerun_skips_done_items_and_redoes_changed_ones(single, clips, tmp_path):
    src, first, _ = single
    out = tmp_path / "out"
    shutil.copytree(first, out)
    before = {p.name: p.stat().st_mtime_ns for p in (out / "audio").iterdir()}
    again = run_corpus(src, out, CorpusOptions(rate=RATE), jobs=1)
    assert (again.skipped, again.processed, again.ok, again.failed) == (6, 1, 6, 1)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "audio").iterdir()} == before
    # new content under the same name (the content hash changed) is compressed again
    changed = src.parent / "changed"
    shutil.copytree(src, changed)
    shutil.copy(clips[4]["abs"], changed / f"{clips[3]['id']}.flac")
    records = load_records(out / "records.jsonl")
    for r in records.values():  # the same output folder, sources now read from `changed`
        r["source"] = r["source"].replace(str(src), str(changed))
    (out / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records.values()))
    redo = run_corpus(changed, out, CorpusOptions(rate=RATE), jobs=1)
    assert (redo.skipped, redo.processed) == (5, 2)
    # other options: everything is redone
    other = run_corpus(changed, out, CorpusOptions(rate=0.25), jobs=1)
    assert (other.skipped, other.processed) == (0, 7)


def test_two_processes_write_identical_outputs(single, tmp_path):
    src, first, _ = single
    summary = run_corpus(src, tmp_path / "out", CorpusOptions(rate=RATE), jobs=2)
    assert (summary.ok, summary.failed) == (6, 1)
    assert_same_outputs(first, tmp_path / "out")


def test_our_manifest_with_bad_lines(clips, shared_data, tmp_path):
    lines = [json.dumps({k: c[k] for k in ("id", "path", "text", "split")}) for c in clips[:2]]
    lines += [
        json.dumps({"id": "gone", "path": "librispeech/nope.flac", "text": "x"}),
        '{"id": "cut-off", "path": ',
        json.dumps({"id": clips[0]["id"], "path": clips[1]["path"]}),
        json.dumps({"id": ["a list"], "path": clips[0]["path"]}),
    ]
    manifest = shared_data / "manifest.jsonl"  # paths are relative to the manifest's folder
    mine = tmp_path / "manifest.jsonl"
    mine.write_text("\n".join(lines) + "\n")
    items, kind = read_input(mine)
    assert kind == "ours" and len(items) == 6
    tmp_path.joinpath("librispeech").symlink_to(manifest.parent / "librispeech")
    summary = run_corpus(mine, tmp_path / "out", CorpusOptions(rate=RATE), jobs=1)
    assert (summary.ok, summary.failed) == (2, 4)
    errors = {f["key"]: f["error"] for f in summary.failures}
    assert "no such file" in errors["gone"]
    assert "line 4" in errors["manifest.jsonl:4"] and "not valid JSON" in errors["manifest.jsonl:4"]
    assert "duplicate id" in errors[clips[0]["id"] + "#dup"]
    assert "'id'" in errors["manifest.jsonl:6"]
    out = read_jsonl(tmp_path / "out" / "manifest.jsonl")
    assert [r["text"] for r in out] == [c["text"] for c in clips[:2]]
    assert all(r["split"] == "train-clean-5" for r in out)  # other fields pass through


def test_nemo_manifest_in_and_out_with_a_segment(clips, tmp_path):
    c = clips[0]
    manifest = tmp_path / "train.json"
    rows = [
        {"audio_filepath": c["abs"], "duration": c["duration_s"], "text": c["text"]},
        {"audio_filepath": c["abs"], "duration": 4.0, "offset": 1.5, "text": "part"},
    ]
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = run_corpus(manifest, tmp_path / "out", CorpusOptions(rate=RATE), jobs=1)
    assert (summary.ok, summary.failed) == (2, 0)
    out = read_jsonl(tmp_path / "out" / "manifest.jsonl")
    for r in out:  # NeMo's fields, with the right types and a file of the stated duration
        assert isinstance(r["audio_filepath"], str) and Path(r["audio_filepath"]).is_file()
        assert isinstance(r["duration"], float) and isinstance(r["text"], str)
        assert r["duration"] == pytest.approx(sf.info(r["audio_filepath"]).duration, abs=1e-4)
        assert "offset" not in r
    whole, part = out
    assert whole["text"] == c["text"] and part["text"] == "part"
    samples = sq.load(c["abs"]).samples[24000 : 24000 + 64000]
    ref = sq.compress(samples, RATE, sample_rate=16000)
    assert part["original_duration"] == 4.0
    assert part["duration"] == pytest.approx(ref.stats.output_s, abs=1e-6)


def _lhotse_cut_lines(clips) -> list[dict]:
    lines = []
    for i, c in enumerate(clips[:2]):
        info = sf.info(c["abs"])
        rec = {"id": c["id"], "sources": [{"type": "file", "channels": [0], "source": c["abs"]}],
               "sampling_rate": 16000, "num_samples": info.frames, "duration": info.duration,
               "channel_ids": [0]}  # fmt: skip
        start, dur = (0.0, info.duration) if i == 0 else (1.0, 5.0)
        sup = {"id": f"s{i}", "recording_id": c["id"], "start": 0.5, "duration": dur - 1.0,
               "channel": 0, "text": c["text"]}  # fmt: skip
        lines.append({"id": f"cut{i}", "start": start, "duration": dur, "channel": 0,
                      "supervisions": [sup], "recording": rec, "type": "MonoCut"})  # fmt: skip
    return lines


def test_lhotse_cuts_in_and_recordings_out(clips, tmp_path):
    import gzip

    cuts = tmp_path / "cuts.jsonl.gz"
    with gzip.open(cuts, "wt") as f:
        f.writelines(json.dumps(x) + "\n" for x in _lhotse_cut_lines(clips))
    summary = run_corpus(cuts, tmp_path / "out", CorpusOptions(rate=RATE), manifest_format="lhotse")
    assert (summary.ok, summary.failed) == (2, 0)
    with gzip.open(tmp_path / "out" / "cuts.jsonl.gz", "rt") as f:
        cuts = [json.loads(line) for line in f]
    assert [c["id"] for c in cuts] == ["cut0", "cut1"]
    assert cuts[1]["custom"]["original_duration"] == 5.0
    for cut in cuts:
        rec, (sup,) = cut["recording"], cut["supervisions"]
        assert rec["num_samples"] == sf.info(rec["sources"][0]["source"]).frames
        tm = sq.TimeMap.from_dict(cut["custom"]["timemap"])
        assert sup["recording_id"] == rec["id"] == cut["id"]
        assert sup["start"] == pytest.approx(float(tm.to_compressed(0.5)), abs=1e-6)
        assert 0 < sup["start"] + sup["duration"] <= rec["duration"] + 1e-6


def test_lhotse_reads_our_recordings_and_supervisions(clips, tmp_path):
    lhotse = pytest.importorskip("lhotse", reason="lhotse not installed (CI installs it)")
    recordings = lhotse.RecordingSet.from_recordings(
        lhotse.Recording.from_file(c["abs"], recording_id=c["id"]) for c in clips[:2]
    )
    supervisions = lhotse.SupervisionSet.from_segments(
        lhotse.SupervisionSegment(f"s-{r.id}", r.id, 0.0, r.duration, text=c["text"])
        for r, c in zip(recordings, clips, strict=False)
    )
    cuts = lhotse.CutSet.from_manifests(recordings, supervisions)
    part = cuts[1].truncate(offset=1.0, duration=5.0).with_id("cut1")
    cuts = lhotse.CutSet.from_cuts([cuts[0].with_id("cut0"), part])
    cuts.to_file(tmp_path / "cuts.jsonl.gz")
    summary = run_corpus(tmp_path / "cuts.jsonl.gz", tmp_path / "out", manifest_format="lhotse")
    assert (summary.ok, summary.failed) == (2, 0)
    out = tmp_path / "out"
    recs = lhotse.load_manifest(out / "recordings.jsonl.gz")
    sups = lhotse.load_manifest(out / "supervisions.jsonl.gz")
    back = lhotse.load_manifest(out / "cuts.jsonl.gz")
    assert isinstance(back, lhotse.CutSet) and isinstance(recs, lhotse.RecordingSet)
    lhotse.validate_recordings_and_supervisions(recs, sups)
    lhotse.validate(back)
    for cut in back:
        samples = cut.load_audio()
        assert samples.shape == (1, cut.recording.num_samples)
        ours = sf.read(cut.recording.sources[0].source, dtype="float32")[0]
        np.testing.assert_allclose(samples[0], ours, atol=1e-6)
        tm = sq.TimeMap.from_dict(cut.custom["timemap"])
        assert tm.original_samples == round(cut.custom["original_duration"] * 16000)
        assert tm.compressed_samples == cut.recording.num_samples
        (sup,) = cut.supervisions  # the whole-clip supervision still covers the whole cut
        assert sup.end == pytest.approx(cut.duration, abs=1e-3)
    assert back["cut1"].custom["original_duration"] == 5.0
    assert [s.text for s in sups] == [c["text"] for c in clips[:2]]


def _records_ok(out: Path) -> list[str]:
    keys = []
    for line in (out / "records.jsonl").read_text().splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("status") == "ok":
            keys.append(r["key"])
    return keys


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("audiosqueeze")
    return [str(script)] if script.exists() else [sys.executable, "-m", "audiosqueeze.cli"]


@pytest.mark.slow
def test_kill_9_then_resume_leaves_no_duplicates_or_half_files(shared_data, tmp_path):
    clips = pick_clips(shared_data, n_libri=10, n_cv=4)
    src = make_folder(tmp_path / "in", clips)
    out = tmp_path / "out"
    cmd = [*_cli(), "corpus", str(src), "-o", str(out), "--jobs", "2", "--rate", "0.75", "--json"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 120
    while not (out / "records.jsonl").exists() or not _records_ok(out):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the job and its workers, mid-run
    proc.wait()
    first = set(_records_ok(out))
    assert 0 < len(first) < len(clips) and not (out / "manifest.jsonl").exists()
    (out / "audio" / ".x.flac.abc123.part").write_bytes(b"half")  # what a kill mid-write leaves
    with open(out / "records.jsonl", "a") as f:
        f.write('{"key": "cut short by the ki')  # and mid-append
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["ok"], summary["failed"]) == (len(clips), 1)
    assert summary["skipped"] >= len(first) and summary["processed"] == 15 - summary["skipped"]
    assert not list(out.rglob("*.part"))
    rows = read_jsonl(out / "manifest.jsonl")
    names = [Path(r["audio_filepath"]).name for r in rows]
    assert len(rows) == len(set(names)) == len(clips)
    assert sorted(p.name for p in (out / "audio").iterdir()) == sorted(names)
    for r in rows:  # every file whole: decodable and as long as its record says
        assert sf.info(r["audio_filepath"]).frames == round(r["duration"] * 16000)


def test_cli_json_and_errors(single, tmp_path, capsys):
    src, _, _ = single
    out = tmp_path / "out"
    assert main(["corpus", str(src / "*.flac"), "-o", str(out), "--jobs", "1", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["items"], summary["ok"], summary["failed"]) == (7, 6, 1)
    assert main(["corpus", str(src), "-o", str(out), "--jobs", "1"]) == 0  # bar + summary
    shown = capsys.readouterr().out
    assert "7/7" in shown and "files/s" in shown and "saved" in shown
    assert "7 items: 6 ok, 1 failed, 6 done earlier" in shown and "gemini" in shown
    assert f"failed: broken: {summary['failures'][0]['error'][:30]}" in " ".join(shown.split())
    assert main(["corpus", str(tmp_path / "nothing"), "-o", str(out)]) == 1
    assert "no such file, folder or pattern" in capsys.readouterr().err
    (tmp_path / "junk.jsonl").write_bytes(CORRUPT)
    assert main(["corpus", str(tmp_path / "junk.jsonl"), "-o", str(out)]) == 1
    assert "cannot read" in capsys.readouterr().err
    with open(out / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert main(["corpus", str(src), "-o", str(out), "--jobs", "1"]) == 1
    assert "another corpus job" in capsys.readouterr().err
    assert main(["corpus", str(src), "-o", str(out), "--jobs", "0"]) == 2
    assert main(["corpus", str(src), "-o", str(src / "broken.flac")]) == 1
    assert "is not a folder" in capsys.readouterr().err


def test_output_folder_inside_the_input_is_not_read_back(single, tmp_path):
    src, _, _ = single
    folder = tmp_path / "in"
    shutil.copytree(src, folder)
    for _ in range(2):  # the second run must not compress the first run's outputs
        summary = run_corpus(folder, folder / "out", CorpusOptions(rate=RATE), jobs=1)
        assert summary.items == 7


def test_unknown_manifest_format_is_one_clear_error(tmp_path):
    p = tmp_path / "m.jsonl"
    p.write_text('{"wav": "a.wav"}\n')
    with pytest.raises(ManifestError, match="unknown manifest format"):
        read_input(p)


@pytest.mark.parametrize(
    ("kw", "quote"),
    [
        ({"rate": "abc"}, "'abc'"),
        ({"rate": True}, "True"),
        ({"rate": float("nan")}, "nan"),
        ({"target_reduction": "0.3"}, "'0.3'"),
        ({"num_threads": 1.5}, "1.5"),
        ({"audio_format": "mp3"}, "'mp3'"),
        ({"vad": "nope"}, "'nope'"),
    ],
)
def test_bad_corpus_options_are_clear_errors(kw, quote):
    from audiosqueeze.corpus.work import CorpusOptions

    with pytest.raises(sq.OptionsError, match=quote):
        CorpusOptions(**kw)
