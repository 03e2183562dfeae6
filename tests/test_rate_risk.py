"""benchmarks/rate_risk.py: extra errors of a method grouped by a property of each clip."""

from __future__ import annotations

import gzip
import json
from importlib.resources import files

import numpy as np
import pytest

import audiosqueeze as sq
from conftest import load_script, needs_silero, silence


def _row(i, method, words, errors, asr="t"):
    return {"asr": asr, "dataset": "commonvoice", "id": f"u{i}", "method": method,
            "words": [words, words - errors, errors, 0, 0]}  # fmt: skip


def test_extra_errors_are_the_methods_minus_the_bases_at_each_clips_rate():
    rr = load_script("benchmarks/rate_risk.py")
    rows = [_row(1, "none", 10, 1), _row(1, "m", 10, 4), _row(2, "none", 20, 2)]
    rows += [_row(2, "m", 20, 1), _row(3, "none", 8, 0)]  # u3 has no method row
    cues = {"u1": {"speech_s": 5.0, "snr": 30.0}, "u2": {"speech_s": 2.0, "snr": 50.0}}

    def rate(r):
        return rr.measure("rate", cues[r["id"]], r["words"][0])

    assert rr.clip_records(rows, "none", "m", rate) == [(2.0, 10, 3), (10.0, 20, -1)]
    snr = rr.clip_records(rows, "none", "m", lambda r: rr.measure("snr", cues[r["id"]], 0))
    assert snr == [(30.0, 10, 3), (50.0, 20, -1)]
    # the same clip read by two recognisers counts once for each
    both = rows + [_row(1, "none", 10, 0, asr="b"), _row(1, "m", 10, 0, asr="b")]
    assert len(rr.clip_records(both, "none", "m", rate)) == 3
    assert rr.measure("rate", {"speech_s": 0.0}, 3) == pytest.approx(30.0)  # 0.1 s at least


def test_groups_split_at_quartiles_or_at_the_threshold():
    rr = load_script("benchmarks/rate_risk.py")
    recs = [(float(r), 10, e) for r, e in zip(range(1, 9), [0, 0, 1, 1, 2, 2, 5, 5], strict=True)]
    q = rr.groups(recs)
    assert [(n, w, e) for _, n, w, e in q] == [(2, 20, 0), (2, 20, 2), (2, 20, 4), (2, 20, 10)]
    assert q[-1][0].endswith("to max") and q[0][0].startswith("min to")
    t = rr.groups(recs, threshold=7.0)
    assert [lab for lab, *_ in t] == ["< 7", ">= 7"]
    assert [(n, w, e) for _, n, w, e in t] == [(6, 60, 6), (2, 20, 10)]


@needs_silero
def test_speech_cues_count_the_speech_not_the_planted_silence():
    rr = load_script("benchmarks/rate_risk.py")
    demo = sq.load(str(files("audiosqueeze") / "data" / "demo_common_voice_en_73.flac")).samples
    alone = rr.speech_cues(demo)
    assert 0.5 * len(demo) / 16000 < alone["speech_s"] <= len(demo) / 16000
    padded = rr.speech_cues(np.concatenate([silence(3.0), demo, silence(2.0)]).astype(np.float32))
    assert padded["speech_s"] == pytest.approx(alone["speech_s"], abs=0.15)
    assert padded["level"] == pytest.approx(alone["level"], abs=1.0)  # silence is not averaged in
    quieter = rr.speech_cues((demo * 0.1).astype(np.float32))  # 20 dB down
    assert quieter["level"] == pytest.approx(
        alone["level"] - 20.0, abs=2.5
    )  # segments move a little
    assert 0.0 <= alone["complexity"] <= 1.0 and alone["snr"] > 10.0
    assert rr.speech_cues(silence(2.0))["speech_s"] == 0.0


def test_rows_without_the_method_are_one_line(tmp_path, capsys):
    rr = load_script("benchmarks/rate_risk.py")
    p = tmp_path / "r.jsonl.gz"
    with gzip.open(p, "wt") as f:
        f.write(json.dumps(_row(1, "none", 10, 1)) + "\n")
    with pytest.raises(SystemExit) as e:
        rr.main([str(p), "--method", "m", "--data", str(tmp_path)])
    assert e.value.code == 2
    assert "Traceback" not in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        rr.main([str(p), "--method", "m", "--threshold", "nan"])
    assert e.value.code == 2 and "--threshold must be a finite" in capsys.readouterr().err
    with gzip.open(p, "at") as f:
        f.write(json.dumps(_row(1, "m", 10, 1)) + "\n")
    with pytest.raises(SystemExit) as e:  # no data folder: one line from run_script
        rr.run_script(lambda: rr.main([str(p), "--method", "m", "--data", str(tmp_path)]))
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "no manifest.jsonl" in err and "Traceback" not in err


def test_main_analyses_each_clip_once_and_prints_the_groups(tmp_path, monkeypatch, capsys):
    import soundfile as sf

    rr = load_script("benchmarks/rate_risk.py")
    manifest = []
    for i in (1, 2):
        sf.write(tmp_path / f"u{i}.flac", silence(0.5), 16000)
        manifest.append({"id": f"u{i}", "path": f"u{i}.flac", "text": "a b",
                         "dataset": "commonvoice", "split": "cv-valid-dev"})  # fmt: skip
    (tmp_path / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in manifest))
    calls = []

    def fake_cues(samples):
        calls.append(len(samples))
        return {"speech_s": 2.0, "snr": 40.0 + 10 * len(calls), "level": -20.0, "complexity": 0.5}

    monkeypatch.setattr(rr, "speech_cues", fake_cues)
    rows = []
    for asr in ("t", "b"):  # two recognisers read the same two clips
        rows += [_row(1, "none", 10, 1, asr), _row(1, "m", 10, 3, asr)]
        rows += [_row(2, "none", 10, 0, asr), _row(2, "m", 10, 0, asr)]
    p = tmp_path / "r.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rr.main([str(p), "--method", "m", "--data", str(tmp_path), "--by", "snr", "--threshold", "55"])
    assert len(calls) == 2  # one analysis per clip, not per recogniser
    out = capsys.readouterr().out
    assert "4 clips" in out
    assert "| < 55 | 2 | 20 | +4 | +20.00 |" in out  # u1 (snr 50) under both recognisers
    assert "| >= 55 | 2 | 20 | +0 | +0.00 |" in out  # u2 (snr 60)
