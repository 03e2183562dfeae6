"""Our methods in the benchmark, through the public API only (``import audiosqueeze``).

- ``sq-0.25`` ... ``sq-1.0``: :func:`audiosqueeze.compress` at that rate, defaults otherwise
  (pauses cut, speech sped up; see :mod:`audiosqueeze.curve`); ``sq-0.55`` ... ``sq-0.7``
  (:data:`RATE_PROBE`): the same at the rates between the default and 0.75 (the stop-24
  probe of the default's rate).
- ``sq-default``: ``compress`` with every default (rate and options), its output sent as is.
- ``sq-0.25-rawsearch`` ... ``sq-1.0-rawsearch``: the same with the renderer's WSOLA searching
  by raw correlation, as before its normalised search (:func:`raw_search_probe`).
- ``sq-verify``: ``compress`` defaults with ``verify="whisper-tiny.en"`` (utterances where
  tiny.en's words change are slowed a step at a time and re-rendered; until stop 29 the
  default scope was ``"window"``, so rows made before then are the ``-win`` methods below).
- ``sq-verify-0.75`` / ``sq-verify-1.0``: the same at rate 0.75 / 1; ``sq-verify-base-1.0``:
  rate 1 with Whisper base in the loop (scored with tiny.en: the reverse transfer).
- ``sq-verify-0.75-p50`` / ``-p70`` / ``-p85`` (and at ``1.0``): verify at that rate with
  ``verify_min_probability`` 0.5, 0.7 or 0.85 (windows near words tiny.en was unsure of on the
  original set back before the first check); ``sq-conf-0.75-p70`` / ``sq-conf-1.0-p70``: that
  confidence pass alone (``verify_rounds=0``: one transcription); ``sq-verify-0.75-r3`` /
  ``sq-verify-1.0-r3``: three checks instead of two (:data:`VERIFY_PROBE`; these probes keep
  the window scope they were run with);
  ``sq-verify-0.75-utt`` / ``sq-verify-1.0-utt``: verify with ``verify_scope="utterance"``
  (whole utterances slowed a step at a time), ``sq-verify-0.75-win`` / ``sq-verify-1.0-win``
  with ``verify_scope="window"`` (:data:`VERIFY_SCOPED`).
- The speed-policy ablation at rate 0.5 and 1 (fastest window 1.8x at rate 1):
  ``sq-guard-*`` (each window's speed from the learned guard), ``sq-cues-*`` (from the
  hand-weighted ``complexity()`` of each window); and ``sq-pauses`` (pauses cut, speech
  untouched). ``sq-guard-eqtok-1.0``: the guard at rate 1 with the risk allowance at which it
  removes as many tokens as ``sq-1.0`` on dev clips outside the held-out folder
  (:data:`GUARD_EQUAL_TOKENS`, ``benchmarks/guard_allowance.py``).
- ``sq-floor-0.3`` / ``-0.32`` / ``-0.34``: every pause cut (rate 0.5 at least) and, on a clip
  where that removes less than the share named, the lowest higher rate that removes it
  (:data:`FLOORS`): the speed-up goes to the clips with the least pause to cut.
- ``sq-budget-0.5`` / ``-1`` / ``-2``: ``compress(max_wer_increase=)`` with that budget in
  WER points (the highest rate whose guard-predicted cost stays within it).
- ``pauses+speed-1.1`` / ``-1.15`` / ``-1.2`` / ``-1.3`` / ``-1.45``: our pause cut (rate 1),
  then every speech window at that one speed (``PlanOptions(speed_policy="uniform")``): the
  strongest simple baseline;
  ``pauses+speed-1.3-stress`` / ``-transients``: the same tokens, the speed spread within each
  window by the MACH1 or the Lee & Kim rule (``PlanOptions(within_window=)``);
  ``pauses+speed-1.2-onset300`` ... ``pauses+speed-1.3-onset500``: that speed, but every speech
  window starting within 300 or 500 ms of the first speech sped up stays at 1.0x (the
  recording's first words: :func:`onset_probe`, :data:`ONSET`).
- ``sq-seg10s-levelpause`` / ``sq-0.75-seg10s-levelpause``: ``sq-seg10s`` / ``sq-0.75-seg10s``
  with ``PlanOptions(inner_pause_prob=1.0)``: a quiet run inside speech is cut as a pause by its
  level alone, whatever the VAD says (:data:`LEVEL_PAUSE`).
- ``sq-default-skip``: the same, but a recording the library flags as having no speech
  (``stats.no_speech``) is not sent at all, as the CLI's skip option does.
- The pause-treatment ablation, each ``compress`` defaults with one thing changed in what the
  recogniser hears in the kept part of shortened non-speech:
  ``sq-nsgain0`` / ``sq-nsgain-15`` / ``sq-nsgain-30``: ``RenderOptions(nonspeech_gain_db=)``
  of 0, -15 or -30 dB; ``sq-roomtone``: that kept part replaced, inside 10 ms ramps, by
  :data:`ROOM_TONE_DBFS` white noise (built here, on the rendered audio and its plan).
- ``sq-seg10s`` / ``sq-seg2s`` / ``sq-seg256`` / ``sq-seg96`` / ``sq-seg64`` and
  ``sq-0.75-seg*``: rate 0.5 / 0.75 with analysis segments of at most 10 s, 2 s, 256, 96 or
  64 ms (``AnalyzeOptions(max_segment_ms=)``: the
  stream's latency knob; :data:`SHORTSEG`).
- ``sq-keep60`` / ``sq-keep60-pad32`` / ``sq-keep30-pad32``: rate 0.5 with a shorter kept
  pause (60 or 30 ms instead of 150), kept noise (30 ms instead of 100) and speech padding
  (32 ms instead of 64): the probe for how short pauses can get (``sq-keep60-pad32`` is
  today's default; ``sq-keep150-pad64`` the one before); ``sq-RATE-keepK-padP``: the same at
  rate 0.75 or 1 (:data:`PAUSE_PROBE`).
- ``sq-vadreset-2s`` / ``-5s`` / ``-10s``: ``compress`` defaults with Silero's state reset
  after that much unbroken non-speech (``AnalyzeOptions(vad_reset_ms=)``): the probe for
  quiet speech missed after long loud non-speech (:data:`VAD_RESET`; ``-10s`` is today's
  default, ``sq-vadreset-off`` the one before: never reset).
- ``sq-vadgain0`` / ``sq-vadgain30-35`` / ``sq-vadgain30-45``: ``compress`` defaults with
  the VAD's input gain off (the default before it), in its second version (towards -35 dBFS,
  background under -65) or its third (towards -45, under -70: today's default); the same
  names after ``sq-quiet30-`` / ``sq-quiet40-``, and ``sq-quiet30`` / ``sq-quiet40`` with
  the defaults: the input made 30 or 40 dB quieter before ``compress`` and the output raised
  as much again, so the recogniser hears the original's level and only the analysis heard a
  quiet recording (:data:`QUIET`). ``sq-drop0`` / ``sq-drop20``: ``compress`` defaults with
  ``AnalyzeOptions(vad_reset_drop_db=)`` 0 (never) or 20 after any second of non-speech
  (``vad_reset_drop_max_prob=1.0``): Silero's state and the gain's envelope start afresh
  where loud non-speech ends; ``sq-drop20-vadonly``: the same with only Silero's state reset
  (the gain's envelope goes on: the probe of which half costs words in babble);
  ``sq-drop20-sure``: both halves, only after a second the VAD was sure was not speech
  (every probability under 0.1: noise, not babble; today's default, stop 24).
- ``sq-longseg``: ``compress`` defaults but with analysis segments as long as the recording
  (``AnalyzeOptions(max_segment_ms=LONG_SEGMENT_MS)``), so a long non-speech stretch is one
  segment with one kept pause instead of one per 10-s segment (the probe that led the planner
  to merge consecutive non-speech segments itself; it has its own analysis).
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import hashlib
import warnings

import numpy as np

from .probes import gain_restart_probe, kept_nonspeech, onset_probe, raw_search_probe, room_tone

RATES = ("sq-0.25", "sq-0.5", "sq-0.75", "sq-1.0")
#: rates between the default and 0.75, run as :data:`RATES` are (not in the default methods)
RATE_PROBE = ("sq-0.55", "sq-0.6", "sq-0.65", "sq-0.7")
GAINS_DB = {"sq-nsgain0": 0.0, "sq-nsgain-15": -15.0, "sq-nsgain-30": -30.0}
#: uniform speed of each ``pauses+speed-*`` baseline
PAUSES_SPEED = {
    "pauses+speed-1.1": 1.1,
    "pauses+speed-1.15": 1.15,
    "pauses+speed-1.2": 1.2,
    "pauses+speed-1.3": 1.3,
    "pauses+speed-1.45": 1.45,
}
#: the ``pauses+speed-*`` baselines in the default method list
PAUSES_SPEED_DEFAULT = ("pauses+speed-1.15", "pauses+speed-1.3", "pauses+speed-1.45")
ABLATIONS = ("sq-guard-0.5", "sq-guard-1.0", "sq-cues-0.5", "sq-cues-1.0", "sq-pauses")
#: ``max_wer_increase`` (WER points) of each quality-budget method
BUDGETS = {"sq-budget-0.5": 0.5, "sq-budget-1": 1.0, "sq-budget-2": 2.0}
#: the share of tokens each ``sq-floor-*`` method removes at least (and rate 0.5 at least)
FLOORS = {f"sq-floor-{t}": float(t) for t in ("0.3", "0.32", "0.34")}
#: the level-only inner-pause probe: (rate, segment ms) of each ``sq-...-seg10s-levelpause``:
#: ``sq-seg10s`` / ``sq-0.75-seg10s`` with ``PlanOptions(inner_pause_prob=1.0)``, so a quiet
#: run inside speech is a pause by its level alone, whatever the VAD says
LEVEL_PAUSE = {"sq-seg10s-levelpause": 0.5, "sq-0.75-seg10s-levelpause": 0.75}
#: the onset probe: (uniform speed, ``onset_keep_ms``) of each ``pauses+speed-S-onsetMS``:
#: every run's first speech kept at 1.0x, then speeding up at ``max_speed_step`` per window
ONSET = {
    f"pauses+speed-{s}-onset{ms}": (float(s), float(ms))
    for s in ("1.2", "1.25", "1.3")
    for ms in ("300", "500")
}
#: the within-window rule ablation: pauses+speed-1.3 with the speed spread by a rule
WITHIN = {"pauses+speed-1.3-stress": "stress", "pauses+speed-1.3-transients": "transients"}
#: fastest speech of the guard and cues ablations at rate 1
ABLATION_MAX_SPEED = 1.8
#: the guard at rate 1 with the ``max_risk_increase`` that matches ``sq-1.0``'s tokens
GUARD_EQUAL_TOKENS = {"sq-guard-eqtok-1.0": 0.045}
#: the recogniser ``sq-verify`` checks with
VERIFY_ASR = "whisper-tiny.en"
#: the other verify methods: rate and the recogniser in the loop
VERIFY_AT = {
    "sq-verify-0.75": (0.75, VERIFY_ASR),
    "sq-verify-1.0": (1.0, VERIFY_ASR),
    "sq-verify-base-1.0": (1.0, "whisper-base"),
}
#: the verify probe: (rate, ``verify_min_probability``, ``verify_rounds``) of each method
VERIFY_PROBE = {
    **{
        f"sq-verify-{r}-p{round(p * 100)}": (float(r), p, 2)
        for r in ("0.75", "1.0")
        for p in (0.5, 0.7, 0.85)
    },
    "sq-verify-0.75-r3": (0.75, 0.7, 3),
    "sq-verify-1.0-r3": (1.0, 0.7, 3),
    "sq-conf-0.75-p70": (0.75, 0.7, 0),
    "sq-conf-1.0-p70": (1.0, 0.7, 0),
}
#: verify with its scope pinned: (rate, scope) of each method (tiny.en in the loop, 2 checks)
VERIFY_SCOPED = {
    f"sq-verify-{r}-{tag}": (float(r), scope)
    for r in ("0.75", "1.0")
    for tag, scope in (("utt", "utterance"), ("win", "window"))
}
#: the stream's latency knob: (rate, ``AnalyzeOptions.max_segment_ms``) of each method
SHORTSEG = {
    "sq-seg10s": (0.5, 10_000.0),
    "sq-0.75-seg10s": (0.75, 10_000.0),
    "sq-seg2s": (0.5, 2000.0),
    "sq-0.75-seg2s": (0.75, 2000.0),
    "sq-seg256": (0.5, 256.0),
    "sq-0.75-seg256": (0.75, 256.0),
    "sq-seg96": (0.5, 96.0),
    "sq-0.75-seg96": (0.75, 96.0),
    "sq-seg64": (0.5, 64.0),
    "sq-0.75-seg64": (0.75, 64.0),
}
#: the pause-length probe: (rate, kept pause ms, kept noise ms, speech pad ms)
PAUSE_PROBE = {
    "sq-keep150-pad64": (0.5, 150.0, 100.0, 64.0),
    "sq-keep60": (0.5, 60.0, 100.0, 64.0),
    "sq-keep60-pad32": (0.5, 60.0, 100.0, 32.0),
    "sq-keep30-pad32": (0.5, 30.0, 30.0, 32.0),
    "sq-0.75-keep150-pad64": (0.75, 150.0, 100.0, 64.0),
    "sq-0.75-keep60-pad32": (0.75, 60.0, 100.0, 32.0),
    "sq-1.0-keep150-pad64": (1.0, 150.0, 100.0, 64.0),
    "sq-1.0-keep60-pad32": (1.0, 60.0, 100.0, 32.0),
}
#: the VAD-reset probe: ``AnalyzeOptions.vad_reset_ms`` of each method
VAD_RESET = {
    "sq-vadreset-off": 0.0,
    "sq-vadreset-2s": 2000.0,
    "sq-vadreset-5s": 5000.0,
    "sq-vadreset-10s": 10000.0,
}
#: the quiet-input probe: (input gain dB, ``AnalyzeOptions`` fields other than the defaults)
_NO_GAIN = {"vad_max_gain_db": 0.0}
_GAIN_35 = {"vad_max_gain_db": 30.0, "vad_level_dbfs": -35.0, "vad_floor_dbfs": -65.0}
_GAIN_45 = {"vad_max_gain_db": 30.0, "vad_level_dbfs": -45.0, "vad_floor_dbfs": -70.0}
QUIET = {
    "sq-vadgain0": (0.0, _NO_GAIN),
    "sq-vadgain30-35": (0.0, _GAIN_35),
    "sq-vadgain30-45": (0.0, _GAIN_45),
    "sq-quiet30": (-30.0, {}),
    "sq-quiet30-vadgain0": (-30.0, _NO_GAIN),
    "sq-quiet30-vadgain30-35": (-30.0, _GAIN_35),
    "sq-quiet30-vadgain30-45": (-30.0, _GAIN_45),
    "sq-quiet40": (-40.0, {}),
    "sq-quiet40-vadgain0": (-40.0, _NO_GAIN),
    "sq-quiet40-vadgain30-35": (-40.0, _GAIN_35),
    "sq-quiet40-vadgain30-45": (-40.0, _GAIN_45),
    "sq-drop0": (0.0, {"vad_reset_drop_db": 0.0}),
    "sq-drop20": (0.0, {"vad_reset_drop_db": 20.0, "vad_reset_drop_max_prob": 1.0}),
    "sq-drop20-vadonly": (0.0, {"vad_reset_drop_db": 20.0, "vad_reset_drop_max_prob": 1.0}),
    "sq-drop20-sure": (0.0, {"vad_reset_drop_db": 20.0, "vad_reset_drop_max_prob": 0.1}),
}
#: the WSOLA search ablation: each rate with the search of before (raw correlation)
RAW_SEARCH = {f"{m}-rawsearch": m for m in RATES}
OURS = (
    *RATES,
    *RAW_SEARCH,
    *RATE_PROBE,
    "sq-default",
    "sq-verify",
    *VERIFY_AT,
    *VERIFY_PROBE,
    *VERIFY_SCOPED,
    *ABLATIONS,
    *GUARD_EQUAL_TOKENS,
    *FLOORS,
    *BUDGETS,
    *PAUSES_SPEED,
    *WITHIN,
    *ONSET,
    *LEVEL_PAUSE,
    "sq-default-skip",
    *GAINS_DB,
    "sq-roomtone",
    "sq-longseg",
    *SHORTSEG,
    *PAUSE_PROBE,
    *VAD_RESET,
    *QUIET,
)
#: Segment length limit of ``sq-longseg`` (an hour).
LONG_SEGMENT_MS = 3_600_000.0


class _Remembering:
    """A recogniser loaded once that remembers its last transcripts by the samples' hash, so
    the verify methods of one clip share the original's transcription (and any render two of
    them share): the same words as calling it again, at a fraction of the CPU."""

    def __init__(self, name: str, size: int = 32):
        from audiosqueeze.asr import load_asr

        self._asr = load_asr(name)
        self.name, self.config = self._asr.name, self._asr.config
        self._seen: collections.OrderedDict[str, object] = collections.OrderedDict()
        self._size = size

    def transcribe(self, samples):
        key = hashlib.sha256(np.ascontiguousarray(samples, "<f4").tobytes()).hexdigest()
        if key in self._seen:
            self._seen.move_to_end(key)
            return self._seen[key]
        t = self._seen[key] = self._asr.transcribe(samples)
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return t


@functools.cache
def verifier(name: str) -> _Remembering:
    """The recogniser the verify methods put in the loop, loaded once per process."""
    return _Remembering(name)


@dataclasses.dataclass(frozen=True)
class OursOutput:
    """What one of our methods made: samples (empty where the call is skipped), the
    library's result, and whether the library flagged the recording as having no speech."""

    samples: np.ndarray
    result: object
    no_speech: bool
    skipped: bool


def run_ours(method: str, samples: np.ndarray, *, analysis=None) -> OursOutput:
    """Run one of :data:`OURS` on 16 kHz mono ``samples`` (``analysis``: reusable)."""
    import audiosqueeze as sq

    kw = {"sample_rate": sq.SAMPLE_RATE, "analysis": analysis}
    if method in RATES or method in RATE_PROBE:
        r = sq.compress(samples, float(method[3:]), **kw)
    elif method in RAW_SEARCH:
        with raw_search_probe():
            r = sq.compress(samples, float(RAW_SEARCH[method][3:]), **kw)
    elif method in PAUSES_SPEED:
        o = sq.PlanOptions(speed_policy="uniform", max_speed=PAUSES_SPEED[method])
        r = sq.compress(samples, 1.0, plan_options=o, **kw)
    elif method in LEVEL_PAUSE:
        options = sq.AnalyzeOptions(max_segment_ms=10_000.0)
        o = sq.PlanOptions(inner_pause_prob=1.0)
        r = sq.compress(
            samples,
            LEVEL_PAUSE[method],
            sample_rate=sq.SAMPLE_RATE,
            analyze_options=options,
            plan_options=o,
        )
    elif method in ONSET:
        speed, onset = ONSET[method]
        with onset_probe(onset):
            o = sq.PlanOptions(speed_policy="uniform", max_speed=speed)
            r = sq.compress(samples, 1.0, plan_options=o, **kw)
    elif method in WITHIN:
        o = sq.PlanOptions(speed_policy="uniform", max_speed=1.3, within_window=WITHIN[method])
        r = sq.compress(samples, 1.0, plan_options=o, **kw)
    elif method.startswith(("sq-cues-", "sq-guard-")):
        policy, rate = method.split("-")[1], method.rsplit("-", 1)[1]
        risk = GUARD_EQUAL_TOKENS.get(method, sq.PlanOptions().max_risk_increase)
        o = sq.PlanOptions(
            speed_policy=policy, max_speed=ABLATION_MAX_SPEED, max_risk_increase=risk
        )
        r = sq.compress(samples, float(rate), plan_options=o, **kw)
    elif method in FLOORS:
        a = sq.analyze(samples, sample_rate=sq.SAMPLE_RATE) if analysis is None else analysis
        with warnings.catch_warnings():  # unreachable: the rate-1 plan, as documented
            warnings.simplefilter("ignore", sq.TargetNotReachedWarning)
            rate = max(0.5, sq.plan_for_target(a, FLOORS[method]).rate)
        r = sq.compress(samples, rate, sample_rate=sq.SAMPLE_RATE, analysis=a)
    elif method in BUDGETS:
        r = sq.compress(samples, max_wer_increase=BUDGETS[method], **kw)
    elif method == "sq-pauses":
        r = sq.compress(samples, 1.0, plan_options=sq.PlanOptions(max_speed=1.0), **kw)
    elif method == "sq-verify":
        r = sq.compress(samples, verify=verifier(VERIFY_ASR), **kw)
    elif method in VERIFY_AT:
        rate, asr = VERIFY_AT[method]
        r = sq.compress(samples, rate, verify=verifier(asr), **kw)
    elif method in VERIFY_PROBE:
        rate, p, rounds = VERIFY_PROBE[method]
        r = sq.compress(
            samples,
            rate,
            verify=verifier(VERIFY_ASR),
            verify_rounds=rounds,
            verify_min_probability=p,
            verify_scope="window",
            **kw,
        )
    elif method in VERIFY_SCOPED:
        rate, scope = VERIFY_SCOPED[method]
        r = sq.compress(samples, rate, verify=verifier(VERIFY_ASR), verify_scope=scope, **kw)
    elif method in GAINS_DB or method == "sq-roomtone":
        gain = sq.RenderOptions(nonspeech_gain_db=GAINS_DB.get(method, 0.0))
        r = sq.compress(samples, render_options=gain, **kw)
    elif method in SHORTSEG:
        rate, longest = SHORTSEG[method]
        options = sq.AnalyzeOptions(max_segment_ms=longest)
        r = sq.compress(samples, rate, sample_rate=sq.SAMPLE_RATE, analyze_options=options)
    elif method in PAUSE_PROBE:
        rate, pause, noise, pad = PAUSE_PROBE[method]
        o = sq.PlanOptions(min_keep_pause_ms=pause, min_keep_noise_ms=noise)
        if pad != sq.AnalyzeOptions().speech_pad_ms:
            kw = {
                "sample_rate": sq.SAMPLE_RATE,
                "analyze_options": sq.AnalyzeOptions(speech_pad_ms=pad),
            }
        r = sq.compress(samples, rate, plan_options=o, **kw)
    elif method in VAD_RESET:
        options = sq.AnalyzeOptions(vad_reset_ms=VAD_RESET[method])
        r = sq.compress(samples, sample_rate=sq.SAMPLE_RATE, analyze_options=options)
    elif method in QUIET:
        gain_db, fields = QUIET[method]
        options = sq.AnalyzeOptions(**fields)
        scale = np.float32(10 ** (gain_db / 20))
        probe = gain_restart_probe(method != "sq-drop20-vadonly")
        with warnings.catch_warnings(), probe:
            warnings.simplefilter("ignore", sq.QuietInputWarning)  # the quiet input is the point
            r = sq.compress(samples * scale, sample_rate=sq.SAMPLE_RATE, analyze_options=options)
        r = dataclasses.replace(r, audio=r.audio / scale)
    elif method == "sq-longseg":
        options = sq.AnalyzeOptions(max_segment_ms=LONG_SEGMENT_MS)
        r = sq.compress(samples, sample_rate=sq.SAMPLE_RATE, analyze_options=options)
    else:
        r = sq.compress(samples, **kw)
    no_speech = bool(r.stats.no_speech)
    out = r.audio
    if method == "sq-roomtone":
        out = room_tone(out, kept_nonspeech(r.plan))
    skipped = method == "sq-default-skip" and bool(no_speech)
    if skipped:
        out = np.zeros(0, np.float32)
    return OursOutput(np.asarray(out, np.float32), r, no_speech, skipped)
