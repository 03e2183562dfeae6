"""The speed policies' window features are read from the speech run, causally: the same
numbers whether the analysis hands the run over as 64-ms pieces or as one long segment."""

from importlib import resources

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze import context, curve
from audiosqueeze.analyze import Segment
from audiosqueeze.segments import FRAME_FIELDS, Frames
from audiosqueeze.units import FRAME_SAMPLES

SR = sq.SAMPLE_RATE
DEMO = str(resources.files("audiosqueeze") / "data" / "demo_common_voice_en_73.flac")


def demo_speech(seconds: int = 3) -> np.ndarray:
    """Real speech: the bundled clip, said ``seconds`` times with no pause between."""
    x = sq.load(DEMO).samples
    return np.tile(x, seconds)


def analysis(x, ms):
    return sq.analyze(x, sq.AnalyzeOptions(vad="energy", max_segment_ms=ms), sample_rate=SR)


@pytest.fixture(scope="module")
def both():
    x = demo_speech()
    return x, analysis(x, 64.0), analysis(x, 10_000.0)


def test_runs_are_the_same_frames_however_the_analysis_split_them(both):
    _, short, long = both
    a, b = context.speech_runs(short.segments), context.speech_runs(long.segments)
    assert len(a) == len(b) >= 1
    assert sum(s.continues for s in short.segments) > 10 * len(a)  # really 64-ms pieces
    for r, s in zip(a, b, strict=True):
        assert (r.start, r.end) == (s.start, s.end)
        for k in FRAME_FIELDS:
            assert np.array_equal(r.frames[k], s.frames[k])
            assert len(r.frames[k]) == -(-(r.end - r.start) // FRAME_SAMPLES)


def test_stream_context_gives_the_whole_runs_features_for_every_piece(both):
    """What a streaming planner reads at each 64-ms piece (the run so far, trimmed) equals
    what the whole run gives for the window ending there."""
    _, short, _ = both
    runs = context.speech_runs(short.segments)
    starts = [r.start for r in runs]
    ctx, in_run, checked = context.RunContext(), False, 0
    for seg in short.segments:
        if seg.kind != "speech":
            in_run = False
            continue
        so_far = ctx.add(seg, joined=in_run)
        in_run = seg.continues
        run = runs[int(np.searchsorted(starts, seg.start, side="right")) - 1]
        span = [(seg.start, seg.end)]
        assert np.array_equal(
            context.context_features(so_far, span, 750.0),
            context.context_features(run, span, 750.0),
        )
        checked += 1
    assert checked > 50


def test_features_read_nothing_after_the_window_and_at_most_the_context_before_it(both):
    _, _, long = both
    run = max(context.speech_runs(long.segments), key=lambda r: r.end - r.start)
    a, b = run.start + 40 * FRAME_SAMPLES, run.start + 64 * FRAME_SAMPLES
    base = context.context_features(run, [(a, b)], 750.0)
    fb = (b - run.start) // FRAME_SAMPLES
    data = np.stack([np.array(run.frames[k], np.float64) for k in FRAME_FIELDS])
    later = data.copy()
    later[:, fb:] = np.random.default_rng(0).normal(size=later[:, fb:].shape) * 30
    f = dict(zip(FRAME_FIELDS, later, strict=True))
    moved = Segment("speech", run.start, run.end, 1.0, None, None, {}, f, False)
    assert np.array_equal(context.context_features(moved, [(a, b)], 750.0), base)
    earlier = data.copy()
    earlier[:, : fb - 10] += 5.0  # the run-level level and band move; the window's does not
    f = dict(zip(FRAME_FIELDS, earlier, strict=True))
    moved = Segment("speech", run.start, run.end, 1.0, None, None, {}, f, False)
    got = context.context_features(moved, [(a, b)], 100.0)  # a window of the last 10 frames
    i = context.FEATURES.index("level_rel_db")
    assert got[0, i] != base[0, i]


def test_a_short_piece_is_described_by_the_speech_it_ends():
    """A 64-ms window reads the last window_ms of its run: duration, syllables and level
    relative to the run are those of that stretch, not of two frames."""
    n = 200
    band = np.full(n, -40.0)
    band[10::8] = -10.0  # a syllable nucleus every 8 frames (256 ms): 3.9 a second
    frames = {
        "prob": np.full(n, 0.9),
        "level": np.where(np.arange(n) < 100, -30.0, -20.0),
        "band": band,
        "flux": np.full(n, 0.3),
        "floor": np.full(n, -60.0),
    }
    run = Segment("speech", 0, n * FRAME_SAMPLES, 1.0, None, None, {}, frames, False)
    b = 150 * FRAME_SAMPLES
    x = context.context_features(run, [(b - 2 * FRAME_SAMPLES, b)], 768.0)[0]
    feats = dict(zip(context.FEATURES, x.tolist(), strict=True))
    assert feats["duration_s"] == pytest.approx(0.768)  # 24 frames, not 2
    assert feats["syllable_rate_hz"] == pytest.approx(3 / 0.768)  # nuclei at 128, 136, 144
    assert feats["segment_syllable_rate_hz"] == pytest.approx(18 / (150 * 0.032), rel=1e-6)
    assert feats["level_rel_db"] == pytest.approx(10.0)  # the run so far: 100 of 150 at -30
    assert feats["snr_db"] == pytest.approx(40.0)


def test_predicted_wer_increase_does_not_depend_on_the_analysis_segment_length(both):
    """The guard's estimate of a plan's cost reads windows of the plan's sped-up speech, so
    64-ms pieces cost what one long segment costs (it used to count every piece as a window:
    about 14 times the estimate, and ``max_wer_increase`` then hardly moved the rate)."""
    _, short, long = both
    opts = sq.PlanOptions()
    got = [curve.predicted_wer_increase(a, sq.plan(a, 1.0, opts), opts) for a in (short, long)]
    assert got[0] > 0.1
    assert got[0] == pytest.approx(got[1], rel=0.15)


def test_the_budget_moves_the_rate_at_the_default_segment_length(both):
    """Each budget met at some rate gets at least that rate, so the budgets of a rate
    grid's estimates give as many rates as there are estimates."""
    _, short, _ = both
    opts = sq.PlanOptions()
    grid = [round(r, 2) for r in np.linspace(0.5, 1.0, 11)]
    cost = [curve.predicted_wer_increase(short, sq.plan(short, r, opts), opts) for r in grid]
    assert len(set(cost)) >= 3  # (a tree ensemble's estimate is a step function of speed)
    got = []
    for r, c in zip(grid, cost, strict=True):
        p = sq.plan_for_budget(short, c, opts)
        assert p.rate >= r - 1 / 4096 and curve.predicted_wer_increase(short, p, opts) <= c
        got.append(p.rate)
    assert got == sorted(got) and len(set(got)) >= len(set(cost))


@pytest.mark.parametrize("policy", ["guard", "cues"])
def test_feature_policies_plan_alike_for_pieces_and_segments(both, policy):
    """Speeds chosen piece by piece from the run so far come close to those chosen window
    by window over a whole segment (not equal: a piece cannot read ahead)."""
    _, short, long = both
    opts = sq.PlanOptions(speed_policy=policy)
    red = [sq.plan(a, 1.0, opts).reduction for a in (short, long)]
    assert red[1] > 0.1
    assert red[0] == pytest.approx(red[1], abs=0.05)


@pytest.mark.parametrize("policy", ["guard", "cues"])
def test_feature_policies_stream_bit_identically_and_step_up_gradually(policy):
    x = demo_speech(2)
    opts = sq.PlanOptions(speed_policy=policy)
    energy = sq.AnalyzeOptions(vad="energy")
    ref = sq.compress(x, 1.0, sample_rate=SR, analyze_options=energy, plan_options=opts)
    for cuts in ([7], [333, 5000, 5001, 20000], list(range(0, len(x), 1024))):
        s = sq.Stream(1.0, analyze_options=energy, plan_options=opts)
        bounds = [0, *cuts, len(x)]
        got = [s.push(x[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        assert np.array_equal(np.concatenate(got + [s.flush()]), ref.audio)
    # joined pieces speed up by at most max_speed_step per window_ms (a slow-down is free)
    speeds = [(e.start, e.end, e.speed) for e in ref.plan.edits if e.kind == "stretch"]
    assert len(speeds) > 20
    window = opts.window_ms / 1000 * SR
    for (_a0, b0, s0), (a1, b1, s1) in zip(speeds[:-1], speeds[1:], strict=True):
        if b0 == a1:
            assert s1 <= s0 + opts.max_speed_step * (b1 - a1) / window + 0.02


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"floor": None}, "missing"),
        ({"level": np.zeros(3)}, "numbers of one length"),
        ({"band": np.full(10, np.nan)}, "finite"),
        ({"prob": "x" * 10}, "numbers"),
    ],
)
def test_hand_made_frames_are_checked_before_a_policy_reads_them(bad, match):
    n = 10
    frames = {k: np.zeros(n) for k in FRAME_FIELDS} | bad
    frames = {k: v for k, v in frames.items() if v is not None}
    seg = Segment("speech", 0, n * FRAME_SAMPLES, 1.0, 0.5, None, {}, frames, False)
    a = sq.Analysis((seg,), n * FRAME_SAMPLES, np.zeros(n, np.float32), "energy")
    with pytest.raises(sq.OptionsError, match=match):
        sq.plan(a, 1.0, sq.PlanOptions(speed_policy="cues"))
    ok = {k: np.zeros(n) for k in FRAME_FIELDS}
    seg = Segment("speech", 0, n * FRAME_SAMPLES, 1.0, 0.5, None, {}, ok, False)
    a = sq.Analysis((seg,), n * FRAME_SAMPLES, np.zeros(n, np.float32), "energy")
    assert sq.plan(a, 1.0, sq.PlanOptions(speed_policy="cues")).out_samples > 0


def _piece(start_frame: int, n: int, level: float) -> Segment:
    f = {k: np.zeros(n) for k in FRAME_FIELDS} | {"level": np.full(n, level)}
    a = start_frame * FRAME_SAMPLES
    return Segment("speech", a, a + n * FRAME_SAMPLES, 1.0, 0.5, None, {}, f, True)


def test_within_window_rules_rank_a_piece_among_the_run_before_it():
    """MACH1's stress rule gives a quiet piece after loud speech its low tension; ranked
    among its own two frames it would look as loud as anything (tension 1)."""
    ctx = context.RunContext()
    for i in range(20):  # 1.28 s of loud speech, in 64-ms pieces
        ctx.add(_piece(2 * i, 2, -15.0), joined=i > 0)
    quiet = _piece(40, 2, -30.0)
    run = ctx.add(quiet, joined=True)
    assert np.allclose(curve.tension(quiet, "stress"), 1.0)  # alone: its own top
    t = curve.tension(quiet, "stress", run)
    # 15 dB under the run's top is (18 - 15) / 15 = 0.2; the first frame is smoothed with
    # the loud frame before it (1.0), the last with itself (edge)
    assert t == pytest.approx([(1.0 + 0.2 + 0.2) / 3, 0.2])
    assert curve.tension(quiet, "flat", run) is None


@pytest.mark.parametrize("ms", [64.0, 10_000.0])
def test_within_window_plans_vary_frame_by_frame_and_stream_bit_identically(ms):
    x = demo_speech(2)
    energy = sq.AnalyzeOptions(vad="energy", max_segment_ms=ms)
    opts = sq.PlanOptions(speed_policy="uniform", max_speed=1.5, within_window="stress")
    ref = sq.compress(x, 1.0, sample_rate=SR, analyze_options=energy, plan_options=opts)
    speeds = [e.speed for e in ref.plan.edits if e.kind == "stretch"]
    assert len({round(v, 2) for v in speeds}) > 5
    s = sq.Stream(1.0, analyze_options=energy, plan_options=opts)
    got = np.concatenate([s.push(x[i : i + 777]) for i in range(0, len(x), 777)] + [s.flush()])
    assert np.array_equal(got, ref.audio)


def _random_run_pieces(n_frames: int, piece_frames: int, tail: int) -> list[Segment]:
    """One run of ``n_frames`` random frames as joined pieces of ``piece_frames``, its last
    frame holding ``tail`` samples (the end of a recording)."""
    rng = np.random.default_rng(0)
    data = rng.normal(size=(len(FRAME_FIELDS), n_frames)) * 10
    data[0] = rng.uniform(0, 1, n_frames)
    pieces = []
    for a in range(0, n_frames, piece_frames):
        b = min(n_frames, a + piece_frames)
        end = b * FRAME_SAMPLES - (FRAME_SAMPLES - tail if b == n_frames else 0)
        f = dict(zip(FRAME_FIELDS, data[:, a:b], strict=True))
        pieces.append(
            Segment("speech", a * FRAME_SAMPLES, end, 1.0, None, None, {}, f, b < n_frames)
        )
    return pieces


@pytest.mark.parametrize("window_ms", [9_990.0, 10_000.0])
def test_stream_context_holds_every_frame_of_the_longest_window(window_ms):
    """At PlanOptions' longest windows (10 s reaches up to 314 frames back from a window's
    end), the trimmed run a stream keeps reads what the whole run reads, also for the last
    piece of a recording, shorter than a frame."""
    pieces = _random_run_pieces(701, 2, 100)
    assert pieces[-1].end - pieces[-1].start == 100
    (run,) = context.speech_runs(pieces)
    ctx = context.RunContext()
    for i, seg in enumerate(pieces):
        so_far = ctx.add(seg, joined=i > 0)
        for span in ([(seg.start, seg.end)], [(seg.start + 1, min(seg.end, seg.start + 100))]):
            assert np.array_equal(
                context.context_features(so_far, span, window_ms),
                context.context_features(run, span, window_ms),
            ), (i, span)


@pytest.mark.parametrize("n_frames, value", [(0, 0.0), (3, 0.0), (40, np.nan), (41, 0.0)])
@pytest.mark.parametrize(
    "policy, rule", [("cues", "flat"), ("guard", "flat"), ("uniform", "stress")]
)
def test_hand_made_frames_objects_are_checked_too(n_frames, value, policy, rule):
    """A Frames object made by hand (the analyzer's own class, the fields in order) gets
    the same checks as a dict of frames: one finite frame per 32 ms of the segment."""
    data = np.full((len(FRAME_FIELDS), n_frames), value)
    seg = Segment("speech", 0, 40 * FRAME_SAMPLES, 1.0, 0.5, None, {}, Frames(FRAME_FIELDS, data))
    a = sq.Analysis((seg,), seg.end, np.zeros(40, np.float32), "energy")
    opts = sq.PlanOptions(speed_policy=policy, within_window=rule)
    with pytest.raises(sq.OptionsError, match="finite frames"):
        sq.plan(a, 1.0, opts)


def test_a_run_kept_at_first_still_speeds_up_gradually(monkeypatch):
    """A run's first piece kept as is (its speed 1.0) bounds the next piece's speed-up as a
    stretched one does: the bound is on the speech, not on the edit kind."""
    n = 40
    frames = {k: np.zeros(n) for k in FRAME_FIELDS}
    segs = tuple(
        Segment(
            "speech",
            i * FRAME_SAMPLES,
            (i + 2) * FRAME_SAMPLES,
            1.0,
            None,
            None,
            {},
            {k: v[i : i + 2] for k, v in frames.items()},
            i + 2 < n,
        )
        for i in range(0, n, 2)
    )
    a = sq.Analysis(segs, n * FRAME_SAMPLES, np.zeros(n, np.float32), "energy")
    hard = 2 * FRAME_SAMPLES  # the first piece is as hard as speech gets, the rest easy

    def feats(run, spans, window_ms):
        x = np.zeros((len(spans), len(context.FEATURES)), np.float32)
        x[:, context.FEATURES.index("complexity")] = [b <= hard for _, b in spans]
        return x

    monkeypatch.setattr(curve, "context_features", feats)
    opts = sq.PlanOptions(speed_policy="cues")
    edits = sq.plan(a, 1.0, opts).edits
    assert edits[0].kind == "keep" and edits[0].end == hard
    step = opts.max_speed_step * 2 * FRAME_SAMPLES / (opts.window_ms / 1000 * SR)
    assert edits[1].speed <= 1.0 + step + 0.01


def test_the_planner_reads_each_piece_from_its_run():
    """Each 64-ms piece's speed under ``cues`` is the one its window of the whole run gives
    (with a step bound too loose to bind), not the one the piece alone gives."""
    x = demo_speech(2)
    a = analysis(x, 64.0)
    opts = sq.PlanOptions(speed_policy="cues", window_ms=100.0, max_speed_step=1.0)
    top = opts.top_speed(1.0)
    runs = context.speech_runs(a.segments)
    starts = [r.start for r in runs]
    stretches = [e for e in sq.plan(a, 1.0, opts).edits if e.kind == "stretch"]
    assert len(stretches) > 30
    differs = 0
    for e in stretches:
        run = runs[int(np.searchsorted(starts, e.start, side="right")) - 1]
        c = context.FEATURES.index("complexity")
        want = 1.0 + (top - 1.0) * (
            1.0 - context.context_features(run, [(e.start, e.end)], 100.0)[0, c]
        )
        assert e.speed == pytest.approx(want, abs=0.01)
        piece = [s for s in a.segments if s.start <= e.start < s.end][0]
        alone = context.context_features(piece, [(e.start, e.end)], 100.0)[0, c]
        differs += abs(1.0 + (top - 1.0) * (1.0 - alone) - want) > 0.05
    assert differs > len(stretches) // 4
