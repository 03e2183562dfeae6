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
    """Time-scale ``x[lead:len(x)-trail]`` to ``out_samples`` samples with WSOLA.

    Output frame ``k`` is centred at ``k * hop``; its input frame is searched within
    +-``WSOLA_TOLERANCE`` of the nominal position ``k * hop * speed`` for the best
    cross-correlation with the natural continuation of the previous frame, so overlapping
    frames add in phase and pitch is kept. Frame 0 is taken at its nominal position, so the
    output starts exactly where the input does.
    """
    n = len(x) - lead - trail
    if out_samples <= 0 or n <= 0:
        raise OptionsError(f"cannot stretch {n} samples to {out_samples}")
    speed = n / out_samples
    half, tol, hop = WSOLA_FRAME // 2, WSOLA_TOLERANCE, WSOLA_HOP
    pad = half + tol + WSOLA_FRAME
    xp = np.zeros(len(x) + 2 * pad, np.float32)
    xp[pad : pad + len(x)] = x
    origin = pad + lead - half  # xp index where the frame centred on input sample 0 starts
    n_frames = out_samples // hop + 2
    out = np.zeros(n_frames * hop + WSOLA_FRAME, np.float32)
    norm = np.zeros_like(out)
    prev = origin
    for k in range(n_frames):
        nominal = origin + int(round(k * hop * speed))
        if k == 0:
            pos = nominal
        else:
            template = xp[prev + hop : prev + hop + WSOLA_FRAME]
            region = xp[nominal - tol : nominal + tol + WSOLA_FRAME]
            pos = nominal - tol + int(np.argmax(np.correlate(region, template, mode="valid")))
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
