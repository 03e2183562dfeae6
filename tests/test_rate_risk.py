"""benchmarks/rate_risk.py: extra errors of a method grouped by the clips' speaking rate."""

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
    speech = {"u1": 5.0, "u2": 2.0}
    recs = rr.clip_records(rows, "none", "m", lambda r: speech[r["id"]])
    assert recs == [(2.0, 10, 3), (10.0, 20, -1)]
    # the same clip read by two recognisers counts once for each
    both = rows + [_row(1, "none", 10, 0, asr="b"), _row(1, "m", 10, 0, asr="b")]
    assert len(rr.clip_records(both, "none", "m", lambda r: speech[r["id"]])) == 3


def test_groups_split_at_quartiles_or_at_the_threshold():
    rr = load_script("benchmarks/rate_risk.py")
    recs = [(float(r), 10, e) for r, e in zip(range(1, 9), [0, 0, 1, 1, 2, 2, 5, 5], strict=True)]
    q = rr.groups(recs)
    assert [(n, w, e) for _, n, w, e in q] == [(2, 20, 0), (2, 20, 2), (2, 20, 4), (2, 20, 10)]
    assert q[-1][0].endswith("max w/s") and q[0][0].startswith("0-")
    t = rr.groups(recs, threshold=7.0)
    assert [(n, w, e) for _, n, w, e in t] == [(6, 60, 6), (2, 20, 10)]


@needs_silero
def test_speech_seconds_counts_the_speech_not_the_planted_silence():
    rr = load_script("benchmarks/rate_risk.py")
    demo = sq.load(str(files("audiosqueeze") / "data" / "demo_common_voice_en_73.flac")).samples
    alone = rr.speech_seconds(demo)
    assert 0.5 * len(demo) / 16000 < alone <= len(demo) / 16000
    padded = np.concatenate([silence(3.0), demo, silence(2.0)]).astype(np.float32)
    assert rr.speech_seconds(padded) == pytest.approx(alone, abs=0.15)


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
        rr.main([str(p), "--method", "m", "--threshold", "-1"])
    assert e.value.code == 2 and "--threshold must be > 0" in capsys.readouterr().err
    with gzip.open(p, "at") as f:
        f.write(json.dumps(_row(1, "m", 10, 1)) + "\n")
    with pytest.raises(SystemExit) as e:  # no data folder: one line from run_script
        rr.run_script(lambda: rr.main([str(p), "--method", "m", "--data", str(tmp_path)]))
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "no manifest.jsonl" in err and "Traceback" not in err
