"""benchmarks/compare_runs.py: the paired difference of two bench runs, on planted rows."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from conftest import load_script


def _module():
    return load_script("benchmarks/compare_runs.py")


def _row(ds, asr, uid, method, ref, errors):
    # words: ref, hits, substitutions, deletions, insertions
    return {
        "dataset": ds,
        "asr": asr,
        "id": uid,
        "method": method,
        "words": [ref, ref - errors, errors, 0, 0],
    }


def _write(path: Path, rows, gz=False):
    text = "".join(json.dumps(r) + "\n" for r in rows)
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def test_planted_difference_per_cell_and_pooled(tmp_path):
    cr = _module()
    # run A: 10 words per utterance, 1 error each; run B: 3 errors each on tiny, 1 on base
    a, b = [], []
    for i in range(20):
        for asr, eb in (("tiny", 3), ("base", 1)):
            a.append(_row("ls", asr, f"u{i}", "m", 10, 1))
            b.append(_row("ls", asr, f"u{i}", "m2", 10, eb))
    b.append(_row("ls", "tiny", "only-in-b", "m2", 10, 10))  # no partner: ignored
    pa = _write(tmp_path / "a.jsonl", a)
    pb = tmp_path / "run"
    pb.mkdir()
    _write(pb / "results.jsonl.gz", b, gz=True)
    rows = {(r[0], r[1]): r for r in cr.compare([(pa, pb)], [("m", "m2")], resamples=200)}
    ds, label, n, d, lo, hi = rows[("ls", "tiny m → m2")]
    assert n == 20 and d == pytest.approx(20.0) and lo == pytest.approx(20.0)
    assert rows[("ls", "base m → m2")][3] == pytest.approx(0.0)
    # pooled: (2 + 0) extra errors per utterance over 20 words
    pooled = rows[("ls", "pooled")]
    assert pooled[2] == 20 and pooled[3] == pytest.approx(10.0)


def test_exclude_leaves_out_utterances_a_recogniser_already_read(tmp_path):
    cr = _module()
    # u0..u9 got worse by 5 errors, u10..u19 unchanged; an earlier run read u0..u9 with tiny
    a = [_row("cv", "tiny", f"u{i}", "m", 10, 1) for i in range(20)]
    b = [_row("cv", "tiny", f"u{i}", "m", 10, 6 if i < 10 else 1) for i in range(20)]
    seen = [_row("cv", "tiny", f"u{i}", "x", 10, 0) for i in range(10)]
    seen += [_row("cv", "base", f"u{i}", "x", 10, 0) for i in range(10, 20)]  # other recogniser
    pa, pb = _write(tmp_path / "a.jsonl", a), _write(tmp_path / "b.jsonl", b)
    full = cr.compare([(pa, pb)], [("m", "m")], resamples=200)
    assert full[0][2] == 20 and full[0][3] == pytest.approx(25.0)
    fresh = cr.compare([(pa, pb)], [("m", "m")], 200, [_write(tmp_path / "seen.jsonl", seen)])
    assert fresh[0][2] == 10 and fresh[0][3] == pytest.approx(0.0)  # only u10..u19 remain


def test_interval_contains_zero_for_mixed_changes(tmp_path):
    cr = _module()
    a = [_row("cv", "t", f"u{i}", "m", 10, 2) for i in range(40)]
    b = [_row("cv", "t", f"u{i}", "m", 10, 2 + (1 if i % 2 else -1)) for i in range(40)]
    rows = cr.compare(
        [(_write(tmp_path / "a.jsonl", a), _write(tmp_path / "b.jsonl", b))], [("m", "m")]
    )
    _, _, n, d, lo, hi = rows[0]
    assert n == 40 and d == pytest.approx(0.0) and lo < 0 < hi


def _exit_line(capsys, argv) -> str:
    """What the script prints when run with ``argv``: one line on stderr, exit status 2."""
    cr = _module()
    with pytest.raises(SystemExit) as e:
        cr.run_script(lambda: cr.main(argv))
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1
    return err


def test_missing_run_is_a_clear_exit(tmp_path, capsys):
    assert "no results" in _exit_line(capsys, [str(tmp_path), str(tmp_path), "--methods", "m"])
    missing = str(tmp_path / "x.jsonl")
    assert "no such file" in _exit_line(capsys, [missing, missing, "--methods", "m"])


@pytest.mark.parametrize(
    "content", [b"not json\n", b'{"dataset": "x"}\n', b"\x1f\x8b broken gzip", b"\xff\xfe"]
)
def test_rows_that_are_not_bench_rows_are_a_clear_exit(tmp_path, content, capsys):
    p = tmp_path / ("r.jsonl.gz" if content.startswith(b"\x1f") else "r.jsonl")
    p.write_bytes(content)
    assert "not bench rows" in _exit_line(capsys, [str(p), str(p), "--methods", "m"])
