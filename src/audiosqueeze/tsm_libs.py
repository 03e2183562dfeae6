"""The time-stretch libraries the benchmark compares with our WSOLA (the ``[tsm]`` extra):
Rubber Band (pedalboard), Signalsmith Stretch (python-stretch) and audiotsm's WSOLA, each at
one speed, trimmed or padded to the length asked for."""

from __future__ import annotations

import numpy as np

from .errors import MissingDependencyError, OptionsError
from .units import SAMPLE_RATE

#: Zeros after a piece given to audiotsm: enough for its output to reach the piece's planned
#: length at every speed from 0.5x to 2x (a test checks it).
_AUDIOTSM_TAIL = 4096


def _fit(y: np.ndarray, out_samples: int) -> np.ndarray:
    """Trim or edge-pad a library's output to exactly ``out_samples``."""
    y = np.asarray(y, np.float32).reshape(-1)
    if len(y) >= out_samples:
        return y[:out_samples]
    return np.pad(y, (0, out_samples - len(y)), mode="edge" if len(y) else "constant")


def library_stretch(core: np.ndarray, out_samples: int, method: str) -> np.ndarray:
    """``core`` time-scaled to ``out_samples`` by the library ``method`` names."""
    core = np.array(core, dtype=np.float32)  # a writable copy: some bindings insist
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

            # audiotsm drops its last frames (up to ~1,700 samples short); stretched zeros after
            # the piece let its real end come out before the trim
            padded = np.concatenate([core, np.zeros(_AUDIOTSM_TAIL, np.float32)])
            writer = ArrayWriter(1)
            audiotsm_wsola(1, speed=speed).run(ArrayReader(padded[None, :]), writer)
            y = writer.data[0]
        else:
            raise OptionsError(f"unknown TSM method {method!r}")
    except ImportError as e:
        raise MissingDependencyError(
            f"TSM method {method!r} needs an optional package ({e.name}); "
            "install it with: pip install 'audiosqueeze[tsm]'"
        ) from e
    return _fit(y, out_samples)
