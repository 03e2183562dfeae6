"""The one push-based core: :class:`Stream` chains resampling, analysis, planning and
rendering, each a processor with ``push`` / ``flush`` / ``reset``.

::

    chunk -> Resampler -> Analyzer -> Planner -> Renderer -> compressed samples
                 (16 kHz, checked)  (segments)   (edits)   (+ time map)

``compress()`` is this stream run to the end and ``compress_file()`` this stream fed by file
blocks (:mod:`audiosqueeze.pipeline`), so all three give bit-identical samples for the same
input, whatever the chunking.

**Latency.** An output sample leaves the stream once (1) the analyzer has closed its segment,
which needs the segment's end (and one more frame for a segment closed by length) plus
``speech_pad_ms + min_speech_ms - 32 ms`` of look-ahead (96 ms by default), (2) the planner
has its edit (non-speech waits for the speech
after it, so that its kept part can sit next to that speech), and (3) the renderer has the
input its edit reads: ``CONTEXT_SAMPLES`` (42 ms) beyond a kept or cut edit; for sped-up
speech, the WSOLA frames over it (a joined run is rendered frame by frame as it is planned,
never waiting for the run's end). Segments end at a change of class or after
``max_segment_ms`` (64 ms by default; speech split there stays one joined run), so a speech
sample waits about 0.17 s (median) and at most about 0.23 s; 0.26 s and 0.4 s with
``max_segment_ms=256``; ``benchmarks/stream_latency.py`` measures it.
"""

from __future__ import annotations

import numpy as np

from .analyze import Analysis, AnalyzeOptions, Analyzer
from .audio import Resampler
from .decode import array_to_float, to_mono
from .errors import InvalidAudioError, OptionsError
from .plan import Plan, Planner, PlanOptions
from .plan_check import check_plan
from .render import Renderer, RenderOptions, TimeMapBuilder
from .timemap import TimeMap
from .units import SAMPLE_RATE


class Stream:
    """Real-time compression: ``push(chunk) -> samples``, ``flush() -> samples``, ``reset()``.

    ``chunk``: samples at ``sample_rate`` (any rate; resampled to 16 kHz), shape ``(n,)`` or
    ``(n, channels)``, float in [-1, 1] or integer PCM, any length. Returned samples are
    16 kHz mono float32, the compressed audio ready so far. :attr:`timemap` grows with them.

    >>> import numpy as np, audiosqueeze as sq
    >>> s = sq.Stream(rate=1.0, analyze_options=sq.AnalyzeOptions(vad="energy"))
    >>> x = np.zeros(48000, np.float32)  # 3 s of silence, no speech
    >>> out = [s.push(x[i : i + 320]) for i in range(0, len(x), 320)] + [s.flush()]
    >>> sum(len(o) for o in out), s.stats_ready
    (1600, True)
    """

    def __init__(
        self,
        rate: float = 0.5,
        *,
        sample_rate: int = SAMPLE_RATE,
        analyze_options: AnalyzeOptions | None = None,
        plan_options: PlanOptions | None = None,
        render_options: RenderOptions | None = None,
        name: str = "<stream>",
    ):
        self._check_options(analyze_options, plan_options, render_options)
        self._resampler = Resampler(sample_rate, name)
        self._analyzer = Analyzer(analyze_options)
        self._planner = Planner(rate, plan_options)
        self._renderer = Renderer(render_options)
        self._fixed: Plan | None = None
        self.reset()

    @classmethod
    def from_plan(
        cls,
        plan: Plan,
        *,
        sample_rate: int = SAMPLE_RATE,
        render_options: RenderOptions | None = None,
        name: str = "<stream>",
    ) -> Stream:
        """A stream that renders a ready ``plan`` (no analysis): the second pass of
        ``target_reduction``, or an ``analysis`` made earlier."""
        s = cls.__new__(cls)
        cls._check_options(None, None, render_options)
        check_plan(plan)
        s._resampler = Resampler(sample_rate, name)
        s._analyzer = None
        s._planner = None
        s._renderer = Renderer(render_options)
        s._fixed = plan
        s.reset()
        return s

    @staticmethod
    def _check_options(a, p, r) -> None:
        for value, cls in ((a, AnalyzeOptions), (p, PlanOptions), (r, RenderOptions)):
            if value is not None and not isinstance(value, cls):
                raise OptionsError(f"expected {cls.__name__} or None, got {value!r}")

    def reset(self) -> None:
        """Start a new stream (models stay loaded)."""
        self._resampler.reset()
        if self._analyzer is not None:
            self._analyzer.reset()
            self._planner.reset()
        self._renderer.reset()
        self._times = TimeMapBuilder()
        self._edits: list = []
        self._analysis: Analysis | None = None
        self._flushed = False
        if self._fixed is not None:
            self._add(list(self._fixed.edits))

    # -- streaming interface -------------------------------------------------------------
    def push(self, chunk) -> np.ndarray:
        """Feed the next samples; returns the compressed samples that are ready."""
        if self._flushed:
            raise OptionsError("this stream is flushed; call reset() to start a new one")
        if not isinstance(chunk, np.ndarray):
            raise InvalidAudioError(f"push takes a NumPy array, got {type(chunk).__name__!r}")
        x = self._resampler.push(
            to_mono(array_to_float(chunk, self._resampler.name), self._resampler.name)
        )
        return self._step(x, final=False)

    def flush(self) -> np.ndarray:
        """End of input: returns the rest of the compressed samples."""
        if self._flushed:
            return np.zeros(0, np.float32)
        y = self._step(self._resampler.flush(), final=True)
        self._flushed = True
        expected = sum(e.out_samples for e in self._edits)
        if self._renderer.samples_out != expected:  # a bug, never the user's input
            raise AssertionError(f"rendered {self._renderer.samples_out} of {expected} samples")
        return y

    def _step(self, x: np.ndarray, final: bool) -> np.ndarray:
        self._renderer.push(x)
        if self._analyzer is not None:
            segments = self._analyzer.push(x)
            if final:
                segments += self._analyzer.flush()
                self._analysis = self._analyzer.result()
                self._add(self._planner.flush(segments))
            else:
                self._add(self._planner.push(segments))
        elif final and self._renderer.samples_in != self._fixed.num_samples:
            raise OptionsError(
                f"the plan covers {self._fixed.num_samples} samples but the input had "
                f"{self._renderer.samples_in}"
            )
        return self._renderer.pull(final=final)

    def _add(self, edits: list) -> None:
        for e in edits:
            self._times.add(e)
        self._edits += edits
        self._renderer.add(edits)

    # -- what has been decided -------------------------------------------------------------
    @property
    def timemap(self) -> TimeMap | None:
        """Compressed <-> original time for every edit planned so far (``None`` before one)."""
        return self._times.timemap(SAMPLE_RATE)

    @property
    def samples_in(self) -> int:
        """Input samples received so far, at 16 kHz."""
        return self._renderer.samples_in

    @property
    def samples_out(self) -> int:
        """Compressed samples returned so far."""
        return self._renderer.samples_out

    @property
    def stats_ready(self) -> bool:
        """Whether the stream is flushed, so :meth:`plan` and :attr:`analysis` are complete."""
        return self._flushed

    @property
    def analysis(self) -> Analysis:
        """The whole analysis (after :meth:`flush`)."""
        if self._fixed is not None:
            raise OptionsError("a stream made from a plan has no analysis of its own")
        if self._analysis is None:
            raise OptionsError("the analysis is complete only after flush()")
        return self._analysis

    def plan(self) -> Plan:
        """The plan that was rendered (after :meth:`flush`)."""
        if self._fixed is not None:
            return self._fixed
        if not self._flushed:
            raise OptionsError("the plan is complete only after flush()")
        a = self._analysis
        return Plan(
            tuple(self._edits),
            a.num_samples,
            self._planner.rate,
            a.sample_rate,
            self._planner.options,
        )
