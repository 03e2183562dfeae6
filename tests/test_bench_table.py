"""benchmarks/bench_table.py: the table and its per-utterance view, on planted rows."""

from __future__ import annotations

import json
import sys

from conftest import load_script


def _row(uid, method, words, before=100, after=100):
    return {
        "dataset": "ls",
        "asr": "tiny",
        "id": uid,
        "method": method,
        "words": words,  # ref, hits, substitutions, deletions, insertions
        "gemini_before": before,
        "gemini_after": after,
    }


def test_table_and_by_utterance(tmp_path, monkeypatch, capsys):
    bt = load_script("benchmarks/bench_table.py")
    rows = [
        _row("u1", "none", [10, 9, 1, 0, 0]),
        _row("u2", "none", [10, 10, 0, 0, 0]),
        _row("u1", "m", [10, 8, 1, 1, 2], after=60),
        _row("u2", "m", [10, 3, 0, 7, 0], after=40),
        _row("u3", "m", [10, 0, 0, 10, 0]),  # no "none" row: left out
    ]
    f = tmp_path / "rows.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setattr(
        sys, "argv", ["bench_table.py", str(f), "--by-utterance", "--resamples", "50"]
    )
    bt.main()
    out = capsys.readouterr().out
    assert "ls, tiny: 2 utterances, 20 words; ΔWER against none" in out
    # m: 11 errors against 1 in 20 words, half the tokens
    assert "| m | 50.0 % | 55.00 | +50.00 [" in out
    assert "| u1 | 10 | 1 / 0 / 0 | 1 / 1 / 2 |" in out
    assert "| u2 | 10 | 0 / 0 / 0 | 0 / 7 / 0 |" in out
    assert "u3" not in out
    assert bt.utterance_cell([5, 1, 2, 1, 3]) == "2 / 1 / 3"


def test_dither_mean_averages_each_utterance_over_its_dithers(tmp_path, monkeypatch, capsys):
    bt = load_script("benchmarks/bench_table.py")
    rows = [
        _row("u1", "none", [10, 10, 0, 0, 0]),
        _row("u2", "none", [10, 10, 0, 0, 0]),
        _row("u1", "none@d1", [10, 10, 0, 0, 0]),
        _row("u2", "none@d1", [10, 9, 1, 0, 0]),
        _row("u1", "none@d2", [10, 10, 0, 0, 3]),  # one decoding loops
        _row("u2", "none@d2", [10, 9, 1, 0, 0]),
        _row("u1", "sq-0.5@d1", [10, 10, 0, 0, 0], after=50),
        _row("u2", "sq-0.5@d1", [10, 8, 2, 0, 0], after=50),
        _row("u1", "sq-0.5@d2", [10, 10, 0, 0, 1], after=70),
        _row("u2", "sq-0.5@d2", [10, 8, 1, 1, 0], after=50),
    ]
    f = tmp_path / "rows.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    argv = ["bench_table.py", str(f), "--dither-mean", "--base", "none@dmean", "--by-utterance"]
    monkeypatch.setattr(sys, "argv", argv + ["--resamples", "50"])
    bt.main()
    out = capsys.readouterr().out
    assert "ΔWER against none@dmean" in out
    # none@dmean: u1 1.5 errors, u2 1 -> 2.5 of 20; sq-0.5@dmean: u1 0.5, u2 2 -> 2.5 of 20
    assert "| none@dmean | 0.0 % | 12.50 | +0.00 [" in out
    assert "| sq-0.5@dmean | 45.0 % | 12.50 | +0.00 [" in out  # tokens (60 + 50) / 200 kept
    assert "| none | 0.0 % | 0.00 | -12.50 [" in out
    assert "| u1 | 10 |" in out and "0 / 0 / 1.5" in out and "1.5 / 0.5 / 0" in out
    means = bt.dither_means({"x@d1": {"a": {"words": [1] * 5}}})  # one dither: no mean
    assert means == {}


def test_pool_puts_the_datasets_in_one_table(tmp_path, monkeypatch, capsys):
    bt = load_script("benchmarks/bench_table.py")
    rows = [
        _row("u1", "none", [10, 10, 0, 0, 0]),
        _row("u1", "m", [10, 8, 2, 0, 0], after=50),
        {**_row("u1", "none", [30, 30, 0, 0, 0]), "dataset": "cv"},  # the same id elsewhere
        {**_row("u1", "m", [30, 30, 0, 0, 0], after=100), "dataset": "cv"},
    ]
    f = tmp_path / "rows.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setattr(sys, "argv", ["bench_table.py", str(f), "--pool", "--resamples", "50"])
    bt.main()
    out = capsys.readouterr().out
    assert "pooled, tiny: 2 utterances, 40 words" in out and "ls, tiny" not in out
    assert "| m | 25.0 % | 5.00 | +5.00 [" in out  # 2 errors in 40 words, 150 of 200 tokens


def test_exclude_leaves_out_the_clips_an_earlier_run_read(tmp_path, monkeypatch, capsys):
    bt = load_script("benchmarks/bench_table.py")
    rows = [
        _row("u1", "none", [10, 10, 0, 0, 0]),
        _row("u1", "m", [10, 0, 0, 10, 0], after=50),  # read before: left out
        _row("u2", "none", [10, 10, 0, 0, 0]),
        _row("u2", "m", [10, 9, 1, 0, 0], after=80),
        {**_row("u2", "none", [10, 10, 0, 0, 0]), "asr": "base"},
        {**_row("u2", "m", [10, 10, 0, 0, 0]), "asr": "base"},
    ]
    f, seen = tmp_path / "rows.jsonl", tmp_path / "seen.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    # u1 was read by tiny; u2 by base only, so tiny's u2 stays and base's u2 goes
    seen.write_text(json.dumps(rows[0]) + "\n" + json.dumps(rows[4]) + "\n")
    argv = ["bench_table.py", str(f), "--exclude", str(seen), "--resamples", "50"]
    monkeypatch.setattr(sys, "argv", argv)
    bt.main()
    out = capsys.readouterr().out
    assert "ls, tiny: 1 utterances, 10 words" in out
    assert "| m | 20.0 % | 10.00 | +10.00 [" in out  # u2 alone: 1 error, 80 of 100 tokens
    assert "base" not in out
