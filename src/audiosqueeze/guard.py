"""The learned quality guard: the risk that a recogniser's words change in a speech window
when it is sped up.

The model is a small gradient-boosted tree ensemble (trained by ``scripts/train_guard.py`` on
dev-split labels made by ``scripts/guard_labels.py`` with Whisper tiny.en and base), shipped as
ONNX in ``audiosqueeze/data/guard.onnx`` and run by onnxruntime. Its input is one row per
(window, candidate speed): the window's :data:`~audiosqueeze.curve.FEATURES` followed by the
speed; its output, the probability that the words there change.

The planner turns risk into speed (:meth:`Guard.speeds`): each window gets the fastest
candidate speed whose predicted risk exceeds the window's risk at 1.0x by at most a budget.
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path

import numpy as np

from .context import FEATURES
from .errors import ModelNotFoundError, OptionsError

#: Candidate speeds tried for each window (the planner's speed resolution).
SPEED_STEP = 0.05


def bundled_path() -> Path:
    """The guard model that ships in the package."""
    return Path(str(resources.files("audiosqueeze") / "data" / "guard.onnx"))


class Guard:
    """A loaded guard model: :meth:`risk` of (window features, speed) rows, :meth:`speeds`."""

    def __init__(self, path: str | os.PathLike):
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise ModelNotFoundError(f"no quality-guard model at {str(path)!r}")
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own types for a bad file
            raise ModelNotFoundError(f"{str(path)!r} is not a usable guard model: {e}") from None
        inp = self._session.get_inputs()[0]
        width = inp.shape[-1]
        if isinstance(width, int) and width != len(FEATURES) + 1:
            raise OptionsError(
                f"guard model {str(path)!r} takes {width} inputs, expected {len(FEATURES) + 1}"
            )
        self._input = inp.name
        self.path = path

    def risk(self, x: np.ndarray, speed: np.ndarray) -> np.ndarray:
        """Probability that words change, for windows ``x`` (``(n, len(FEATURES))``) at
        ``speed`` (``(n,)``)."""
        rows = np.column_stack([np.asarray(x, np.float32), np.asarray(speed, np.float32)])
        if not len(rows):
            return np.zeros(0)
        outputs = self._session.run(None, {self._input: rows.astype(np.float32)})
        prob = outputs[-1]
        if isinstance(prob, list):  # ZipMap output: a list of {label: probability}
            return np.array([p[1] for p in prob], np.float64)
        prob = np.asarray(prob, np.float64)
        return prob[:, 1] if prob.ndim == 2 and prob.shape[1] == 2 else prob.reshape(-1)

    def speeds(self, x: np.ndarray, budget: float, top: float) -> np.ndarray:
        """For each window, the fastest speed in ``1.0, 1.05, ..., top`` whose risk is at
        most its risk at 1.0x plus ``budget``."""
        n = len(x)
        grid = np.arange(1.0, top + 1e-9, SPEED_STEP)
        if n == 0 or len(grid) < 2 or budget <= 0:
            return np.ones(n)
        r = self.risk(np.repeat(x, len(grid), axis=0), np.tile(grid, n)).reshape(n, len(grid))
        ok = r - r[:, :1] <= budget
        # the fastest speed such that every slower candidate is within budget too
        ok = np.logical_and.accumulate(ok, axis=1)
        return grid[ok.sum(axis=1) - 1]


@functools.lru_cache(maxsize=4)
def load_guard(path: str | os.PathLike | None = None) -> Guard:
    """The guard at ``path`` (default: the bundled model), loaded once per process."""
    return Guard(bundled_path() if path is None else path)
