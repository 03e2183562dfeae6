"""Our benchmark methods: each name calls ``compress`` with the options its documentation
gives, read here from the name itself (``compress`` is a spy, so this needs no model and no
real audio); the remembering recogniser, the kept non-speech spans and the room tone."""

import dataclasses
import re
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze.bench import ours, probes
from audiosqueeze.plan import Edit

DEFAULT_RATE = 0.5  # compress's default rate
TINY, BASE = "whisper-tiny.en", "whisper-base"


def _expected(method: str) -> dict:
    """What the module docstring says ``method`` is, worked out from its name."""
    e = {"rate": DEFAULT_RATE, "plan": {}, "analyze": {}, "gain": 0.0, "verify": None,
         "budget": None, "raw": False, "input_db": 0.0, "restart": True,
         "roomtone": False, "onset": False}  # fmt: skip
    if m := re.fullmatch(r"sq-(\d\.\d+)", method):
        e["rate"] = float(m[1])
    elif m := re.fullmatch(r"sq-(\d\.\d+)-rawsearch", method):
        e.update(rate=float(m[1]), raw=True)
    elif m := re.fullmatch(r"pauses\+speed-(\d\.\d+)", method):
        e.update(rate=1.0, plan={"speed_policy": "uniform", "max_speed": float(m[1])})
    elif m := re.fullmatch(r"pauses\+speed-(\d\.\d+)-onset(300|500)", method):
        e.update(rate=1.0, plan={"speed_policy": "uniform", "max_speed": float(m[1])}, onset=True)
    elif m := re.fullmatch(r"pauses\+speed-1\.3-(stress|transients)", method):
        e.update(
            rate=1.0, plan={"speed_policy": "uniform", "max_speed": 1.3, "within_window": m[1]}
        )
    elif m := re.fullmatch(r"sq-(guard|cues)-(eqtok-)?(\d\.\d+)", method):
        risk = ours.GUARD_EQUAL_TOKENS[method] if m[2] else sq.PlanOptions().max_risk_increase
        e.update(rate=float(m[3]), plan={"speed_policy": m[1], "max_speed": 1.8,
                                         "max_risk_increase": risk})  # fmt: skip
    elif m := re.fullmatch(r"sq-budget-(\d(\.\d)?)", method):
        e["budget"] = float(m[1])
    elif method == "sq-pauses":
        e.update(rate=1.0, plan={"max_speed": 1.0})
    elif method == "sq-verify":
        e["verify"] = (TINY, 2, None, None)
    elif m := re.fullmatch(r"sq-verify-(base-)?(\d\.\d+)", method):
        e.update(rate=float(m[2]), verify=(BASE if m[1] else TINY, 2, None, None))
    elif m := re.fullmatch(r"sq-(verify|conf)-(\d\.\d+)-(p(\d+)|r3)", method):
        p = int(m[4]) / 100 if m[4] else 0.7
        rounds = 0 if m[1] == "conf" else 3 if m[3] == "r3" else 2
        e.update(rate=float(m[2]), verify=(TINY, rounds, p, "window"))
    elif m := re.fullmatch(r"sq-verify-(\d\.\d+)-(utt|win)", method):
        scope = {"utt": "utterance", "win": "window"}[m[2]]
        e.update(rate=float(m[1]), verify=(TINY, 2, None, scope))
    elif m := re.fullmatch(r"sq-nsgain(0|-\d+)", method):
        e["gain"] = float(m[1])
    elif method == "sq-roomtone":
        e["roomtone"] = True
    elif method == "sq-longseg":
        e["analyze"] = {"max_segment_ms": 3_600_000.0}  # an hour
    elif m := re.fullmatch(r"sq-(0\.75-)?seg10s-levelpause", method):
        e.update(rate=0.75 if m[1] else 0.5, analyze={"max_segment_ms": 10_000.0},
                 plan={"inner_pause_prob": 1.0})  # fmt: skip
    elif m := re.fullmatch(r"sq-(0\.75-)?seg(\d+)(s?)", method):
        ms = float(m[2]) * (1000 if m[3] else 1)
        e.update(rate=0.75 if m[1] else 0.5, analyze={"max_segment_ms": ms})
    elif m := re.fullmatch(r"sq-(\d\.\d+-)?keep(\d+)(-pad(\d+))?", method):
        keep, pad = float(m[2]), float(m[4] or 64)
        noise = 30.0 if keep == 30 else 100.0
        e.update(rate=float(m[1][:-1]) if m[1] else 0.5,
                 plan={"min_keep_pause_ms": keep, "min_keep_noise_ms": noise},
                 analyze={"speech_pad_ms": pad})  # fmt: skip
    elif m := re.fullmatch(r"sq-vadreset-(off|(\d+)s)", method):
        e["analyze"] = {"vad_reset_ms": 1000.0 * float(m[2] or 0)}
    elif m := re.fullmatch(r"sq-(quiet(\d+))?-?(vadgain(0|30-(\d+)))?", method):
        e["input_db"] = -float(m[2] or 0)
        if m[4] == "0":
            e["analyze"] = {"vad_max_gain_db": 0.0}
        elif m[5]:
            floor = {"35": -65.0, "45": -70.0}[m[5]]
            e["analyze"] = {"vad_max_gain_db": 30.0, "vad_level_dbfs": -float(m[5]),
                            "vad_floor_dbfs": floor}  # fmt: skip
    elif m := re.fullmatch(r"sq-drop(0|20)(-vadonly|-sure)?", method):
        e["analyze"] = {"vad_reset_drop_db": float(m[1])}
        if m[1] == "20":
            e["analyze"]["vad_reset_drop_max_prob"] = 0.1 if m[2] == "-sure" else 1.0
        e["restart"] = m[2] != "-vadonly"
    else:
        assert method in ("sq-default", "sq-default-skip"), method
    return e


@dataclasses.dataclass(frozen=True)
class FakeResult:
    audio: np.ndarray
    stats: object
    plan: object
    analysis: object = None


# output: 100 samples kept, 60 of shortened noise kept, 40 of stretched speech
FAKE_PLAN = SimpleNamespace(
    edits=[
        Edit("keep", 0, 100, 100, "speech"),
        Edit("shorten", 100, 500, 60, "noise"),
        Edit("stretch", 500, 560, 40, "speech"),
    ]
)


class Spy:
    """Stands in for ``compress``: records its call and the probes' state during it, and
    returns its input's first 200 samples."""

    def __init__(self, no_speech=False):
        self.calls, self.no_speech = [], no_speech

    def __call__(self, samples, rate=DEFAULT_RATE, **kw):
        from audiosqueeze import curve
        from audiosqueeze.tsm import CurveWSOLA
        from audiosqueeze.vad import LevelGain

        self.calls.append(
            dict(kw, samples=samples, rate=rate, normalised=CurveWSOLA.normalised_search,
                 restart=LevelGain.restart, speeds_for=curve.speeds_for)
        )  # fmt: skip
        stats = SimpleNamespace(no_speech=self.no_speech)
        return FakeResult(np.array(samples[:200], np.float32), stats, FAKE_PLAN)


def _signal():
    return (0.1 * np.sin(np.arange(400) * 0.3)).astype(np.float32)


@pytest.mark.parametrize("method", [m for m in ours.OURS if m not in ours.FLOORS])
def test_each_method_calls_compress_with_what_its_name_says(monkeypatch, method):
    """(The floors pick their rate by a search: the test after the next.)"""
    from audiosqueeze import curve
    from audiosqueeze.vad import LevelGain

    e = _expected(method)
    spy = Spy()
    speeds_for = curve.speeds_for
    monkeypatch.setattr(sq, "compress", spy)
    monkeypatch.setattr(ours, "verifier", lambda name: f"asr:{name}")
    analysis = object()
    x = _signal()
    restart = LevelGain.restart
    out = ours.run_ours(method, x, analysis=analysis)
    call = spy.calls[-1]
    assert call["rate"] == e["rate"]
    assert (call.get("plan_options") or sq.PlanOptions()) == sq.PlanOptions(**e["plan"])
    assert (call.get("analyze_options") or sq.AnalyzeOptions()) == sq.AnalyzeOptions(**e["analyze"])
    render = call.get("render_options") or sq.RenderOptions()
    assert render == sq.RenderOptions(nonspeech_gain_db=e["gain"])
    assert call.get("max_wer_increase") == e["budget"]
    if e["verify"] is None:
        assert call.get("verify") is None
    else:
        asr, rounds, p, scope = e["verify"]
        assert call["verify"] == f"asr:{asr}" and call.get("verify_rounds", 2) == rounds
        assert call.get("verify_min_probability") == p and call.get("verify_scope") == scope
    assert call.get("sample_rate") == 16000
    # an earlier analysis is reused where the analysis options are the defaults, never else
    # (an analysis of the original is not one of the quieter input the quiet probes analyse)
    if not e["analyze"] and not e["input_db"]:
        assert call.get("analysis") is analysis
    if sq.AnalyzeOptions(**e["analyze"]) != sq.AnalyzeOptions() or e["input_db"]:
        assert call.get("analysis") is None
    assert call["normalised"] is not e["raw"] and (call["restart"] is restart) == e["restart"]
    from audiosqueeze.tsm import CurveWSOLA

    assert CurveWSOLA.normalised_search and LevelGain.restart is restart  # put back
    assert (call["speeds_for"] is not speeds_for) == e["onset"]  # the onset probe, inside only
    assert curve.speeds_for is speeds_for
    scale = 10 ** (e["input_db"] / 20)
    assert np.allclose(call["samples"], x * scale, rtol=1e-6)
    if e["roomtone"]:  # the kept noise (output samples 100 to 160) is room tone
        assert np.array_equal(out.samples, probes.room_tone(x[:200], np.array([[100, 160]])))
        assert not np.array_equal(out.samples, x[:200])
    else:
        assert np.allclose(out.samples, x[:200], rtol=1e-5)  # the level is raised back
    assert out.samples.dtype == np.float32 and out.no_speech is False and not out.skipped


@pytest.mark.parametrize("method", ["sq-default-skip", "sq-default", "sq-nsgain0"])
def test_only_the_skip_method_sends_nothing_and_only_on_no_speech(monkeypatch, method):
    monkeypatch.setattr(sq, "compress", Spy(no_speech=True))
    out = ours.run_ours(method, _signal())
    skip = method == "sq-default-skip"
    assert out.no_speech is True and out.skipped is skip
    assert len(out.samples) == (0 if skip else 200) and out.samples.dtype == np.float32
    monkeypatch.setattr(sq, "compress", Spy(no_speech=False))
    out = ours.run_ours("sq-default-skip", _signal())
    assert not out.skipped and len(out.samples) == 200


@pytest.mark.parametrize("found, rate", [(0.3, 0.5), (0.8, 0.8)])
def test_floors_cut_every_pause_then_take_the_rate_that_removes_the_share(monkeypatch, found, rate):
    spy, targets, analysed = Spy(), [], []

    def plan_for_target(a, share):
        targets.append((a, share))
        warnings.warn("not reached", sq.TargetNotReachedWarning, stacklevel=2)
        return SimpleNamespace(rate=found)

    monkeypatch.setattr(sq, "compress", spy)
    monkeypatch.setattr(sq, "plan_for_target", plan_for_target)
    monkeypatch.setattr(sq, "analyze", lambda x, **kw: analysed.append(kw) or "made")
    with warnings.catch_warnings():
        warnings.simplefilter("error", sq.TargetNotReachedWarning)
        for method in ("sq-floor-0.3", "sq-floor-0.32", "sq-floor-0.34"):
            ours.run_ours(method, _signal())
        ours.run_ours("sq-floor-0.3", _signal(), analysis="given")
    assert [t for _, t in targets] == [0.3, 0.32, 0.34, 0.3]
    assert [a for a, _ in targets] == ["made"] * 3 + ["given"]  # analysed once, or reused
    assert analysed == [{"sample_rate": 16000}] * 3
    assert [c["rate"] for c in spy.calls] == [rate] * 4
    assert [c["analysis"] for c in spy.calls] == ["made"] * 3 + ["given"]


def test_the_remembering_recogniser_keeps_the_latest_transcripts(monkeypatch):
    import audiosqueeze.asr as asr_mod

    heard = []

    class Fake:
        name, config = "fake", {"v": 1}

        def transcribe(self, samples):
            heard.append(float(samples[0]))
            return f"t{samples[0]:g}"

    monkeypatch.setattr(asr_mod, "load_asr", lambda name: Fake())
    r = ours._Remembering("fake", size=2)
    assert (r.name, r.config) == ("fake", {"v": 1})
    a, b, c = (np.full(4, v, np.float32) for v in (1, 2, 3))
    assert [r.transcribe(s) for s in (a, b, a)] == ["t1", "t2", "t1"]
    assert heard == [1.0, 2.0]  # the second a is remembered
    r.transcribe(c)  # three transcripts: the least recently used one (b) is forgotten
    assert r.transcribe(a) == "t1" and heard == [1.0, 2.0, 3.0]
    assert r.transcribe(b) == "t2" and heard == [1.0, 2.0, 3.0, 2.0]
    assert r.transcribe(a.astype(np.float64)) == "t1" and len(heard) == 4  # same samples
    ours.verifier.cache_clear()
    try:
        v = ours.verifier("fake")
        assert isinstance(v, ours._Remembering) and v.name == "fake"
        assert ours.verifier("fake") is v  # loaded once per process
    finally:
        ours.verifier.cache_clear()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ours.OursOutput(np.zeros(1), None, False, False).skipped = True


def test_kept_nonspeech_and_room_tone_on_planted_spans():
    plan = SimpleNamespace(
        edits=[
            Edit("shorten", 0, 100, 10, "silence"),
            Edit("keep", 100, 200, 100, "speech"),
            Edit("shorten", 200, 900, 0, "noise"),  # cut entirely: no span
            Edit("shorten", 900, 1000, 30, "speech"),  # speech: not non-speech
            Edit("shorten", 1000, 2000, 400, "noise"),
        ]
    )
    spans = probes.kept_nonspeech(plan)
    assert spans.dtype == np.int64 and spans.tolist() == [[0, 10], [140, 540]]
    assert probes.kept_nonspeech(SimpleNamespace(edits=[])).shape == (0, 2)
    x = np.full(600, 0.5, np.float32)
    y = probes.room_tone(x, spans)
    assert y.dtype == np.float32 and np.array_equal(y[10:140], x[10:140])
    assert np.array_equal(y[540:], x[540:])
    noise = np.random.default_rng(0).standard_normal(600).astype(np.float32) * np.float32(
        10 ** (-70 / 20)
    )
    r = 160  # 10 ms ramps at 16 kHz; a short span ramps over half of itself each side
    w = np.ones(400, np.float32)
    w[:r] = 1 - (np.arange(r, dtype=np.float32) + 0.5) / r
    w[400 - r :] = (np.arange(r, dtype=np.float32) + 0.5) / r
    w[r : 400 - r] = 0.0
    assert np.allclose(y[140:540], 0.5 * w + noise[140:540] * (1 - w), atol=1e-7)
    short = np.zeros(5, np.float32)  # 10 samples: 5-sample ramps
    short[:] = 1 - (np.arange(5) + 0.5) / 5
    want = np.concatenate([short, short[::-1]])
    assert np.allclose(y[:10], 0.5 * want + noise[:10] * (1 - want), atol=1e-7)
    assert np.array_equal(probes.room_tone(x, spans, seed=0), y)
    assert not np.array_equal(probes.room_tone(x, spans, seed=1), y)
    assert x[0] == 0.5  # the input is not changed
    one = probes.room_tone(x, np.array([[3, 4], [7, 9]]))  # no ramp in 1 sample, 1 in 2
    assert one[3] == noise[3] and np.allclose(one[7:9], 0.25 + noise[7:9] * 0.5)


#: the names the module docstring gives
DOCUMENTED = """sq-0.25 sq-0.5 sq-0.75 sq-1.0 sq-0.55 sq-0.6 sq-0.65 sq-0.7 sq-default
    sq-0.25-rawsearch sq-1.0-rawsearch sq-verify sq-verify-0.75 sq-verify-1.0
    sq-verify-base-1.0 sq-verify-0.75-p50 sq-verify-0.75-p70 sq-verify-0.75-p85
    sq-verify-1.0-p50 sq-verify-1.0-p70 sq-verify-1.0-p85 sq-conf-0.75-p70 sq-conf-1.0-p70
    sq-verify-0.75-r3 sq-verify-1.0-r3 sq-verify-0.75-utt sq-verify-1.0-utt sq-verify-0.75-win
    sq-verify-1.0-win sq-guard-0.5 sq-guard-1.0 sq-cues-0.5 sq-cues-1.0 sq-pauses
    sq-guard-eqtok-1.0 sq-floor-0.3 sq-floor-0.32 sq-floor-0.34 sq-budget-0.5 sq-budget-1
    sq-budget-2 pauses+speed-1.1 pauses+speed-1.15 pauses+speed-1.2 pauses+speed-1.3
    pauses+speed-1.45 pauses+speed-1.3-stress pauses+speed-1.3-transients sq-default-skip
    pauses+speed-1.2-onset300 pauses+speed-1.3-onset500 sq-seg10s-levelpause
    sq-0.75-seg10s-levelpause
    sq-nsgain0 sq-nsgain-15 sq-nsgain-30 sq-roomtone sq-seg10s sq-seg2s sq-seg256 sq-seg96
    sq-seg64 sq-0.75-seg10s sq-0.75-seg64 sq-keep60 sq-keep60-pad32 sq-keep30-pad32
    sq-keep150-pad64 sq-vadreset-2s sq-vadreset-5s sq-vadreset-10s sq-vadreset-off
    sq-vadgain0 sq-vadgain30-35 sq-vadgain30-45 sq-quiet30 sq-quiet40 sq-quiet30-vadgain0
    sq-quiet40-vadgain30-45 sq-drop0 sq-drop20 sq-drop20-vadonly sq-drop20-sure
    sq-longseg"""


def test_every_name_the_documentation_gives_is_a_method():
    assert sorted(set(DOCUMENTED.split()) - set(ours.OURS)) == []
    assert len(ours.OURS) == len(set(ours.OURS))


@pytest.mark.parametrize(("onset_ms", "kept"), [(500.0, 1), (1000.0, 2), (2251.0, 4)])
def test_the_onset_probe_keeps_only_the_first_speech_windows_at_1x(onset_ms, kept):
    """Silence, 3 s of speech (four 750-ms windows), silence, 2 s of speech (three windows) at
    1.2x: the windows starting within the onset of the first speech stay at 1.0x, every later
    one (the second speech too) is at 1.2x, and the planner is itself again afterwards."""
    from audiosqueeze import curve
    from audiosqueeze.analyze import Analysis, Segment

    sr = sq.SAMPLE_RATE
    parts = [("silence", 0, sr), ("speech", sr, 4 * sr), ("silence", 4 * sr, 6 * sr)]
    parts.append(("speech", 6 * sr, 8 * sr))
    segs = tuple(Segment(k, a, b, 0.9, 0.0 if k == "speech" else None, None) for k, a, b in parts)
    analysis = Analysis(segs, 8 * sr, np.zeros(0, np.float32), "test")
    o = sq.PlanOptions(max_speed=1.2)
    before = curve.speeds_for
    with probes.onset_probe(onset_ms):
        p = sq.plan(analysis, 1.0, o)
    assert curve.speeds_for is before
    first = [e for e in p.edits if e.segment == "speech" and e.end <= 4 * sr]
    second = [e for e in p.edits if e.segment == "speech" and e.start >= 6 * sr]
    assert sum(e.out_samples for e in first) == 12000 * kept + 10000 * (4 - kept)
    if kept < 4:  # one edit a window, the kept ones at 1.0x
        assert [e.out_samples for e in first] == [12000] * kept + [10000] * (4 - kept)
    assert [e.out_samples for e in second] == [round(n / 1.2) for n in (10666, 10667, 10667)]
    # without the probe every window is at 1.2x
    assert all(
        e.out_samples < e.in_samples
        for e in sq.plan(analysis, 1.0, o).edits
        if e.segment == "speech"
    )
