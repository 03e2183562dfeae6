"""Pitch-preserving time-scale modification (TSM) of speech.

``stretch(x, out_samples, method=...)`` returns exactly ``out_samples`` samples. ``x`` may carry
real context on both sides (``lead``/``trail`` samples) so frames near the edges see real audio.

Methods: ``"wsola"`` (ours: waveform-similarity overlap-add, the default; see
``benchmarks/tsm_choice.py`` for why), and, with the ``[tsm]`` extra, ``"rubberband"``
(pedalboard), ``"signalsmith"`` (python-stretch) and ``"audiotsm"`` (audiotsm's WSOLA).
"""

from __future__ import annotations

import numpy as np

from .errors import MissingDependencyError, OptionsError
from .units import FRAME_SAMPLES, SAMPLE_RATE

TSM_METHODS = ("wsola", "rubberband", "signalsmith", "audiotsm")

#: WSOLA frame (32 ms), synthesis hop (half a frame) and search tolerance (+-10 ms).
WSOLA_FRAME = FRAME_SAMPLES
WSOLA_HOP = WSOLA_FRAME // 2
WSOLA_TOLERANCE = SAMPLE_RATE // 100
_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WSOLA_FRAME) / WSOLA_FRAME)).astype(np.float32)


def wsola(x: np.ndarray, out_samples: int, lead: int = 0, trail: int = 0) -> np.ndarray:
    """Time-scale ``x[lead:len(x)-trail]`` to ``out_samples`` samples at one speed with WSOLA."""
    n = len(x) - lead - trail
    return wsola_curve(x, np.array([0, n]), np.array([0, out_samples]), lead, trail)


def wsola_curve(
    x: np.ndarray, in_knots: np.ndarray, out_knots: np.ndarray, lead: int = 0, trail: int = 0
) -> np.ndarray:
    """Variable-rate WSOLA: time-scale ``x[lead:len(x)-trail]`` so that input position
    ``in_knots[i]`` lands at output position ``out_knots[i]`` (both increasing, from 0 to the
    core's length and to the output length), linearly in between.

    Output frame ``k`` is centred at ``k * hop``; its nominal input centre is the map's inverse
    at ``k * hop`` (so the read position advances by ``hop x s(t)``, the local speed). The frame
    is searched within +-``WSOLA_TOLERANCE`` of it for the best cross-correlation with the
    natural continuation of the previous frame, so overlapping frames add in phase and pitch is
    kept. Frame 0 is taken at its nominal position, so the output starts exactly where the
    input does. One speed (two knots) is the classic WSOLA.
    """
    in_knots = np.asarray(in_knots, np.float64)
    out_knots = np.asarray(out_knots, np.float64)
    n, out_samples = len(x) - lead - trail, int(out_knots[-1])
    if (
        out_samples <= 0
        or n <= 0
        or len(in_knots) != len(out_knots)
        or len(in_knots) < 2
        or in_knots[0] != 0
        or out_knots[0] != 0
        or in_knots[-1] != n
        or np.any(np.diff(in_knots) <= 0)
        or np.any(np.diff(out_knots) <= 0)
    ):
        raise OptionsError(f"cannot stretch {n} samples to {out_samples}")
    half, tol, hop = WSOLA_FRAME // 2, WSOLA_TOLERANCE, WSOLA_HOP
    pad = half + tol + WSOLA_FRAME
    xp = np.zeros(len(x) + 2 * pad, np.float32)
    xp[pad : pad + len(x)] = x
    origin = pad + lead - half  # xp index where the frame centred on input sample 0 starts
    n_frames = out_samples // hop + 2
    centres = np.arange(n_frames, dtype=np.float64) * hop
    nominal_in = np.interp(centres, out_knots, in_knots)
    beyond = centres > out_knots[-1]  # past the end: continue at the last piece's speed
    last_speed = (in_knots[-1] - in_knots[-2]) / (out_knots[-1] - out_knots[-2])
    nominal_in[beyond] = in_knots[-1] + (centres[beyond] - out_knots[-1]) * last_speed
    nominal = origin + np.round(nominal_in).astype(np.int64)
    nominal = np.clip(nominal, tol, len(xp) - tol - WSOLA_FRAME)
    out = np.zeros(n_frames * hop + WSOLA_FRAME, np.float32)
    norm = np.zeros_like(out)
    prev = int(nominal[0])
    for k in range(n_frames):
        nom = int(nominal[k])
        if k == 0:
            pos = nom
        else:
            template = xp[prev + hop : prev + hop + WSOLA_FRAME]
            region = xp[nom - tol : nom + tol + WSOLA_FRAME]
            pos = nom - tol + int(np.argmax(np.correlate(region, template, mode="valid")))
        out[k * hop : k * hop + WSOLA_FRAME] += xp[pos : pos + WSOLA_FRAME] * _WINDOW
        norm[k * hop : k * hop + WSOLA_FRAME] += _WINDOW
        prev = pos
    y = out[half : half + out_samples] / np.maximum(norm[half : half + out_samples], 1e-3)
    return y.astype(np.float32)


def _fit(y: np.ndarray, out_samples: int) -> np.ndarray:
    """Trim or edge-pad a library's output to exactly ``out_samples``."""
    y = np.asarray(y, np.float32).reshape(-1)
    if len(y) >= out_samples:
        return y[:out_samples]
    return np.pad(y, (0, out_samples - len(y)), mode="edge" if len(y) else "constant")


def stretch(
    x: np.ndarray, out_samples: int, method: str = "wsola", lead: int = 0, trail: int = 0
) -> np.ndarray:
    """Time-scale the core of ``x`` (without ``lead``/``trail`` context) to ``out_samples``."""
    if method == "wsola":
        return wsola(x, out_samples, lead, trail)
    core = np.array(
        x[lead : len(x) - trail], dtype=np.float32
    )  # writable copy: some bindings insist
    speed = len(core) / out_samples
    try:
        if method == "rubberband":
            import pedalboard

            y = pedalboard.time_stretch(core[None, :], SAMPLE_RATE, speed)[0]
        elif method == "signalsmith":
            import python_stretch.Signalsmith as signalsmith

            st = signalsmith.Stretch()
            st.preset(1, SAMPLE_RATE)
            st.setTimeFactor(speed)
            y = st.process(core[None, :])[0]
        elif method == "audiotsm":
            from audiotsm import wsola as audiotsm_wsola
            from audiotsm.io.array import ArrayReader, ArrayWriter

            writer = ArrayWriter(1)
            audiotsm_wsola(1, speed=speed).run(ArrayReader(core[None, :]), writer)
            y = writer.data[0]
        else:
            raise OptionsError(
                f"unknown TSM method {method!r}; choose one of {', '.join(TSM_METHODS)}"
            )
    except ImportError as e:
        raise MissingDependencyError(
            f"TSM method {method!r} needs an optional package ({e.name}); "
            "install it with: pip install 'audiosqueeze[tsm]'"
        ) from e
    return _fit(y, out_samples)


def stretch_curve(
    x: np.ndarray,
    in_knots: np.ndarray,
    out_knots: np.ndarray,
    method: str = "wsola",
    lead: int = 0,
    trail: int = 0,
) -> np.ndarray:
    """Time-scale the core of ``x`` along a piecewise-linear map (see :func:`wsola_curve`).

    WSOLA follows the map frame by frame; the library methods take one speed per piece and
    their pieces are concatenated."""
    if method == "wsola":
        return wsola_curve(x, in_knots, out_knots, lead, trail)
    if len(in_knots) == 2:
        return stretch(x, int(out_knots[-1]), method, lead, trail)
    core = x[lead : len(x) - trail]
    parts = []
    for i in range(len(in_knots) - 1):
        a, b = int(in_knots[i]), int(in_knots[i + 1])
        parts.append(stretch(core[a:b], int(out_knots[i + 1] - out_knots[i]), method))
    return np.concatenate(parts)
