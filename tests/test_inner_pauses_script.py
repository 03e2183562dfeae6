"""benchmarks/inner_pauses.py: the inner pauses it counts, on a planted analysis."""

from __future__ import annotations

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze.analyze import Analysis, Segment
from audiosqueeze.units import FRAME_SAMPLES
from conftest import load_script, planted_speech


@pytest.fixture(scope="module")
def ip():
    return load_script("benchmarks/inner_pauses.py")


def _analysis():
    """Silence, then 20 speech frames whose frames 8-13 (192 ms) are quiet (20 dB under the
    rest) with VAD probability 0.2, then a second speech segment with no dip."""
    prob = np.full(20, 0.9)
    level = np.full(20, -20.0)
    prob[8:14], level[8:14] = 0.2, -40.0
    start = 10 * FRAME_SAMPLES
    first = planted_speech(prob, level, start=start)
    second = planted_speech(np.full(10, 0.9), np.full(10, -20.0), start=first.end)
    silence = Segment("silence", 0, start, 0.0, None, None)
    return Analysis((silence, first, second), second.end, np.zeros(0, np.float32), "test")


@pytest.mark.parametrize(
    ("prob", "drop", "runs"),
    [(0.3, 12.0, 1), (0.2, 12.0, 0), (1.0, 20.0, 0), (1.0, 19.5, 1)],
)
def test_count_is_the_planted_dip_where_the_options_take_it(ip, prob, drop, runs):
    o = sq.PlanOptions(inner_pause_prob=prob, inner_pause_drop_db=drop)
    assert ip.count(_analysis(), o) == (runs, runs * 6 * FRAME_SAMPLES, 30 * FRAME_SAMPLES)


def test_with_64_ms_segments_no_speech_segment_can_hold_one(shared_data):
    """Two frames a speech segment: nothing to count, whatever the options (the default)."""
    import subprocess
    import sys

    from conftest import REPO

    script = REPO / "benchmarks" / "inner_pauses.py"
    cmd = [sys.executable, str(script), "--data", str(shared_data), "--clips", "2"]
    cmd += ["--segment-ms", "64", "--prob", "0.3,1.0", "--drop-db", "0"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    rows = [line.split(" | ") for line in r.stdout.splitlines() if line.startswith("| librispeech")]
    rows += [line.split(" | ") for line in r.stdout.splitlines() if line.startswith("| commonv")]
    assert len(rows) == 4
    assert all(row[4:6] == ["0", "0.0"] and float(row[6].rstrip(" |")) > 0 for row in rows)
