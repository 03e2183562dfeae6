"""Render: apply edits to audio, one edit at a time, and build the time map.

Cuts join with a short equal-power crossfade (sine/cosine gains, so the summed power of two
unrelated signals stays level and no click appears); stretched speech uses pitch-preserving
TSM (:mod:`audiosqueeze.tsm`) and is joined to the untouched audio on both sides with an
equal-gain (linear) crossfade, since there the two signals are nearly the same and an
equal-power fade would lift their sum by up to 3 dB. Every edit yields exactly
``edit.out_samples`` samples, so the output length is known from the plan.

An edit needs the input from ``CONTEXT_SAMPLES`` before it to ``CONTEXT_SAMPLES`` after it
(clipped to the recording). The :class:`Renderer` is the streaming form: it keeps just that
window of input and renders each edit as soon as its window has arrived, so a stream, a file
and an array give bit-identical output. A run of joined stretch edits (one variable-rate
WSOLA) is rendered as it grows, frame by frame, while its later edits are still to come.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from . import validate
from .errors import EmptyAudioError, OptionsError
from .plan import Edit, Plan
from .plan_check import check_plan
from .timemap import TimeMap
from .tsm import TSM_METHODS, WSOLA_FRAME, WSOLA_TOLERANCE, CurveWSOLA, stretch_curve
from .units import ms_to_samples

#: Real audio handed to TSM beyond each stretched edge (and read around each edit).
CONTEXT_SAMPLES = WSOLA_FRAME + WSOLA_TOLERANCE


@dataclass(frozen=True)
class RenderOptions:
    """How edits become samples."""

    tsm: str = "wsola"  #: time-stretch method: wsola (ours), rubberband, signalsmith, audiotsm
    crossfade_ms: float = 10.0  #: crossfade at each cut and at each edge of stretched speech
    #: gain applied to the kept part of shortened non-speech (0 = as recorded); ramped in
    #: and out over ``crossfade_ms`` so the speech on either side is untouched
    nonspeech_gain_db: float = 0.0

    def __post_init__(self) -> None:
        validate.choice("tsm", self.tsm, TSM_METHODS)
        validate.number("crossfade_ms", self.crossfade_ms, 0.0, 100.0)
        validate.number("nonspeech_gain_db", self.nonspeech_gain_db, -120.0, 0.0)

    @property
    def crossfade_samples(self) -> int:
        return ms_to_samples(self.crossfade_ms)


def equal_power(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fade-out and fade-in gains of length ``n``: cos and sin of 0..pi/2 (sum of squares = 1)."""
    theta = (np.arange(n, dtype=np.float64) + 0.5) / max(n, 1) * (np.pi / 2)
    return np.cos(theta).astype(np.float32), np.sin(theta).astype(np.float32)


def _linear(n: int) -> np.ndarray:
    return ((np.arange(n, dtype=np.float32) + 0.5) / max(n, 1)).astype(np.float32)


def _shorten(x: np.ndarray, e: Edit, fade: int) -> np.ndarray:
    s, end, head, tail = e.start, e.end, e.head, e.tail
    if head and tail:
        fade = min(fade, 2 * min(head, tail))
        h1, h2 = fade // 2, fade - fade // 2
        fo, fi = equal_power(fade)
        joined = x[s + head - h1 : s + head + h2] * fo + x[end - tail - h1 : end - tail + h2] * fi
        return np.concatenate([x[s : s + head - h1], joined, x[end - tail + h2 : end]])
    y = np.array(x[end - tail : end] if tail else x[s : s + head], dtype=np.float32)
    n = min(fade, len(y))
    fo, fi = equal_power(n)
    if tail:  # opens the recording: fade in from silence
        y[:n] *= fi
    elif head:  # closes it: fade out to silence
        y[len(y) - n :] *= fo
    return y


def _gain(y: np.ndarray, e: Edit, db: float, ramp: int) -> np.ndarray:
    """Scale ``y`` (a shortened non-speech edit) by ``db``, ramped where it meets speech."""
    g = np.float32(10.0 ** (db / 20.0))
    env = np.full(len(y), g, np.float32)
    n = min(ramp, len(y) // 2) if e.head and e.tail else min(ramp, len(y))
    down = (1.0 - _linear(n) * (1.0 - g)).astype(np.float32)  # 1 -> g
    if e.head and n:
        env[:n] = down
    if e.tail and n:
        env[len(y) - n :] = down[::-1]
    return y * env


def render_edit(x: np.ndarray, edit: Edit, options: RenderOptions) -> np.ndarray:
    """Output samples of one edit; ``x`` holds the input around it (at least
    ``CONTEXT_SAMPLES`` each side where the recording has them), ``edit`` indexes into ``x``."""
    s, e, k = edit.start, edit.end, edit.out_samples
    fade = options.crossfade_samples
    if edit.kind == "keep":
        return x[s:e]
    if edit.kind == "mute":
        return np.zeros(k, np.float32)
    if edit.kind == "shorten":
        y = _shorten(x, edit, fade)
        if options.nonspeech_gain_db and edit.segment != "speech" and len(y):
            y = _gain(y, edit, options.nonspeech_gain_db, fade)
        return y
    if edit.kind != "stretch":
        raise OptionsError(f"unknown edit kind {edit.kind!r}")
    return render_run(x, [edit], options)


def render_run(x: np.ndarray, run: list[Edit], options: RenderOptions) -> np.ndarray:
    """Output samples of a run of consecutive stretch edits (each but the last ``joined``):
    one variable-rate stretch along their speeds, joined to the untouched audio on both sides
    with a linear crossfade. ``x`` holds the input around the run, as for :func:`render_edit`."""
    s, e = run[0].start, run[-1].end
    in_knots = np.array([r.start - s for r in run] + [e - s])
    out_knots = np.concatenate([[0], np.cumsum([r.out_samples for r in run])])
    k = int(out_knots[-1])
    a, b = max(0, s - CONTEXT_SAMPLES), min(len(x), e + CONTEXT_SAMPLES)
    y = stretch_curve(x[a:b], in_knots, out_knots, options.tsm, lead=s - a, trail=b - e)
    fade = options.crossfade_samples
    n = min(fade, k // 2, (e - s) // 2)
    fi = _linear(n)
    fo = 1.0 - fi
    y[:n] = x[s : s + n] * fo + y[:n] * fi
    y[k - n :] = y[k - n :] * fo + x[e - n : e] * fi
    return y


class TimeMapBuilder:
    """Knots of the time map, extended edit by edit: identity on kept spans, linear across
    stretched and muted ones, flat across what a cut removes."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._orig, self._comp, self._out = [0], [0], 0

    def _knot(self, o: int, c: int) -> None:
        if (o, c) != (self._orig[-1], self._comp[-1]):
            self._orig.append(o)
            self._comp.append(c)

    def add(self, edit: Edit) -> None:
        if edit.kind == "shorten":
            self._knot(edit.start + edit.head, self._out + edit.head)
            self._knot(edit.end - edit.tail, self._out + edit.head)
        self._out += edit.out_samples
        self._knot(edit.end, self._out)

    def timemap(self, sample_rate: int) -> TimeMap | None:
        """The map so far (``None`` before the first edit)."""
        if len(self._orig) < 2:
            return None
        return TimeMap.from_knots(self._orig, self._comp, sample_rate)


def timemap_of(plan: Plan) -> TimeMap:
    """The time map a plan produces; a plan of no samples (a stream flushed before any
    input) has none: :class:`EmptyAudioError`, as for ``compress`` of no samples."""
    b = TimeMapBuilder()
    for edit in plan.edits:
        b.add(edit)
    tm = b.timemap(plan.sample_rate)
    if tm is None:  # a time map needs two distinct knots; (0, 0) alone is not one
        raise EmptyAudioError("a plan of zero samples has no time map")
    return tm


class Renderer:
    """Streaming render: ``push(samples)`` input, ``add(edits)`` in order, ``pull()`` the output
    of every edit whose input window has arrived; ``pull(final=True)`` after the last input."""

    def __init__(self, options: RenderOptions | None = None):
        self.options = options or RenderOptions()
        self.reset()

    def reset(self) -> None:
        self._buf = np.zeros(1 << 16, np.float32)
        self._base = 0  # absolute index of _buf[0]
        self._len = 0  # valid samples in _buf
        self._edits: list[Edit] = []
        self._next = 0  # index into _edits of the next edit to render
        self._planned_to = 0  # end of the last edit added
        self._curve: _Curve | None = None  # the joined stretch run being rendered
        self.samples_in = 0
        self.samples_out = 0

    def push(self, samples: np.ndarray) -> None:
        n = len(samples)
        if self._len + n > len(self._buf):
            keep_from = self._keep_from() - self._base
            self._buf[: self._len - keep_from] = self._buf[keep_from : self._len]
            self._base += keep_from
            self._len -= keep_from
            if self._len + n > len(self._buf):
                grown = np.zeros(max(2 * len(self._buf), self._len + n), np.float32)
                grown[: self._len] = self._buf[: self._len]
                self._buf = grown
        self._buf[self._len : self._len + n] = samples
        self._len += n
        self.samples_in += n

    def add(self, edits: list[Edit]) -> None:
        for edit in edits:
            if edit.start != self._planned_to:
                raise OptionsError(f"edits must be contiguous: {edit} after {self._planned_to}")
            self._planned_to = edit.end
        self._edits.extend(edits)

    def pull(self, final: bool = False) -> np.ndarray:
        out = []
        while self._next < len(self._edits):
            if self._edits[self._next].kind == "stretch" and self.options.tsm == "wsola":
                y, done = self._pull_curve(final)
                out.append(y)
                if not done:
                    break
                continue
            run = self._run_at(self._next)
            if run is None and not final:
                break  # a run of joined stretch edits whose last edit has not arrived
            run = run or self._edits[self._next :]
            start, end = run[0].start, run[-1].end
            if not final and end + CONTEXT_SAMPLES > self.samples_in:
                break
            a = max(0, start - CONTEXT_SAMPLES)
            b = min(self.samples_in, end + CONTEXT_SAMPLES)
            if a < self._base:  # a bug, never the user's input
                raise AssertionError(f"input from {a} was dropped (buffer starts at {self._base})")
            window = self._buf[a - self._base : b - self._base]
            local = [replace(e, start=e.start - a, end=e.end - a) for e in run]
            want = sum(e.out_samples for e in run)
            self._check_input(run[-1])
            if run[0].kind == "stretch":
                y = render_run(window, local, self.options)
            else:
                y = render_edit(window, local[0], self.options)
            if len(y) != want:  # a bug, never the user's input
                raise AssertionError(f"rendered {len(y)} samples for {run}, planned {want}")
            out.append(np.array(y, dtype=np.float32, copy=True))
            self._next += len(run)
        self._edits = self._edits[self._next :]
        self._next = 0
        out = [y for y in out if len(y)]
        if not out:
            return np.zeros(0, np.float32)
        y = out[0] if len(out) == 1 else np.concatenate(out)
        self.samples_out += len(y)
        return y

    def _check_input(self, edit: Edit) -> None:
        if edit.end > self.samples_in:
            raise OptionsError(
                f"edit {edit} needs input up to sample {edit.end}, but the stream has "
                f"{self.samples_in}"
            )

    def _pull_curve(self, final: bool) -> tuple[np.ndarray, bool]:
        """Render the run of joined stretch edits at ``_next`` as far as its planned edits and
        the input allow; ``(samples, whether the run is finished)``. The same samples as
        :func:`render_run` on the whole run: the WSOLA frames, then the linear crossfades with
        the untouched audio at both ends (held back until their length is known)."""
        st = self._curve
        if st is None:
            first = self._edits[self._next]
            a = max(0, first.start - CONTEXT_SAMPLES)
            st = self._curve = _Curve(first.start, a, CurveWSOLA(first.start - a))
        while not st.complete and self._next + st.fed < len(self._edits):
            e = self._edits[self._next + st.fed]
            st.wsola.extend(e.end - e.start, e.out_samples)
            st.fed += 1
            st.end = e.end
            st.complete = not e.joined
        if final:  # a plan of one's own may end on a joined edit: the run ends there
            self._check_input(self._edits[self._next + st.fed - 1])
            st.complete = True
        if st.complete and (final or st.end + CONTEXT_SAMPLES <= self.samples_in):
            done, b = True, min(self.samples_in, st.end + CONTEXT_SAMPLES)
        else:
            done, b = False, min(self.samples_in, st.end + CONTEXT_SAMPLES)
        w, fade = st.wsola, self.options.crossfade_samples
        lo = w.next_read()
        if st.a + lo < self._base:  # a bug, never the user's input
            raise AssertionError(f"input from {st.a + lo} was dropped (buffer at {self._base})")
        if b - st.a > lo or done:  # else none of the input it reads next has arrived
            x = self._buf[st.a + lo - self._base : b - self._base]
            st.pending = np.concatenate([st.pending, w.render(x, lo, b - st.a, done)])
        k, length = w.out_samples, st.end - st.start
        if done:
            n = min(fade, k // 2, length // 2)
        elif k >= 2 * fade and length >= 2 * fade:
            n = fade  # however the run grows, its crossfades are this long
        else:
            return np.zeros(0, np.float32), False
        fi = _linear(n)
        fo = 1.0 - fi
        if not st.faded_in:
            if len(st.pending) < n:
                return np.zeros(0, np.float32), False
            head = self._buf[st.start - self._base : st.start + n - self._base]
            st.pending[:n] = head * fo + st.pending[:n] * fi
            st.faded_in = True
        if done:
            y = st.pending
            if n:
                tail = self._buf[st.end - n - self._base : st.end - self._base]
                y[len(y) - n :] = y[len(y) - n :] * fo + tail * fi
            want = sum(e.out_samples for e in self._edits[self._next : self._next + st.fed])
            if st.released + len(y) != want:  # a bug, never the user's input
                raise AssertionError(f"rendered {st.released + len(y)} samples, planned {want}")
            self._next += st.fed
            self._curve = None
            return y, True
        ready = max(0, k - fade - st.released)  # the end's crossfade may still change the rest
        y, st.pending = st.pending[:ready], st.pending[ready:]
        st.released += len(y)
        return y, False

    def _run_at(self, i: int) -> list[Edit] | None:
        """The edits rendered together from ``i``: one edit, or a run of joined stretch edits
        (``None`` while the run's last edit is still to come)."""
        j = i
        while self._edits[j].kind == "stretch" and self._edits[j].joined:
            j += 1
            if j == len(self._edits):
                return None
        return self._edits[i : j + 1]

    def _keep_from(self) -> int:
        """Absolute index of the first input sample any future edit may read."""
        if self._curve is not None:
            # the WSOLA's next reads; the end's crossfade and the context of the edits after
            # the run (both within max(CONTEXT, fade) of where the run ends, and it only grows);
            # the head's crossfade until it is done
            st = self._curve
            after = st.end - max(CONTEXT_SAMPLES, self.options.crossfade_samples)
            keep = min(st.a + st.wsola.next_read(), after)
            return max(self._base, min(keep, st.start) if not st.faded_in else keep)
        pending = self._next < len(self._edits)
        start = self._edits[self._next].start if pending else self._planned_to
        return max(self._base, start - CONTEXT_SAMPLES)


@dataclass
class _Curve:
    """A joined run of stretch edits being rendered: where it starts (``start``) and where
    its input context starts (``a``), its WSOLA, how many of its edits it has been given
    (``fed``), and the output it holds back (``pending``) for the crossfades."""

    start: int
    a: int
    wsola: CurveWSOLA
    fed: int = 0
    end: int = 0
    complete: bool = False
    faded_in: bool = False
    released: int = 0
    pending: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))


def render(samples: np.ndarray, plan: Plan, options: RenderOptions | None = None) -> np.ndarray:
    """Apply ``plan`` to 16 kHz ``samples`` in one go; the identity plan returns a copy of the
    input (bit-exact)."""
    r = Renderer(options)
    r.add(list(check_plan(plan).edits))
    r.push(np.asarray(samples, np.float32))
    return r.pull(final=True)
