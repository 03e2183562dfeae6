"""Known answers for the renderer: the crossfade a cut makes (its length, place, gains and
symmetry), the level of stretched speech and of an attenuated pause, and the same samples
from :func:`render_run`, the streaming renderer and the library time-stretchers' path."""

import dataclasses

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze.errors import OptionsError
from audiosqueeze.plan import Edit, Plan
from audiosqueeze.render import (
    CONTEXT_SAMPLES,
    Renderer,
    RenderOptions,
    render,
    render_edit,
    render_run,
    timemap_of,
)
from audiosqueeze.tsm import wsola_curve

SR = 16000


def cut_plan(n, start, end, head, tail, segment="silence"):
    edits = (
        Edit("keep", 0, start, start, "speech"),
        Edit("shorten", start, end, head + tail, segment, head),
        Edit("keep", end, n, n - end, "speech"),
    )
    return Plan(edits, n, 1.0)


@pytest.mark.parametrize("ms", [None, 0.0, 5.0, 20.0])
def test_a_cut_crossfades_over_crossfade_ms_centred_on_the_join_with_mirrored_gains(ms):
    # before the middle of the cut span the input is a constant 0.5, after it 0: the join
    # fades the one out and the other in, and every sample of the fade shows its gain
    n, start, end, head = 3 * SR, SR, 2 * SR, 1200
    x = np.zeros(n, np.float32)
    x[: 3 * SR // 2] = 0.5
    options = RenderOptions() if ms is None else RenderOptions(crossfade_ms=ms)
    fade = round((10.0 if ms is None else ms) * SR / 1000)  # README: a 10 ms crossfade
    plan = cut_plan(n, start, end, head, head)
    down, up = render(x, plan, options), render(0.5 - x, plan, options)
    assert len(down) == len(up) == n - (end - start) + 2 * head
    moving = np.flatnonzero((down != 0.5) & (down != 0.0))
    join = start + head  # where the kept head meets the kept tail in the output
    assert np.array_equal(moving, np.arange(join - fade // 2, join - fade // 2 + fade))
    assert np.array_equal(np.flatnonzero((up != 0.5) & (up != 0.0)), moving)
    g_out, g_in = down[moving] / 0.5, up[moving] / 0.5
    assert np.allclose(g_out**2 + g_in**2, 1.0, atol=1e-6)  # equal power
    assert np.allclose(g_out, g_in[::-1], atol=1e-6)  # the fade-out is the fade-in reversed
    assert np.all(np.diff(g_out) < 0) and np.all((g_out > 0) & (g_out < 1))
    if not fade:  # no crossfade: a plain splice
        assert np.array_equal(down, np.concatenate([x[:join], x[end - head :]]))


@pytest.mark.parametrize("n", [1, 2, 3, 160, 161])
def test_equal_power_fades_of_any_length_are_mirror_images(n):
    from audiosqueeze.render import equal_power

    out, inn = equal_power(n)
    assert np.allclose(out, inn[::-1], atol=1e-6) and np.allclose(out**2 + inn**2, 1.0)


def test_a_stretched_tone_between_kept_tone_keeps_its_level_to_the_last_sample():
    # a steady tone sped up in the middle of a recording: every 10 ms of the output, the
    # joins included, has the tone's level (WSOLA reads real audio beyond the span's ends)
    hz, n = 200.0, 4 * SR
    x = (0.5 * np.sin(2 * np.pi * hz * np.arange(n) / SR)).astype(np.float32)
    edits = (
        Edit("keep", 0, SR, SR, "speech"),
        Edit("stretch", SR, 3 * SR, int(2 * SR / 1.37), "speech"),
        Edit("keep", 3 * SR, n, SR, "speech"),
    )
    y = render(x, Plan(edits, n, 1.0))
    assert len(y) == 2 * SR + int(2 * SR / 1.37)
    win = SR // 100  # two periods of the tone
    rms = np.sqrt(np.mean(y[: len(y) // win * win].reshape(-1, win) ** 2, axis=1))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.03)


@pytest.mark.parametrize("speed", [1.37, 0.7])
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_without_crossfades_a_run_is_wsola_with_the_whole_recording_as_context(where, speed):
    # the renderer hands WSOLA only CONTEXT_SAMPLES around a run: that is all WSOLA reads,
    # so the run's samples are those of WSOLA given the whole recording around it
    n = 4 * SR
    t = np.arange(n) / SR
    x = (0.4 * np.sin(2 * np.pi * (150 + 60 * t) * t)).astype(np.float32)
    x += np.random.default_rng(0).normal(0, 0.05, n).astype(np.float32)
    s = {"start": 0, "middle": SR, "end": 2 * SR}[where]
    e = s + 2 * SR
    k = int(2 * SR / speed)
    plan = runs_plan(n, [(s, [(SR, k // 2), (SR, k - k // 2)])])
    y = render(x, plan, RenderOptions(crossfade_ms=0))
    want = wsola_curve(x, [0, SR, 2 * SR], [0, k // 2, k], lead=s, trail=n - e)
    assert np.array_equal(y[s : s + k], want)
    assert np.array_equal(y[:s], x[:s]) and np.array_equal(y[s + k :], x[e:])


def test_stretched_speech_never_exceeds_the_inputs_peak():
    # WSOLA's output is a weighted mean of input samples, and the joins are linear
    # crossfades: nothing overshoots the input, however unlike the frames are
    rng = np.random.default_rng(7)
    n = 3 * SR
    x = rng.uniform(-0.5, 0.5, n).astype(np.float32)
    pieces = [(4000, 9000), (9000, 9400), (9400, 30_000)]
    run = [Edit("stretch", a, b, int((b - a) / 1.6), "speech", 0, b < 30_000) for a, b in pieces]
    edits = (Edit("keep", 0, 4000, 4000, "speech"), *run,
             Edit("keep", 30_000, n, n - 30_000, "speech"))  # fmt: skip
    y = render(x, Plan(edits, n, 1.0))
    assert np.abs(y).max() <= np.abs(x).max() * (1 + 1e-6)
    # and the stretched span ends next to the input's own last sample: the output returns
    # to the untouched audio without a step
    k = 4000 + sum(e.out_samples for e in run)
    assert abs(y[k - 1] - x[29_999]) < 0.01 and np.array_equal(y[k:], x[30_000:])


def gain_ratio(x, plan, db, **kw):
    plain = render(x, plan, RenderOptions(**kw))
    quiet = render(x, plan, RenderOptions(nonspeech_gain_db=db, **kw))
    assert len(plain) == len(quiet) and np.all(plain != 0)
    return quiet / plain


@pytest.mark.parametrize("kept", [120, 200, 320, 2400])
def test_an_attenuated_pause_ramps_down_and_back_up_symmetrically(kept):
    # a constant input shortened to ``kept`` samples between speech: quiet / plain is the
    # gain itself, 1 next to the speech, down to -30 dB in the middle where there is room,
    # never below, never above 1, never jumping, and the same forwards and backwards
    x = np.full(3 * SR, 0.25, np.float32)
    plan = cut_plan(len(x), SR, 2 * SR, kept // 2, kept - kept // 2)
    g = 10 ** (-30 / 20)
    r = gain_ratio(x, plan, -30.0)
    assert np.array_equal(r[:SR], np.ones(SR)) and np.array_equal(r[SR + kept :], np.ones(SR))
    env = r[SR : SR + kept]
    assert np.allclose(env, env[::-1], atol=1e-6)
    half = env[: kept // 2]
    assert np.all(np.diff(half) <= 1e-7) and half[0] < 1 and env.min() >= g * (1 - 1e-5)
    ramp = 160  # crossfade_ms
    assert np.all(np.abs(np.diff(env)) <= 1.0 / min(ramp, kept // 2) + 1e-5)
    if kept >= 2 * ramp:
        assert env[ramp : kept - ramp] == pytest.approx(g, rel=1e-5)


@pytest.mark.parametrize("kept", [100, 200, 2400])
def test_an_attenuated_lead_and_trail_ramp_only_where_they_meet_speech(kept):
    # a recording that opens and closes with noise: the kept lead is at the gain from its
    # first sample and ramps up to 1 over crossfade_ms (or all of it) before the speech;
    # the trail mirrors it
    rng = np.random.default_rng(1)
    x = rng.uniform(0.1, 0.5, 4 * SR).astype(np.float32)  # never 0, so quiet / plain is defined
    edits = (
        Edit("shorten", 0, SR, kept, "noise", 0),
        Edit("keep", SR, 3 * SR, 2 * SR, "speech"),
        Edit("shorten", 3 * SR, 4 * SR, kept, "noise", kept),
    )
    g = 10 ** (-24 / 20)
    r = gain_ratio(x, Plan(edits, len(x), 1.0), -24.0)
    lead, trail = r[:kept], r[kept + 2 * SR :]
    assert np.array_equal(r[kept : kept + 2 * SR], np.ones(2 * SR))
    ramp = min(160, kept)
    assert lead[: kept - ramp] == pytest.approx(g, rel=1e-5)
    assert g * (1 - 1e-5) <= lead[0] <= g + (1 - g) / ramp
    assert np.all(np.diff(lead) >= -1e-7) and lead[-1] > 1 - 1.0 / ramp
    assert np.all(np.diff(lead[kept - ramp :]) > 0)  # rising over all of crossfade_ms
    assert np.allclose(trail, lead[::-1], rtol=1e-5)


def test_the_gain_leaves_speech_alone_even_where_speech_is_shortened():
    # nonspeech_gain_db is for shortened non-speech; a plan may shorten speech (a plan of
    # one's own): that stays as recorded
    x = np.random.default_rng(2).uniform(0.1, 0.5, 3 * SR).astype(np.float32)
    plan = cut_plan(len(x), SR, 2 * SR, 600, 600, segment="speech")
    assert np.array_equal(render(x, plan, RenderOptions(nonspeech_gain_db=-40)), render(x, plan))


def test_render_edit_refuses_an_edit_kind_it_does_not_know():
    x = np.zeros(SR, np.float32)
    with pytest.raises(OptionsError, match="'warp'"):
        render_edit(x, Edit("warp", 0, SR, SR // 2, "speech"), RenderOptions())


def runs_plan(n, runs):
    """Keep, a joined run of stretch edits over each ``(start, [(length, out)...])``, keep."""
    edits, at = [], 0
    for start, pieces in runs:
        if start > at:
            edits.append(Edit("keep", at, start, start - at, "speech"))
        run = []
        for i, (length, out) in enumerate(pieces):
            run.append(
                Edit("stretch", start, start + length, out, "speech", 0, i < len(pieces) - 1)
            )
            start += length
        edits += run
        at = start
    if at < n:
        edits.append(Edit("keep", at, n, n - at, "speech"))
    return Plan(tuple(edits), n, 1.0)


RUNS = [
    [(0, [(4000, 3000), (6000, 3000)])],  # opens the recording: no context before it
    [(12_000, [(300, 200)]), (30_000, [(250, 400)])],  # shorter than two crossfades; slower
    [(12_000, [(400, 200), (400, 100)])],  # a joined run shorter than two crossfades
    [(5000, [(5000, 4000), (7000, 5000), (900, 600)]), (20_000, [(28_000, 20_000)])],  # to the end
]


@pytest.mark.parametrize("runs", RUNS)
def test_render_run_gives_the_streaming_renderers_samples(runs):
    # render() makes a joined run frame by frame as it streams; render_run() makes it in one
    # go: the docs promise the same samples, and the untouched audio around them as is
    n = 48_000
    t = np.arange(n) / SR
    x = (0.4 * np.sin(2 * np.pi * (150 + 60 * t) * t)).astype(np.float32)
    x += np.random.default_rng(3).normal(0, 0.05, n).astype(np.float32)
    plan = runs_plan(n, runs)
    y = render(x, plan)
    assert len(y) == sum(e.out_samples for e in plan.edits)
    at, edits = 0, list(plan.edits)
    while edits:
        e = edits.pop(0)
        if e.kind == "keep":
            assert np.array_equal(y[at : at + e.out_samples], x[e.start : e.end])
            at += e.out_samples
            continue
        run = [e]
        while run[-1].joined:
            run.append(edits.pop(0))
        got = render_run(x, run, RenderOptions())
        assert np.array_equal(y[at : at + len(got)], got)
        if len(run) == 1:  # one edit: render_edit's samples too
            assert np.array_equal(render_edit(x, e, RenderOptions()), got)
        at += len(got)
    assert at == len(y)
    # and streamed in odd chunks, each edit planned once its input is in
    assert np.array_equal(chunked(x, plan, RenderOptions(), 997, ahead=False), y)


@pytest.mark.parametrize("method", ["signalsmith", "audiotsm"])
def test_a_library_tsm_renders_each_run_to_its_length_and_pitch_in_any_chunks(method):
    pytest.importorskip({"signalsmith": "python_stretch", "audiotsm": "audiotsm"}[method])
    # two tones (300 Hz, then 600 Hz) sped up as one joined run of two edits (1.25x, 1.6x),
    # then more 600 Hz sped up by one edit of its own (1.25x), between kept audio: each piece
    # keeps its tone's pitch and planned length, the kept audio is bit-exact away from the
    # joins, and a stream of odd chunks gives the same bytes
    t = np.arange(SR) / SR
    low, high = np.sin(2 * np.pi * 300 * t) * 0.4, np.sin(2 * np.pi * 600 * t) * 0.4
    x = np.concatenate([low[:4000], low, high, high[:12_000]]).astype(np.float32)
    n = len(x)  # 48 000
    plan = runs_plan(n, [(4000, [(SR, 12_800), (SR, 10_000)]), (38_000, [(8000, 6400)])])
    options = RenderOptions(tsm=method)
    y = render(x, plan, options)
    assert len(y) == 4000 + 12_800 + 10_000 + 2000 + 6400 + 2000
    assert np.array_equal(y[:3800], x[:3800]) and np.array_equal(y[-1800:], x[-1800:])
    assert np.array_equal(y[27_000:28_600], x[36_200:37_800])
    for (a, b), hz in (
        ((4000, 16_800), 300.0),
        ((16_800, 26_800), 600.0),
        ((28_800, 35_200), 600.0),
    ):
        # each piece's tone fills it to within 15 ms of both its planned ends (audiotsm's
        # output ran about 100 ms short and was edge-padded to length before tsm_libs gave
        # it zeros to stretch after the piece)
        parts = [y[a + 240 : a + 1240], y[a + 1500 : b - 1500], y[b - 1240 : b - 240]]
        for part in parts:
            spec = np.abs(np.fft.rfft(part * np.hanning(len(part)), 1 << 15))
            assert np.fft.rfftfreq(1 << 15, 1 / SR)[np.argmax(spec)] == pytest.approx(hz, abs=8)
    # the joined run is one unit: crossfaded with the kept audio at its ends only
    assert np.array_equal(y[4000:26_800], render_run(x, list(plan.edits[1:3]), options))
    for ahead in (True, False):  # the plan given up front, or each edit once its input is in
        assert np.array_equal(chunked(x, plan, options, 3001, ahead), y)


def chunked(x, plan, options, step, ahead):
    r, out, edits = Renderer(options), [], list(plan.edits)
    if ahead:
        r.add(edits)
        edits = []
    for a in range(0, len(x), step):
        r.push(x[a : a + step])
        while edits and edits[0].end <= a + step:
            r.add([edits.pop(0)])
        out.append(r.pull())
    r.add(edits)
    out.append(r.pull(final=True))
    return np.concatenate(out)


@pytest.mark.parametrize("kind", ["keep", "stretch"])
def test_an_edit_comes_out_as_soon_as_the_input_after_it_that_it_reads_has_arrived(kind):
    # the renderer's part of the stream's latency: an edit is rendered once CONTEXT_SAMPLES
    # of input beyond its end have arrived, and not a sample later
    x = (0.4 * np.sin(2 * np.pi * 200 * np.arange(SR) / SR)).astype(np.float32)
    first = Edit(kind, 0, 8000, 8000 if kind == "keep" else 6000, "speech")
    r = Renderer()
    r.add([first, Edit("keep", 8000, SR, SR - 8000, "speech")])
    r.push(x[: 8000 + CONTEXT_SAMPLES - 1])
    early = r.pull()
    assert len(early) < first.out_samples
    r.push(x[8000 + CONTEXT_SAMPLES - 1 : 8000 + CONTEXT_SAMPLES])
    assert len(early) + len(r.pull()) == first.out_samples


PLANS = {
    "keep": [Edit("keep", 0, 20_000, 20_000, "speech")],
    "run": [
        Edit("keep", 0, 4000, 4000, "speech"),
        Edit("stretch", 4000, 12_000, 6000, "speech", 0, True),
        Edit("stretch", 12_000, 20_000, 6000, "speech"),
    ],  # fmt: skip
}


@pytest.mark.parametrize("tsm", ["wsola", "audiotsm"])
@pytest.mark.parametrize("edits", PLANS.values(), ids=PLANS.keys())
def test_input_that_ends_before_the_plan_is_a_clear_error_at_the_end(edits, tsm):
    if tsm == "audiotsm":
        pytest.importorskip("audiotsm")
    r = Renderer(RenderOptions(tsm=tsm))
    r.add(edits)
    r.push(np.zeros(15_000, np.float32))
    r.pull()
    with pytest.raises(OptionsError, match="needs input up to sample 20000, but the stream has"):
        r.pull(final=True)


def test_the_renderer_refuses_edits_that_are_not_contiguous():
    r = Renderer()
    r.add([Edit("keep", 0, 1000, 1000, "speech")])
    with pytest.raises(OptionsError, match="edits must be contiguous"):
        r.add([Edit("keep", 1200, 2000, 800, "speech")])


def test_render_options_are_checked_once_and_then_fixed():
    # a value past its checks (a louder pause, a longer fade) cannot be set afterwards
    o = RenderOptions()
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.nonspeech_gain_db = 6.0
    with pytest.raises(OptionsError, match="nonspeech_gain_db"):
        RenderOptions(nonspeech_gain_db=0.5)  # it attenuates, never amplifies


@pytest.mark.parametrize("n", [1, 5000])
def test_the_time_map_of_a_plan_covers_exactly_its_samples(n):
    # one edit: the map spans the plan's input and output
    kind, out = ("keep", n) if n == 1 else ("stretch", n // 2)
    edits = (Edit(kind, 0, n, out, "speech"),)
    tm = timemap_of(Plan(edits, n, 1.0))
    assert (tm.original_samples, tm.compressed_samples) == (n, out)


def test_a_plan_of_no_samples_has_no_time_map_and_says_so():
    # a stream flushed before any input plans nothing; its map is refused as compress()
    # refuses no samples, not with a malformed map's complaint
    s = sq.Stream(analyze_options=sq.AnalyzeOptions(vad="energy"))
    assert len(s.flush()) == 0 and s.timemap is None and s.plan().edits == ()
    with pytest.raises(sq.EmptyAudioError, match="a plan of zero samples has no time map"):
        timemap_of(s.plan())


def test_the_context_after_a_run_survives_a_push_that_comes_while_the_run_waits_for_it():
    # a joined run planned up front whose input has arrived up to one sample short of the
    # context after its end: the run waits for that sample, while WSOLA has made its frames
    # up to the run's end (on noise at speed 1 each frame is the natural continuation, and
    # the run is a whole number of hops long, so the last one ends right at the run's end).
    # The next push is big enough to make the renderer drop old input: it must keep what
    # the edit after the run reads before the run's end
    n, end = 150_000, 8000 + 240 * 256
    x = np.random.default_rng(4).normal(0, 0.1, n).astype(np.float32)
    edges = [*range(8000, end, 4000), end]
    run = [Edit("stretch", a, b, b - a, "speech", 0, b < end)
           for a, b in zip(edges[:-1], edges[1:], strict=True)]  # fmt: skip
    edits = [Edit("keep", 0, 8000, 8000, "speech"), *run,
             Edit("keep", end, n, n - end, "speech")]  # fmt: skip
    plan = Plan(tuple(edits), n, 1.0)
    r = Renderer()
    r.add(edits)
    out = []
    for a, b in ((0, end + CONTEXT_SAMPLES - 1), (end + CONTEXT_SAMPLES - 1, n)):
        r.push(x[a:b])
        out.append(r.pull())
    out.append(r.pull(final=True))
    assert np.array_equal(np.concatenate(out), render(x, plan))
