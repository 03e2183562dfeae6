"""WSOLA's lag search: where a frame fits best among the candidates near its nominal position.

:func:`best_lag` is the readable reference; :class:`LagSearch` is what
:class:`audiosqueeze.tsm.CurveWSOLA` runs for every frame, the same arithmetic with its
scratch arrays kept, and the normalised search's denominators made for many frames at once.
"""

from __future__ import annotations

import numpy as np


def best_lag(region: np.ndarray, template: np.ndarray, normalised: bool = False) -> int:
    """Where in ``region`` ``template`` fits best: the lag of the largest cross-correlation,
    divided by the candidate's own energy when ``normalised`` (so a louder stretch that merely
    correlates does not beat a quieter one of the same shape)."""
    c = np.correlate(region, template, mode="valid")
    if normalised:
        e = np.concatenate([[0.0], np.cumsum(region.astype(np.float64) ** 2)])
        n = len(template)
        c = c / np.sqrt(e[n:] - e[:-n] + 1e-9)
    return int(np.argmax(c))


class LagSearch:
    """:func:`best_lag` (the readable reference) for one region and template length, with its
    scratch arrays kept between frames instead of made anew for each: the same arithmetic in
    the same order, so the same lag bit for bit (tests compare them); WSOLA's share of the
    core's CPU fell from 30 to 28 % (``docs/results/speed-v12.txt``).

    The normalised search's denominators (each candidate's energy) do not depend on the
    template, so the renderer computes them for many frames at once with
    :meth:`denominators` (rows summed in the same order, so the same values) and hands each
    frame's row to the call."""

    def __init__(self, frame: int, tolerance: int, normalised: bool):
        self.frame, self.normalised = frame, normalised
        self._square = np.empty(frame + 2 * tolerance, np.float64)
        self._energy = np.zeros(frame + 2 * tolerance + 1, np.float64)  # [0] stays 0
        self._score = np.empty(2 * tolerance + 1, np.float64)

    def denominators(self, regions: np.ndarray) -> np.ndarray:
        """``sqrt(energy + 1e-9)`` of every candidate of each row of ``regions`` (m, region
        length): the normalised search's denominators, one row per region."""
        n = self.frame
        e = np.zeros((len(regions), regions.shape[1] + 1), np.float64)
        np.cumsum(np.square(regions, dtype=np.float64), axis=1, out=e[:, 1:])
        d = e[:, n:] - e[:, :-n]
        d += 1e-9
        return np.sqrt(d, out=d)

    def __call__(self, region: np.ndarray, template: np.ndarray, denominator=None) -> int:
        """The best lag; ``denominator``: this region's row of :meth:`denominators`, if made."""
        c = np.correlate(region, template, mode="valid")
        if not self.normalised:
            return int(c.argmax())
        score = self._score
        if denominator is None:
            n, e = self.frame, self._energy
            np.square(region, out=self._square, dtype=np.float64)
            np.cumsum(self._square, out=e[1:])
            np.subtract(e[n:], e[:-n], out=score)
            score += 1e-9
            denominator = np.sqrt(score, out=score)
        np.divide(c, denominator, out=score)
        return int(score.argmax())
