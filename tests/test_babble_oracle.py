"""benchmarks/babble_oracle.py: only the planted babble is silenced."""

from __future__ import annotations

import numpy as np

from audiosqueeze.datasets import Gap, Utterance
from conftest import load_script


def test_only_babble_stretches_are_zeroed():
    bo = load_script("benchmarks/babble_oracle.py")
    x = np.linspace(0.1, 0.9, 1000, dtype=np.float32)
    gaps = (Gap(0, 100, 0, "noise"), Gap(300, 450, 2, "babble"), Gap(800, 1000, 5, "babble"))
    rec = Utterance("r", "", "longform", "test", samples=x, gaps=gaps)
    y = bo.without_babble(rec)
    assert np.all(y[300:450] == 0) and np.all(y[800:] == 0)
    keep = np.r_[0:300, 450:800]
    assert np.array_equal(y[keep], x[keep])
    assert rec.samples is x and np.all(x > 0)  # the recording itself is left as it was
