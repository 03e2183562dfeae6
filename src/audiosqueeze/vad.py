"""Voice activity detection backends behind one small interface.

Every backend is a stateful processor on the analysis grid: ``process(frames)`` takes
``(n, FRAME_SAMPLES)`` float32 frames that follow the previous call's and returns one speech
probability per frame; ``reset()`` starts a new stream. Chunking never changes the result.

- ``silero``: Silero VAD v6, the 16 kHz sequence ONNX model, run by ONNX Runtime (no torch).
  The model file is found, never downloaded: ``model_path=``, then ``$AUDIOSQUEEZE_SILERO_VAD``,
  then the ``silero_vad`` package's data folder (``pip install --no-deps silero-vad``: its
  own dependency on torch is not needed), then faster-whisper's bundled copy.
- ``webrtc``: WebRTC's GMM VAD (``webrtcvad-wheels``), on the first 30 ms of each 32 ms frame.
- ``energy``: no model; level above a tracked noise floor, gated by spectral flatness.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import os
from pathlib import Path

import numpy as np

from . import features
from .errors import ModelNotFoundError, OptionsError
from .units import FRAME_SAMPLES, SAMPLE_RATE

SILERO_ENV = "AUDIOSQUEEZE_SILERO_VAD"
_SILERO_CONTEXT = 64  # samples of the previous frame the v6 model sees before each frame
#: frames per ONNX run (2 s): ONNX Runtime keeps the memory of the largest run it has made,
#: so a caller handing over a long array at once does not grow it without bound
_SILERO_BATCH = 64
SILERO_INSTALL_HINT = (
    "install the model without torch: pip install --no-deps 'silero-vad==6.2.3' "
    "(or pip install 'audiosqueeze[whisper]'), or point $AUDIOSQUEEZE_SILERO_VAD at a "
    "Silero v6 16 kHz sequence .onnx file"
)

VAD_NAMES = ("silero", "webrtc", "energy")


def find_silero_model(model_path: str | os.PathLike | None = None) -> Path:
    """Locate the Silero VAD v6 sequence ONNX file without importing torch or downloading."""
    tried: list[str] = []
    explicit = model_path or os.environ.get(SILERO_ENV)
    if explicit:
        p = Path(explicit)
        if p.is_file():
            return p
        what = "is not a file" if p.exists() else "does not exist"
        raise ModelNotFoundError(f"Silero VAD model {str(p)!r} {what}")
    for package, rel in (
        ("silero_vad", "data/silero_vad_16k_sequence.onnx"),
        ("faster_whisper", "assets/silero_vad_v6.onnx"),
    ):
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            tried.append(f"{package} (not installed)")
            continue
        p = Path(spec.origin).parent / rel
        if p.is_file():
            return p
        tried.append(str(p))
    raise ModelNotFoundError(
        f"Silero VAD model not found (looked in: {', '.join(tried)}); {SILERO_INSTALL_HINT}"
    )


@functools.lru_cache(maxsize=4)
def _onnx_session(path: str, num_threads: int):
    """``(session, feeds)``: the faster graph of :mod:`audiosqueeze.silero_graph` where it gives
    the model's own outputs bit for bit, else the model as it is (no feeds)."""
    import onnxruntime as ort

    from .silero_graph import fast_silero_session, release_freed_memory

    def make(model):
        so = ort.SessionOptions()
        so.intra_op_num_threads = num_threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        return ort.InferenceSession(model, sess_options=so, providers=["CPUExecutionProvider"])

    try:
        original = make(path)
        _check_silero(original)
    except Exception as e:  # onnxruntime raises its own types for a bad file
        raise ModelNotFoundError(
            f"{path!r} is not a usable Silero VAD model ({e}); {SILERO_INSTALL_HINT}"
        ) from None
    fast = fast_silero_session(path, original, make)
    chosen = (original, {}) if fast is None else fast
    del original, fast
    release_freed_memory()  # of the session dropped, either one
    return chosen


def _check_silero(session) -> None:
    """One run on a frame of silence: the inputs and outputs :class:`SileroVAD` uses (another
    ONNX model fails here, not at its first real frame)."""
    state = np.zeros((1, 1, 128), np.float32)
    feeds = {"input": np.zeros((1, _SILERO_CONTEXT + FRAME_SAMPLES), np.float32)}
    p, h, c = session.run(None, {**feeds, "h": state, "c": state})
    if np.shape(p) != (1,) or np.shape(h) != state.shape or np.shape(c) != state.shape:
        raise ValueError(f"outputs of shapes {np.shape(p)}, {np.shape(h)}, {np.shape(c)}")


class SileroVAD:
    """Silero VAD v6 through ONNX Runtime, fed whole batches of frames per ``run`` call."""

    name = "silero"
    stateful = True  #: a recurrent state that ``AnalyzeOptions.vad_reset_ms`` may reset
    level_gain = True  #: hears its input through ``LevelGain`` (it misses speech below ~-55 dBFS)

    def __init__(self, model_path: str | os.PathLike | None = None, num_threads: int = 1):
        self.model_path = find_silero_model(model_path)
        self._session, self._feeds = _onnx_session(str(self.model_path), int(num_threads))
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(_SILERO_CONTEXT, np.float32)

    def process(self, frames: np.ndarray) -> np.ndarray:
        if len(frames) == 0:
            return np.zeros(0, np.float32)
        context = np.empty((len(frames), _SILERO_CONTEXT), np.float32)
        context[0] = self._context
        context[1:] = frames[:-1, -_SILERO_CONTEXT:]
        x = np.concatenate([context, frames], axis=1)
        out = []
        for i in range(0, len(x), _SILERO_BATCH):
            p, self._h, self._c = self._session.run(
                None,
                {"input": x[i : i + _SILERO_BATCH], "h": self._h, "c": self._c, **self._feeds},
            )
            out.append(p.reshape(-1))
        self._context = frames[-1, -_SILERO_CONTEXT:].copy()
        return np.concatenate(out).astype(np.float32)


class WebRTCVAD:
    """WebRTC VAD; each 32 ms frame is judged on its first 30 ms (the longest frame it takes)."""

    name = "webrtc"
    level_gain = True
    _N = SAMPLE_RATE * 30 // 1000

    def __init__(self, mode: int = 2):
        if mode not in (0, 1, 2, 3):
            raise OptionsError(f"webrtc_mode must be 0, 1, 2 or 3, got {mode!r}")
        self.mode = mode
        self.reset()

    def reset(self) -> None:
        import webrtcvad

        self._vad = webrtcvad.Vad(self.mode)

    def process(self, frames: np.ndarray) -> np.ndarray:
        pcm = (np.clip(frames[:, : self._N], -1.0, 1.0) * 32767).astype("<i2")
        is_speech = self._vad.is_speech
        return np.fromiter(
            (is_speech(row.tobytes(), SAMPLE_RATE) for row in pcm), dtype=np.float32, count=len(pcm)
        )


class EnergyVAD:
    """Model-free fallback: speech is loud relative to the noise floor and not spectrally flat.

    ``p = sigmoid((level - floor - snr_db) / 2) * sigmoid((0.4 - flatness) / 0.08)``; the floor
    is a causal minimum tracker that rises at most ``floor_rise_db_per_s``.
    """

    name = "energy"

    def __init__(self, snr_db: float = 10.0, floor_rise_db_per_s: float = 3.0):
        self.snr_db = snr_db
        self.tracker = NoiseFloorTracker(floor_rise_db_per_s)

    def reset(self) -> None:
        self.tracker.reset()

    def process(self, frames: np.ndarray) -> np.ndarray:
        level = features.level_db(frames)
        flat = features.flatness(features.magnitude(frames))
        floor = self.tracker.update(level)
        loud = 1.0 / (1.0 + np.exp(-(level - floor - self.snr_db) / 2.0))
        voiced = 1.0 / (1.0 + np.exp(-(0.4 - flat) / 0.08))
        return (loud * voiced).astype(np.float32)


class LevelGain:
    """A causal gain on a VAD's input, so the VAD hears quiet recordings at a working level.

    Each frame is raised by ``min(level_dbfs - envelope, floor_dbfs - noise floor)``, clipped
    to ``[0, max_gain_db]``: the envelope follows the loudest frame so far at once and falls by
    ``decay_db_per_s``; the noise floor is the caller's causal estimate. The second bound keeps
    the background under ``floor_dbfs``, so speech keeps its contrast with what precedes it
    (raising a -67 dB background to -37 dB made Silero miss first words on dev). Only the
    VAD's input is scaled. Frame by frame and carried across calls, so the gains do not depend
    on how the audio was chunked.
    """

    def __init__(
        self,
        level_dbfs: float = -45.0,
        max_gain_db: float = 30.0,
        floor_dbfs: float = -70.0,
        decay_db_per_s: float = 3.0,
    ):
        self.level_dbfs = float(level_dbfs)
        self.max_gain_db = float(max_gain_db)
        self.floor_dbfs = float(floor_dbfs)
        self._decay = float(decay_db_per_s) * FRAME_SAMPLES / SAMPLE_RATE
        self.reset()

    def reset(self) -> None:
        self._t = 0  # frames seen
        self._top = -math.inf  # running max of level + decay * t: the envelope plus decay * t

    def restart(self) -> None:
        """Forget the envelope (the next frame starts it again); the frame count goes on."""
        self._top = -math.inf

    def process(self, frames: np.ndarray, level_db: np.ndarray, floor_db: np.ndarray) -> np.ndarray:
        """``frames`` (n, FRAME_SAMPLES) scaled by their gains; ``level_db`` their RMS levels,
        ``floor_db`` the noise floor at each."""
        if self.max_gain_db <= 0 or not len(frames):
            return frames
        # envelope_t = max over s <= t of (level_s - decay * (t - s)), as a running max on the
        # global frame index: the same values whatever the chunking (as NoiseFloorTracker)
        t = self._t + np.arange(len(level_db), dtype=np.float64)
        top = np.maximum.accumulate(np.concatenate([[self._top], level_db + self._decay * t]))[1:]
        self._t += len(level_db)
        self._top = top[-1]
        want = np.minimum(self.level_dbfs - (top - self._decay * t), self.floor_dbfs - floor_db)
        gain = np.clip(want, 0.0, self.max_gain_db)
        if not gain.any():
            return frames
        return (frames * np.power(10.0, gain / 20.0)[:, None]).astype(np.float32)


class NoiseFloorTracker:
    """Causal noise-floor estimate: ``floor_t = min(level_t, floor_t-1 + rise)`` per frame.

    The floor starts at ``initial_db`` (a quiet room), so audio that opens with speech is not
    taken for noise. Written as a running minimum of ``level_t - rise * t`` so a chunk is one
    vectorised call.
    """

    def __init__(self, rise_db_per_s: float = 3.0, initial_db: float = -70.0):
        self.rise = rise_db_per_s * FRAME_SAMPLES / SAMPLE_RATE
        self.initial_db = initial_db
        self.reset()

    def reset(self) -> None:
        self._t = 0
        self._g = self.initial_db

    def update(self, level: np.ndarray) -> np.ndarray:
        t = self._t + np.arange(len(level), dtype=np.float64)
        g = np.minimum.accumulate(np.concatenate([[self._g], level - self.rise * t]))[1:]
        self._t += len(level)
        if len(g):
            self._g = g[-1]
        return g + self.rise * t


def make_vad(
    name: str,
    *,
    model_path=None,
    num_threads: int = 1,
    webrtc_mode: int = 2,
    floor_rise_db_per_s: float = 3.0,
):
    """Build a VAD backend by name: ``"silero"``, ``"webrtc"`` or ``"energy"``."""
    if name == "silero":
        return SileroVAD(model_path, num_threads)
    if name == "webrtc":
        return WebRTCVAD(webrtc_mode)
    if name == "energy":
        return EnergyVAD(floor_rise_db_per_s=floor_rise_db_per_s)
    raise OptionsError(f"unknown VAD {name!r}; choose one of {', '.join(VAD_NAMES)}")
