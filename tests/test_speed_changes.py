"""benchmarks/speed_changes.py: the renders it compares are what it says they are."""

from __future__ import annotations

import numpy as np
import pytest

import audiosqueeze as sq
from conftest import load_script


def _module():
    return load_script("benchmarks/speed_changes.py")


@pytest.mark.parametrize("speed", [1.2, 1.25, 1.5])
def test_alternations_keep_the_uniform_length_and_alternate(speed):
    sc = _module()
    n = 16000 * 5 + 123
    plans = sc.conditions(n, speed)
    uniform = plans["uniform"].out_samples
    assert uniform == round(n / speed)
    fast = speed / (2 - speed)
    for name, ms in sc.PIECES_MS.items():
        p = plans[name]
        # the same tokens but for the last piece: never faster than uniform (the alternation
        # starts at 1.0x), at most one piece's saving slower
        slack = ms * 16 * (1 - 1 / fast) + len(p.edits)
        assert uniform - len(p.edits) <= p.out_samples <= uniform + slack
        assert p.edits[0].start == 0 and p.edits[-1].end == n
        assert all(
            a.end == b.start and a.joined for a, b in zip(p.edits[:-1], p.edits[1:], strict=True)
        )
        full = [e for e in p.edits if e.in_samples == ms * 16]
        assert {round(e.speed, 2) for e in full} == {1.0, round(fast, 2)}
        assert [round(e.speed, 2) for e in p.edits[:2]] == [1.0, round(fast, 2)]


def test_relax_alternates_with_the_uniform_speed_itself():
    sc = _module()
    n = 16000 * 3
    plans = sc.conditions(n, 1.25, relax=True)
    for name in sc.PIECES_MS:
        speeds = [e.speed for e in plans[name].edits]
        assert max(speeds) == pytest.approx(1.25, abs=0.01) and min(speeds) == 1.0
        assert plans[name].out_samples > plans["uniform"].out_samples  # fewer tokens removed
    x = np.sin(np.arange(n) / 7).astype(np.float32)
    y = sq.render(x, plans["alt-64ms"])
    assert len(y) == plans["alt-64ms"].out_samples
