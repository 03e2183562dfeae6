"""Analyze: what each stretch of audio is (silence, noise, speech) and how hard the speech is.

The :class:`Analyzer` is a streaming processor (``push``/``flush``/``reset``); :func:`analyze`
runs it to the end, so offline and streaming analysis make the same decisions. Frame labels
need a fixed look-ahead of ``speech_pad_ms + min_speech_ms`` (about 0.2 s by default).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from . import features, validate
from .errors import OptionsError
from .segments import FRAME_FIELDS, KINDS, Analysis, Frames, Segment, SegmentStore
from .units import FRAME_SAMPLES, SAMPLE_RATE, to_seconds
from .vad import VAD_NAMES, LevelGain, NoiseFloorTracker, make_vad

__all__ = ["KINDS", "Analysis", "AnalyzeOptions", "Analyzer", "Segment", "complexity"]

#: Bounds of ``AnalyzeOptions.max_segment_ms`` (the CLI and the WebSocket check against them).
SEGMENT_MS_RANGE = (64.0, 3_600_000.0)
_FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
#: the second of loud non-speech ``AnalyzeOptions.vad_reset_drop_db`` looks back over, in frames
_DROP_FRAMES = round(1.0 / _FRAME_S)


@dataclass(frozen=True)
class AnalyzeOptions:
    """How audio is classified. Durations in ms are rounded to 32 ms frames."""

    vad: str = "silero"  #: VAD backend: "silero" (ONNX), "webrtc" or "energy" (no model)
    speech_threshold: float = 0.5  #: VAD probability at which speech starts
    release_threshold: float = 0.35  #: probability below which speech ends (hysteresis)
    min_speech_ms: float = 96.0  #: speech runs shorter than this are treated as non-speech
    speech_pad_ms: float = 32.0  #: speech is widened by this on both sides (keeps word edges)
    max_segment_ms: float = 64.0  #: longer runs are split (bounds the stream's latency)
    #: Silero's recurrent state is reset after this much unbroken non-speech (probability
    #: under ``release_threshold``), so a long stretch of music or noise cannot leave it deaf
    #: to quiet speech that follows (chosen on dev, docs/RESULTS.md); 0 = never; stateless
    #: VADs ignore it
    vad_reset_ms: float = 10_000.0
    #: where loud non-speech ends (a frame this many dB under every frame of the second before,
    #: all of them non-speech and at or above ``silence_dbfs``), Silero's state is reset and
    #: the VAD gain's envelope restarts, so quiet speech right after loud noise is heard
    #: (chosen on dev by a rule set before the run, docs/RESULTS.md); 0 = never
    vad_reset_drop_db: float = 20.0
    #: ... but only where every VAD probability of that second stayed under this (the VAD was
    #: sure it heard no speech: noise, not babble); 1.0 = after any non-speech
    vad_reset_drop_max_prob: float = 0.1
    #: the most the VAD's input may be raised (``vad.LevelGain``: a causal gain on what the VAD
    #: hears, towards ``vad_level_dbfs``; levels, cues and output are untouched), so quiet
    #: recordings are not taken for silence: Silero misses speech under about -55 dBFS and
    #: a recording 30 dB too quiet cost the default 2-8 points of WER without it. The values
    #: were chosen on dev by a rule set before the run (docs/RESULTS.md); 0 = off
    vad_max_gain_db: float = 30.0
    vad_level_dbfs: float = -45.0  #: the gain raises the loudest recent frame towards this
    vad_floor_dbfs: float = -70.0  #: the gain never raises the tracked noise floor above this
    silence_dbfs: float = -50.0  #: non-speech whose median level is below this is silence
    stationary_max_std_db: float = 3.0  #: noise whose level varies less than this is stationary
    floor_rise_db_per_s: float = 3.0  #: how fast the tracked noise floor may rise
    webrtc_mode: int = 2  #: WebRTC aggressiveness, 0..3
    num_threads: int = 1  #: ONNX Runtime intra-op threads for Silero
    vad_model_path: str | None = None  #: explicit Silero .onnx (else found, see vad.py)

    def __post_init__(self) -> None:
        validate.choice("vad", self.vad, VAD_NAMES)
        validate.number(
            "speech_threshold", self.speech_threshold, 0.0, 1.0, lo_open=True, hi_open=True
        )
        validate.number(
            "release_threshold", self.release_threshold, 0.0, self.speech_threshold, lo_open=True
        )
        validate.number("min_speech_ms", self.min_speech_ms, 0.0, 10_000.0)
        validate.number("speech_pad_ms", self.speech_pad_ms, 0.0, 10_000.0)
        validate.number("max_segment_ms", self.max_segment_ms, *SEGMENT_MS_RANGE)
        validate.number("vad_reset_ms", self.vad_reset_ms, 0.0, SEGMENT_MS_RANGE[1])
        if 0 < self.vad_reset_ms < _FRAME_S * 1000:
            raise OptionsError(
                f"vad_reset_ms must be 0 (never) or at least one 32 ms frame, got "
                f"{self.vad_reset_ms!r}"
            )
        validate.number("vad_reset_drop_db", self.vad_reset_drop_db, 0.0, 200.0)
        validate.number(
            "vad_reset_drop_max_prob", self.vad_reset_drop_max_prob, 0.0, 1.0, lo_open=True
        )
        validate.number("vad_level_dbfs", self.vad_level_dbfs, -100.0, 0.0)
        validate.number("vad_max_gain_db", self.vad_max_gain_db, 0.0, 60.0)
        validate.number("vad_floor_dbfs", self.vad_floor_dbfs, -100.0, 0.0)
        validate.number("silence_dbfs", self.silence_dbfs, -200.0, 0.0)
        validate.number("stationary_max_std_db", self.stationary_max_std_db, 0.0)
        validate.number("floor_rise_db_per_s", self.floor_rise_db_per_s, 0.0, 1000.0)
        validate.integer("webrtc_mode", self.webrtc_mode, 0, 3)
        validate.integer("num_threads", self.num_threads, 1, 256)
        if self.vad_model_path is not None and not isinstance(
            self.vad_model_path, (str, os.PathLike)
        ):
            raise OptionsError(
                f"vad_model_path must be a path or None, got {self.vad_model_path!r}"
            )


#: Each cue's (easy end, hard end) in :func:`complexity`: the 10th and 90th percentiles over
#: dev speech runs of at least 1 s, rounded (``benchmarks/cue_ranges.py`` measures them again).
CUE_ENDS = {"syllable_rate_hz": (2.4, 3.8), "snr_db": (60.0, 24.0), "spectral_flux": (0.325, 0.405)}


def complexity(rate_hz: float, snr_db: float, flux: float) -> float:
    """How hard a speech segment is to recognise once compressed, in [0, 1].

    Weighted mean of three cues, each mapped linearly to [0, 1] from its easy end to its hard
    end (:data:`CUE_ENDS`). The ends are the 10th and 90th percentiles of the cue over speech
    segments (>= 1 s) of 200 random dev-split clips (LibriSpeech train/dev, Common Voice
    cv-valid-dev); ``benchmarks/cue_ranges.py`` measures them again on today's analysis:

    - **speaking rate** (weight 0.5): syllable nuclei per second, counted as peaks (prominence
      >= 4 dB, >= 96 ms apart) of the 300-3400 Hz band level; easy <= 2.4 /s, hard >= 3.8 /s.
      The peak count under-counts true syllables, but ranks speakers: fast speech has no
      slack left to remove.
    - **SNR** (weight 0.3): median speech level over the tracked noise floor; easy >= 60 dB,
      hard <= 24 dB. Noisy speech loses cues when shortened.
    - **spectral flux** (weight 0.2): mean share of each frame's spectrum that is new; easy
      <= 0.325, hard >= 0.405. High flux means rapid articulation changes.
    """

    def ramp(x: float, easy: float, hard: float) -> float:
        return min(1.0, max(0.0, float((x - easy) / (hard - easy))))

    c = (
        0.5 * ramp(rate_hz, *CUE_ENDS["syllable_rate_hz"])
        + 0.3 * ramp(snr_db, *CUE_ENDS["snr_db"])
        + 0.2 * ramp(flux, *CUE_ENDS["spectral_flux"])
    )
    return round(c, 4)


def _window_sum(x: np.ndarray, w: int) -> np.ndarray:
    s = np.concatenate([[0], np.cumsum(x, dtype=np.int64)])
    return s[w:] - s[:-w]


class Analyzer:
    """Streaming analysis: ``push(samples) -> closed segments``, ``flush()``, ``reset()``.
    After ``flush()`` the recording is over: ``push`` refuses input until ``reset()``.

    >>> import numpy as np
    >>> a = Analyzer(AnalyzeOptions(vad="energy"))
    >>> segs = a.push(np.zeros(16000, np.float32)) + a.flush()
    >>> len(segs), [(s.start, s.end) for s in segs[-2:]]  # pieces of at most max_segment_ms
    (16, [(14336, 15360), (15360, 16000)])
    >>> [(s.kind, s.start, s.end) for s in a.result().runs]
    [('silence', 0, 16000)]
    """

    def __init__(self, options: AnalyzeOptions | None = None, vad=None):
        self.options = options or AnalyzeOptions()
        o = self.options
        self.vad = vad or make_vad(
            o.vad,
            model_path=o.vad_model_path,
            num_threads=o.num_threads,
            webrtc_mode=o.webrtc_mode,
            floor_rise_db_per_s=o.floor_rise_db_per_s,
        )
        self._m = max(1, math.ceil(o.min_speech_ms / 1000 / _FRAME_S))
        self._p = round(o.speech_pad_ms / 1000 / _FRAME_S)
        self._k = self._p + self._m - 1  # look-ahead (and look-back) of frame labels, in frames
        self._max_frames = int(o.max_segment_ms / 1000 / _FRAME_S)
        stateful = getattr(self.vad, "stateful", False)
        self._reset_frames = int(o.vad_reset_ms / 1000 / _FRAME_S) if stateful else 0
        self._floor = NoiseFloorTracker(o.floor_rise_db_per_s)
        gain = o.vad_max_gain_db if getattr(self.vad, "level_gain", False) else 0.0
        self._gain = LevelGain(o.vad_level_dbfs, gain, o.vad_floor_dbfs)
        self._drop = o.vad_reset_drop_db if (stateful or gain) else 0.0
        self._drop_prob = o.vad_reset_drop_max_prob
        self.reset()

    def reset(self) -> None:
        self.vad.reset()
        self._gain.reset()
        self._floor.reset()
        self._pending = np.zeros(0, np.float32)
        self._num_samples = 0
        self._in_speech = False
        self._raw = np.zeros(self._k, bool)  # raw labels, frames [next_out - k, ...)
        self._feats: dict[str, np.ndarray] = {k: np.zeros(0) for k in FRAME_FIELDS}
        self._prev_mag: np.ndarray | None = None
        self._quiet_run = 0  # frames of unbroken non-speech the VAD state has seen
        self._recent = np.zeros(0)  # the levels of the last _DROP_FRAMES frames
        self._recent_probs = np.zeros(0, np.float32)  # and their VAD probabilities
        self._next_out = 0
        # the open segment: label, first frame, and its parts as (block, offset, frames)
        self._open: tuple[bool, int, list[tuple[np.ndarray, int, int]]] | None = None
        self._probs: list[np.ndarray] = []
        self._segments = SegmentStore()
        self._flushed = False

    # -- streaming interface -------------------------------------------------------------
    def push(self, samples: np.ndarray) -> list[Segment]:
        """Feed the next samples (16 kHz mono float32); returns segments closed by them."""
        if self._flushed:
            raise OptionsError("this analyzer is flushed; call reset() to start a new one")
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        self._num_samples += len(samples)
        buf = np.concatenate([self._pending, samples])
        whole = len(buf) - len(buf) % FRAME_SAMPLES
        self._pending = buf[whole:].copy()
        return self._frames(features.frames_of(buf[:whole]), final=False)

    def flush(self) -> list[Segment]:
        """End of stream: label the last frames and close the open segment (again: nothing)."""
        if self._flushed:
            return []
        tail = np.zeros((0, FRAME_SAMPLES), np.float32)
        if len(self._pending):
            tail = np.pad(self._pending, (0, FRAME_SAMPLES - len(self._pending)))[None, :]
            self._pending = np.zeros(0, np.float32)
        out = self._frames(tail, final=True)
        if self._open is not None:
            out.append(self._close(self._num_samples))
        self._flushed = True
        return out

    def result(self) -> Analysis:
        """The whole analysis so far (call after :meth:`flush`)."""
        probs = np.concatenate(self._probs) if self._probs else np.zeros(0, np.float32)
        return Analysis(self._segments.snapshot(), self._num_samples, probs, self.vad.name)

    # -- internals -------------------------------------------------------------------------
    def _frames(self, frames: np.ndarray, final: bool) -> list[Segment]:
        o = self.options
        if len(frames):
            level = features.level_db(frames)
            floor = self._floor.update(level)
            prob = self._hear(frames, level, floor)
            mag = features.magnitude(frames)
            new = {
                "prob": prob,
                "level": level,
                "band": features.band_db(mag),
                "flux": features.flux(mag, self._prev_mag),
                "floor": floor,
            }
            self._prev_mag = mag[-1]
            self._probs.append(prob)
            for k, v in new.items():
                self._feats[k] = np.concatenate([self._feats[k], v])
            # hysteresis: on at >= speech_threshold, off below release_threshold, else hold
            event = np.where(
                prob >= o.speech_threshold, 1, np.where(prob < o.release_threshold, 0, -1)
            )
            idx = np.where(event >= 0, np.arange(len(event)), -1)
            last = np.maximum.accumulate(idx)
            raw = np.where(last >= 0, event[np.maximum(last, 0)] == 1, self._in_speech)
            self._in_speech = bool(raw[-1])
            self._raw = np.concatenate([self._raw, raw])
        if final:
            self._raw = np.concatenate([self._raw, np.zeros(self._k, bool)])
        ready = len(self._raw) - 2 * self._k  # frames whose look-ahead is complete
        if ready <= 0:
            return []
        m, p = self._m, self._p
        eroded = _window_sum(self._raw, m) == m
        opened = _window_sum(eroded, m) > 0
        labels = _window_sum(opened, 2 * p + 1) > 0 if p else opened
        assert len(labels) == ready
        chunk = np.stack([self._feats[k][:ready] for k in FRAME_FIELDS])
        self._feats = {k: v[ready:] for k, v in self._feats.items()}
        self._raw = self._raw[ready:]
        start = self._next_out
        self._next_out += ready
        return self._segment(labels, start, chunk)

    def _hear(self, frames: np.ndarray, level: np.ndarray, floor: np.ndarray) -> np.ndarray:
        """VAD probabilities of ``frames`` heard through the gain. Where loud non-speech ends
        (``vad_reset_drop_db``) the VAD's state and the gain's envelope start afresh. Where that
        may happen depends on levels alone, so the frames go in steps that end there, and
        whether it does on the VAD's earlier frames: never on chunking."""
        if not self._drop:
            return self._vad(self._gain.process(frames, level, floor))
        out, i = [], 0
        for k in [*self._drops(level), len(frames)]:
            if k > i:
                out.append(self._vad(self._gain.process(frames[i:k], level[i:k], floor[i:k])))
                self._recent_probs = np.concatenate([self._recent_probs, out[-1]])[-_DROP_FRAMES:]
                i = k
            sure = len(self._recent_probs) > 0 and self._recent_probs.max() < self._drop_prob
            if k < len(frames) and self._quiet_run >= _DROP_FRAMES and sure:
                self.vad.reset()
                self._gain.restart()
                self._quiet_run = 0
        return out[0] if len(out) == 1 else np.concatenate(out)

    def _drops(self, level: np.ndarray) -> list[int]:
        """Frames of ``level`` at least ``vad_reset_drop_db`` under every one of the
        ``_DROP_FRAMES`` frames before them, all of which are at or above ``silence_dbfs``."""
        seen = np.concatenate([self._recent, level])
        self._recent = seen[-_DROP_FRAMES:]
        if len(seen) <= _DROP_FRAMES:
            return []
        before = np.lib.stride_tricks.sliding_window_view(seen[:-1], _DROP_FRAMES)
        lo = before.min(axis=1)[max(0, len(seen) - len(level) - _DROP_FRAMES) :]
        at = seen[len(seen) - len(lo) :]
        hit = (lo >= self.options.silence_dbfs) & (at <= lo - self._drop)
        return (np.flatnonzero(hit) + len(level) - len(lo)).tolist()

    def _vad(self, frames: np.ndarray) -> np.ndarray:
        """VAD probabilities of ``frames``, resetting the VAD's state after every
        ``vad_reset_ms`` of unbroken non-speech. The frames go in steps that end exactly where
        a reset may fall, so where resets happen depends on the audio, never on chunking."""
        n = self._reset_frames
        if not n:
            p = self.vad.process(frames)
            if self._drop:  # the drop reset needs the run even where vad_reset_ms is off
                self._count_quiet(p)
            return p
        out, i = [], 0
        while i < len(frames):
            p = self.vad.process(frames[i : i + n - self._quiet_run])
            out.append(p)
            i += len(p)
            self._count_quiet(p)
            if self._quiet_run >= n:
                self.vad.reset()
                self._quiet_run = 0
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def _count_quiet(self, p: np.ndarray) -> None:
        """Extend the run of unbroken non-speech (probability under ``release_threshold``)."""
        loud = np.flatnonzero(p >= self.options.release_threshold)
        self._quiet_run = self._quiet_run + len(p) if not len(loud) else len(p) - 1 - loud[-1]

    def _segment(self, labels: np.ndarray, start: int, chunk: np.ndarray) -> list[Segment]:
        closed = []
        bounds = np.concatenate([[0], np.flatnonzero(np.diff(labels)) + 1, [len(labels)]])
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            label = bool(labels[a])
            while a < b:
                # a full segment is closed only once the next frame exists, so the recording's
                # last segment always closes in flush() (the planner treats it as the last)
                have = 0 if self._open is None else sum(p[2] for p in self._open[2])
                if self._open is not None and (self._open[0] != label or have >= self._max_frames):
                    same = self._open[0] == label
                    closed.append(self._close((start + a) * FRAME_SAMPLES, continues=same))
                    have = 0
                if self._open is None:
                    self._open = (label, start + a, [])
                take = min(b - a, self._max_frames - have)
                self._open[2].append((chunk, a, take))
                a += take
        return closed

    def _close(self, end: int, continues: bool = False) -> Segment:
        label, first, parts = self._open
        self._open = None
        if len(parts) == 1:  # a view of the block's measurements: no copy
            block, offset, n = parts[0]
            f = Frames(FRAME_FIELDS, block[:, offset : offset + n])
        else:
            block, offset = np.concatenate([b[:, o : o + n] for b, o, n in parts], axis=1), 0
            f = Frames(FRAME_FIELDS, block)
        start, stop = int(first * FRAME_SAMPLES), int(min(end, self._num_samples))
        seg = self._describe(label, start, stop, f, continues)
        if seg.frames is None:
            self._segments.append(seg)
        else:
            self._segments.append(seg, block, offset)
        return seg

    def _describe(self, speech: bool, start: int, end: int, f: Frames, continues: bool) -> Segment:
        o = self.options
        level, floor = features.median(f["level"]), features.median(f["floor"])
        if speech:
            peaks = features.nuclei(f["band"])  # none in a 64-ms piece: see Analysis.runs
            dur = max(to_seconds(end - start), _FRAME_S)
            cues = {
                "syllable_rate_hz": round(len(peaks) / dur, 3),
                "snr_db": round(level - floor, 2),
                "spectral_flux": round(features.mean(f["flux"]), 4),
                "level_db": round(level, 2),
            }
            c = complexity(cues["syllable_rate_hz"], cues["snr_db"], cues["spectral_flux"])
            conf = round(features.mean(f["prob"]), 4)
            return Segment("speech", start, end, conf, c, None, cues, f, continues)
        std = features.std(f["level"])
        cues = {
            "level_db": round(level, 2),
            "level_std_db": round(std, 2),
            "floor_db": round(floor, 2),
        }
        conf = round(features.mean(1.0 - f["prob"]), 4)
        if level < o.silence_dbfs:
            return Segment("silence", start, end, conf, None, None, cues, None, continues)
        kind = "stationary" if std < o.stationary_max_std_db else "nonstationary"
        return Segment("noise", start, end, conf, None, kind, cues, None, continues)
