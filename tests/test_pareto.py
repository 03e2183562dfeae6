"""benchmarks/pareto.py on planted rows: the rate curve read at another method's tokens."""

from __future__ import annotations

import json
import sys

import pytest

from conftest import load_script

pytest.importorskip("jiwer", reason="pareto reads the bench's summaries ([bench] extra)")

from audiosqueeze.bench import ROW_FIELDS  # noqa: E402


def _row(uid, method, errors, out_s):
    words = [100, 100 - errors, errors, 0, 0]  # ref, hits, substitutions, deletions, insertions
    r = dict.fromkeys(ROW_FIELDS)
    r.update(asr="fake", dataset="ls", split="dev", id=uid, method=method, asr_s=1.0,
             cached=False, asr_config={}, input_s=10.0, output_s=out_s, gemini_before=320,
             gemini_after=int(out_s * 32), ref="a", hyp="a", words=words,
             chars=[10, 10, 0, 0, 0], loop_words=0, method_s=0.01, gaps=None, edited_s=0.0,
             ts_error_ms=None)  # fmt: skip
    return r


def test_a_method_is_read_against_the_rate_curve_at_its_tokens(tmp_path, monkeypatch, capsys):
    # rate curve: (0 %, 0), sq-0.5 (20 %, +1), sq-1.0 (40 %, +5); at 30 % it reads +3
    rows = []
    for uid in ("a", "b"):
        rows += [_row(uid, "none", 0, 10.0), _row(uid, "sq-0.5", 1, 8.0)]
        rows += [_row(uid, "sq-1.0", 5, 6.0), _row(uid, "sq-budget-1", 2, 7.0)]
        rows += [_row(uid, "sq-budget-2", 4, 7.0), _row(uid, "far", 0, 1.0)]
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    argv = ["pareto.py", str(tmp_path), "--against-rates", "sq-budget-1,sq-budget-2,far"]
    monkeypatch.setattr(sys, "argv", argv)
    load_script("benchmarks/pareto.py").main()
    out = capsys.readouterr().out
    assert "| ls | fake | sq-budget-1 | 30.0 %, +2.00 | +3.00 | yes |" in out
    assert "| ls | fake | sq-budget-2 | 30.0 %, +4.00 | +3.00 | no |" in out
    assert "| ls | fake | far | 90.0 %, +0.00 | outside its range | n/a |" in out
