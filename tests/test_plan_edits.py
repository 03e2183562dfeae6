"""benchmarks/plan_edits.py: the plan's edits of a clip, placed as lead, inner or tail."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest

import audiosqueeze as sq
from conftest import load_script, needs_silero, silence


@needs_silero
def test_a_planted_lead_tail_and_inner_pause_are_listed_where_they_are():
    pe = load_script("benchmarks/plan_edits.py")
    demo = sq.load(str(files("audiosqueeze") / "data" / "demo_common_voice_en_73.flac")).samples
    x = np.concatenate([silence(2.0), demo, silence(1.5), demo, silence(2.0)]).astype(np.float32)
    rows = pe.edits(x, 0.5)
    assert rows[0]["where"] == "lead" and rows[0]["start_s"] == 0.0
    assert rows[0]["in_ms"] >= 2000 and rows[0]["out_ms"] < 200  # at least the planted 2 s
    assert rows[-1]["where"] == "tail" and rows[-1]["end_s"] == pytest.approx(len(x) / 16000)
    assert rows[-1]["in_ms"] >= 2000
    gap_start = 2.0 + len(demo) / 16000
    inner = [r for r in rows if r["where"] == "inner" and r["in_ms"] >= 1500]
    assert len(inner) == 1 and inner[0]["start_s"] <= gap_start + 0.01
    assert inner[0]["end_s"] >= gap_start + 1.5 - 0.01
    assert all(r["out_ms"] <= r["in_ms"] for r in rows)
    assert not any(r["kind"] == "keep" and r["segment"] == "speech" for r in rows)
