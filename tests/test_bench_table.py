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
    assert "ls, tiny: 2 utterances, 20 words" in out
    # m: 11 errors against 1 in 20 words, half the tokens
    assert "| m | 50.0 % | 55.00 | +50.00 [" in out
    assert "| u1 | 10 | 1 / 0 / 0 | 1 / 1 / 2 |" in out
    assert "| u2 | 10 | 0 / 0 / 0 | 0 / 7 / 0 |" in out
    assert "u3" not in out
    assert bt.utterance_cell([5, 1, 2, 1, 3]) == "2 / 1 / 3"
