"""Every way of shortening audio that the benchmark compares, by name.

- ``none``: the original.
- ``speed-1.25``, ``speed-1.5``, ``speed-2.0``: the whole file sped up with FFmpeg's
  ``atempo`` filter (pitch kept), what users do today.
- ``trim``: FFmpeg ``silenceremove`` with unsilence's thresholds: every stretch quieter than
  -35 dB and longer than 0.5 s is cut, leading silence too.
- ``fw-vad``: faster-whisper's own VAD filter: ``get_speech_timestamps`` and
  ``collect_chunks`` with their defaults (Silero v6, 2 s minimum silence, 400 ms padding).
- ``dither-1`` ... ``dither-3``: the original plus white noise at :data:`DITHER_DBFS` (RMS,
  seeded by the number): no shorter, and no change anyone could hear, so how far a
  recogniser's words move on them is the noise floor of every ΔWER (not run by default).
- ``delay-10``, ``delay-20``, ``delay-30``: the original after that many ms of digital
  silence: the same sound, only later in the recogniser's window, so how far its words move
  on a pure time shift (not run by default).
- ``sq-0.5-keeplead`` / ``sq-0.5-keepends``: the default's output with the original's
  non-speech before the first word (and, for ``keepends``, after the last) put back in full
  where the plan shortened it: the probe of whether a cost sits in the ends or in the inner
  cuts (:data:`ENDS_PROBE`; not run by default).
- ``METHOD@dK`` (``K`` from 1 to 9): ``METHOD`` run on the original plus ``dither-K``'s noise;
  the mean over ``K`` of a setting's ΔWER, against the mean of ``none@dK``, does not hang on
  one decoding of one recording (``benchmarks/bench_table.py --dither-mean``).
- ``wsola-1.25-f32-t10`` and the like: the whole file sped up 1.25x by our own WSOLA with a
  ``f``-ms frame, a ``t``-ms search tolerance and, with ``-n``, the correlation divided by the
  candidate's energy (:data:`WSOLA_PROBE`; ``f32-t10-n`` is the renderer's, ``f32-t10`` its
  shape before stop 23): the probe of whether the WSOLA's shape changes what a recogniser
  loses (not run by default).
- ``resample-1.15``, ``resample-1.25``, ``resample-1.5``: the whole file played that much faster
  by resampling (soxr): no frame is spliced, and pitch and formants rise with the speed. The
  probe of whether a recogniser, which need not hear a natural voice, loses fewer words to it
  than to a pitch-keeping speed-up at the same tokens (not run by default).
- ``tsm-1.25-rubberband``, ``tsm-1.25-signalsmith``: the whole file sped up 1.25x by that
  library (``RenderOptions.tsm``, the ``[tsm]`` extra), against ``wsola-1.25-f32-t10-n`` at the
  same tokens (:data:`TSMLIB_PROBE`; not run by default).
- ours (:mod:`audiosqueeze.bench.ours`): ``sq-0.25`` ... ``sq-1.0`` (:func:`audiosqueeze.compress`
  at that rate, defaults otherwise), ``sq-default`` (every default), ``sq-default-skip`` (no
  call where the library finds no speech) and the pause-treatment ablation ``sq-nsgain0``,
  ``sq-nsgain-15``, ``sq-nsgain-30``, ``sq-roomtone``, and ``sq-longseg`` (one kept pause per
  long non-speech stretch).

:func:`apply` returns the shorter samples, a :class:`TimeMap` where the method has one (ours,
``fw-vad`` and the uniform speed-ups), the edited original intervals, and the time it took.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import time
from dataclasses import dataclass

import numpy as np

from ..errors import EmptyAudioError, MissingDependencyError, OptionsError
from ..timemap import TimeMap
from ..tsm import stretch, wsola
from ..units import SAMPLE_RATE, ms_to_samples
from .ours import OURS, PAUSES_SPEED_DEFAULT, RATES, run_ours

BASELINES = ("none", "speed-1.25", "speed-1.5", "speed-2.0", "trim", "fw-vad")
#: The original with inaudible seeded noise added: how much the words move on no real change.
DITHERS = ("dither-1", "dither-2", "dither-3")
#: Level of the ``dither-*`` noise (RMS).
DITHER_DBFS = -90.0
#: The original after ``K`` ms of digital silence: how much the words move on a pure time shift.
DELAYS = ("delay-10", "delay-20", "delay-30")
#: The default's output with the shortened lead (and tail) put back in full: (rate, ends kept).
ENDS_PROBE = {"sq-0.5-keeplead": (0.5, ("lead",)), "sq-0.5-keepends": (0.5, ("lead", "tail"))}
#: The WSOLA shape probe: (speed, frame ms, tolerance ms, normalised, what else) of each
#: method; "what else": ``"o"`` the search compares only the overlap (half a frame), ``"lpF"``
#: it searches a copy low-passed at F Hz (forwards and backwards), ``"lpFc"`` the same through
#: a causal filter, which a stream can run; ``"ac"`` each overlap's crossfade follows how alike
#: its halves are (``CurveWSOLA(adaptive_fade=True)``).
WSOLA_PROBE = {
    f"wsola-1.25-f{f}-t{t}{'-n' if n else ''}{'-' + more if more else ''}": (1.25, f, t, n, more)
    for f, t, n, more in (
        (32, 10, False, ""),
        (20, 10, False, ""),
        (48, 10, False, ""),
        (64, 10, False, ""),
        (32, 5, False, ""),
        (32, 16, False, ""),
        (32, 10, True, ""),
        (48, 16, True, ""),
        (48, 10, True, ""),
        (32, 10, True, "o"),
        (32, 10, True, "lp1000"),
        (32, 10, True, "lp2000"),
        (32, 10, True, "lp2000c"),
        (32, 10, True, "ac"),
    )
}
#: The whole file played faster by resampling (pitch raised): speed of each method.
RESAMPLE_PROBE = {f"resample-{s}": float(s) for s in ("1.15", "1.25", "1.5")}
#: The whole file sped up by a time-stretch library: (library, speed) of each method.
TSMLIB_PROBE = {f"tsm-1.25-{lib}": (lib, 1.25) for lib in ("rubberband", "signalsmith")}
#: Every method, in report order.
METHODS = (
    BASELINES
    + DITHERS
    + DELAYS
    + tuple(WSOLA_PROBE)
    + tuple(RESAMPLE_PROBE)
    + tuple(TSMLIB_PROBE)
    + OURS
    + tuple(ENDS_PROBE)
)
#: What ``bench`` runs when no ``--methods`` is given (the methods of the first evaluation).
DEFAULT_METHODS = BASELINES + RATES + ("sq-default", *PAUSES_SPEED_DEFAULT)
#: ``METHOD@dK``: METHOD on the original plus dither K.
DITHERED = "@d"


def _lowpass(x: np.ndarray, hz: float, causal: bool = False) -> np.ndarray:
    """``x`` through a 4th-order Butterworth low-pass at ``hz``, forwards and backwards (no
    delay), or with ``causal`` an 8th-order one forwards only: the WSOLA probe's search
    signal."""
    from scipy.signal import butter, sosfilt, sosfiltfilt

    if causal:
        return sosfilt(butter(8, hz, fs=SAMPLE_RATE, output="sos"), x).astype(np.float32)
    sos = butter(4, hz, fs=SAMPLE_RATE, output="sos")
    return sosfiltfilt(sos, x).astype(np.float32)


def split_dithered(method: str) -> tuple[str, int | None]:
    """``("sq-0.5", 2)`` for ``"sq-0.5@d2"``, ``(method, None)`` for a plain method."""
    base, sep, k = method.rpartition(DITHERED)
    if sep and len(k) == 1 and k in "123456789" and base in METHODS:
        return base, int(k)
    return method, None


def is_method(method: str) -> bool:
    """``method`` is one of :data:`METHODS`, or one of them followed by ``@d1`` ... ``@d9``."""
    return split_dithered(method)[0] in METHODS


def report_order(methods) -> list[str]:
    """``methods`` in :data:`METHODS` order, each ``@dK`` variant after its plain method."""

    def key(m: str) -> tuple[int, int]:
        base, k = split_dithered(m)
        return (METHODS.index(base) if base in METHODS else len(METHODS), k or 0)

    return sorted(methods, key=key)


TRIM_FILTER = (
    "silenceremove=start_periods=1:start_threshold=-35dB:"
    "stop_periods=-1:stop_duration=0.5:stop_threshold=-35dB"
)


@dataclass(frozen=True)
class MethodOutput:
    """``samples``: 16 kHz float32; ``timemap``: output <-> input time, or None where the
    method gives none (``trim``); ``edited``: ``(m, 2)`` input sample intervals the method
    changed; ``seconds``: wall time spent; ``no_speech``: our library's no-speech flag (None
    for the other methods); ``skipped``: the recogniser is not to be called."""

    method: str
    samples: np.ndarray
    timemap: TimeMap | None
    edited: np.ndarray
    seconds: float
    no_speech: bool | None = None
    skipped: bool = False


def _ffmpeg(samples: np.ndarray, audio_filter: str) -> np.ndarray:
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise MissingDependencyError(
            "ffmpeg is not on PATH: apt-get install ffmpeg (or brew install ffmpeg)"
        )
    fmt = ["-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1"]
    cmd = [exe, "-nostdin", "-hide_banner", "-loglevel", "error", *fmt, "-i", "pipe:0",
           "-af", audio_filter, *fmt, "pipe:1"]  # fmt: skip
    r = subprocess.run(
        cmd, input=np.asarray(samples, "<f4").tobytes(), capture_output=True, check=False
    )
    if r.returncode != 0:
        raise OptionsError(
            f"ffmpeg -af {audio_filter!r} failed: {r.stderr.decode(errors='replace').strip()}"
        )
    return np.frombuffer(r.stdout, "<f4").copy()


def _chunks_map(chunks: list[tuple[int, int]], n: int) -> TimeMap:
    """Time map of keeping only ``chunks`` (sorted ``[start, end)`` samples) of ``n >= 1``."""
    o, c, out = [0], [0], 0
    for s, e in chunks:
        if s > o[-1]:
            o.append(s)
            c.append(out)
        out += e - s
        o.append(e)
        c.append(out)
    if o[-1] < n:
        o.append(n)
        c.append(out)
    if n == 0:  # bench audio is never empty; a time map of nothing is no map at all
        raise EmptyAudioError("no time map of zero samples")
    return TimeMap.from_knots(o, c)


def _complement(chunks: list[tuple[int, int]], n: int) -> np.ndarray:
    edges, pos = [], 0
    for s, e in chunks:
        if s > pos:
            edges.append((pos, s))
        pos = max(pos, e)
    if pos < n:
        edges.append((pos, n))
    return np.asarray(edges, np.int64).reshape(-1, 2)


def fw_vad(samples: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """faster-whisper's VAD filter with its defaults: the kept audio and the kept chunks."""
    from ..deps import require

    vad = require("faster_whisper.vad", "whisper")
    ts = vad.get_speech_timestamps(samples)
    chunks = [(int(t["start"]), int(t["end"])) for t in ts]
    if not chunks:
        return np.zeros(0, np.float32), []
    audio, _ = vad.collect_chunks(samples, ts)
    return np.concatenate(audio).astype(np.float32), chunks


def dither(samples: np.ndarray, seed: int) -> np.ndarray:
    """``samples`` plus white noise at :data:`DITHER_DBFS` RMS from ``seed``."""
    noise = np.random.default_rng(seed).standard_normal(len(samples)) * 10 ** (DITHER_DBFS / 20)
    return (samples + noise).astype(np.float32)


def resample_faster(samples: np.ndarray, speed: float) -> np.ndarray:
    """``samples`` played ``speed`` times faster: read as if recorded at ``speed`` x 16 kHz and
    resampled to 16 kHz (soxr, high quality), so ``len / speed`` samples, pitch raised."""
    import soxr

    x = np.asarray(samples, np.float32)
    if len(x) == 0:
        return x.copy()
    return soxr.resample(x, SAMPLE_RATE * speed, SAMPLE_RATE, quality="HQ").astype(np.float32)


def keep_ends(
    samples: np.ndarray, rate: float, ends: tuple[str, ...], *, analysis=None
) -> tuple[np.ndarray, np.ndarray]:
    """``compress`` at ``rate``, then the original's samples put back where its first edit
    (``"lead"`` in ``ends``: one that starts at 0) or its last (``"tail"``: one that ends at the
    end) shortened non-speech: the output and the intervals still edited."""
    import audiosqueeze as sq

    r = sq.compress(samples, rate, sample_rate=SAMPLE_RATE, analysis=analysis)
    edits, out, n = list(r.plan.edits), r.audio, len(samples)
    first, last = edits[0], edits[-1]
    head = tail = None
    if "lead" in ends and first.start == 0 and first.kind == "shorten":
        head, out = samples[: first.end], out[first.out_samples :]
        edits = edits[1:]
    if "tail" in ends and edits and last.end == n and last.kind == "shorten" and last is edits[-1]:
        tail, out = samples[last.start :], out[: len(out) - last.out_samples]
        edits = edits[:-1]
    parts = [p for p in (head, out, tail) if p is not None]
    edited = np.asarray([(e.start, e.end) for e in edits if e.kind != "keep"], np.int64)
    return np.concatenate(parts).astype(np.float32), edited.reshape(-1, 2)


def apply(method: str, samples: np.ndarray, *, analysis=None) -> MethodOutput:
    """Run ``method`` on 16 kHz mono ``samples`` (``analysis``: a reusable ``sq.analyze``)."""
    base, k = split_dithered(method)
    if k is not None:
        t0 = time.perf_counter()
        out = apply(base, dither(samples, k))  # its own analysis: the input differs
        return dataclasses.replace(out, method=method, seconds=time.perf_counter() - t0)
    n = len(samples)
    whole = np.array([[0, n]], np.int64)
    none = np.zeros((0, 2), np.int64)
    t0 = time.perf_counter()
    if method == "none":
        out, tm, edited = samples, TimeMap.identity(n), none
    elif method.startswith("speed-") and method in METHODS:
        out = _ffmpeg(samples, f"atempo={method[6:]}")
        tm, edited = TimeMap.from_knots([0, n], [0, len(out)]), whole
    elif method == "trim":
        out, tm, edited = _ffmpeg(samples, TRIM_FILTER), None, whole
    elif method in DITHERS:
        out, tm, edited = dither(samples, int(method[7:])), TimeMap.identity(n), none
    elif method in DELAYS:
        lead = ms_to_samples(float(method[6:]))
        out = np.concatenate([np.zeros(lead, np.float32), samples])
        tm, edited = TimeMap.from_knots([0, 0, n], [0, lead, lead + n]), none
    elif method in WSOLA_PROBE:
        speed, frame_ms, tol_ms, normalised, more = WSOLA_PROBE[method]
        frame, tol = ms_to_samples(frame_ms), ms_to_samples(tol_ms)
        shape = {"frame": frame, "tolerance": tol, "normalised": normalised}
        shape["overlap_only"] = more == "o"
        shape["adaptive_fade"] = more == "ac"
        if more.startswith("lp"):
            causal = more.endswith("c")
            shape["search"] = _lowpass(samples, float(more[2:].rstrip("c")), causal)
        out = wsola(samples, int(round(n / speed)), **shape)
        tm, edited = TimeMap.from_knots([0, n], [0, len(out)]), whole
    elif method in RESAMPLE_PROBE:
        out = resample_faster(samples, RESAMPLE_PROBE[method])
        tm, edited = TimeMap.from_knots([0, n], [0, len(out)]), whole
    elif method in TSMLIB_PROBE:
        lib, speed = TSMLIB_PROBE[method]
        out = stretch(samples, int(round(n / speed)), lib)
        tm, edited = TimeMap.from_knots([0, n], [0, len(out)]), whole
    elif method == "fw-vad":
        out, chunks = fw_vad(samples)
        tm, edited = _chunks_map(chunks, n), _complement(chunks, n)
    elif method in ENDS_PROBE:
        out, edited = keep_ends(samples, *ENDS_PROBE[method], analysis=analysis)
        tm = None
    elif method in OURS:
        r = run_ours(method, samples, analysis=analysis)
        edits = r.result.plan.edits
        edited = np.asarray([(e.start, e.end) for e in edits if e.kind != "keep"], np.int64)
        edited = edited.reshape(-1, 2)
        tm = r.result.timemap if not r.skipped else _chunks_map([], n)
        sec = time.perf_counter() - t0
        return MethodOutput(method, r.samples, tm, edited, sec, r.no_speech, r.skipped)
    else:
        raise OptionsError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    return MethodOutput(method, np.asarray(out, np.float32), tm, edited, time.perf_counter() - t0)
