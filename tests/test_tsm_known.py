"""Known answers for the time-stretchers: where the output starts and what input it covers,
which maps and shapes are refused or accepted, no clicks between WSOLA's frames, and a
slowed-down map fed piece by piece reading only from where it says it will."""

import numpy as np
import pytest

from audiosqueeze.errors import OptionsError
from audiosqueeze.tsm import (
    WSOLA_FRAME,
    WSOLA_TOLERANCE,
    CurveWSOLA,
    stretch,
    stretch_curve,
    wsola,
    wsola_curve,
)
from conftest import wsola_ready, wsola_rest

SR = 16000


def noise(n, seed=1):
    return np.random.default_rng(seed).normal(0, 0.1, n).astype(np.float32)


@pytest.mark.parametrize("speed", [0.8, 1.0, 1.3])
def test_without_context_every_entry_point_stretches_all_of_x_from_its_first_sample(speed):
    # no lead or trail given: the core is all of x, so the four ways in agree, the output
    # starts on x's first samples, and at speed 1 it is x itself
    x = noise(SR)
    k = int(round(len(x) / speed))
    y = wsola(x, k)
    assert len(y) == k
    for other in (
        stretch(x, k),
        wsola_curve(x, [0, len(x)], [0, k]),
        stretch_curve(x, [0, len(x)], [0, k]),
    ):
        assert np.array_equal(other, y)
    assert np.allclose(y[:100], x[:100], atol=1e-6)
    if speed == 1.0:
        assert np.allclose(y, x, atol=1e-6)


@pytest.mark.parametrize("method", ["audiotsm", "signalsmith"])
def test_a_library_stretch_reads_only_the_core_between_its_context(method):
    pytest.importorskip({"signalsmith": "python_stretch", "audiotsm": "audiotsm"}[method])
    core = (0.4 * np.sin(2 * np.pi * 300 * np.arange(SR) / SR)).astype(np.float32)
    lead, trail = noise(700, 2), noise(900, 3)
    x = np.concatenate([lead, core, trail])
    want = stretch(core, 12_800, method)
    assert len(want) == 12_800
    assert np.array_equal(stretch(x, 12_800, method, lead=700, trail=900), want)
    curve = stretch_curve(x, [0, SR], [0, 12_800], method, lead=700, trail=900)
    assert np.array_equal(curve, want)


BAD_MAPS = {
    "no output": ([0, 1000], [0, 0]),
    "one knot": ([0], [0]),
    "knots differ in number": ([0, 500, 1000], [0, 800]),
    "input map from 1": ([1, 1000], [0, 800]),
    "output map from 1": ([0, 1000], [1, 800]),
    "input map short of the core": ([0, 999], [0, 800]),
    "input goes back": ([0, 600, 500, 1000], [0, 300, 400, 800]),
    "input stands still": ([0, 500, 500, 1000], [0, 300, 400, 800]),
    "output stands still": ([0, 300, 500, 1000], [0, 300, 300, 800]),
}


@pytest.mark.parametrize("knots", BAD_MAPS.values(), ids=BAD_MAPS.keys())
def test_a_map_that_is_not_increasing_from_0_to_the_core_is_refused(knots):
    with pytest.raises(OptionsError, match="cannot stretch"):
        wsola_curve(noise(1000), *knots)


def test_a_map_with_one_sample_pieces_follows_them():
    # a plan may stretch a single sample (a one-sample edit in a joined run)
    x = noise(3000)
    y = wsola_curve(x, [0, 1000, 1001, 3000], [0, 800, 801, 2400])
    assert len(y) == 2400
    assert np.allclose(y[:100], x[:100], atol=1e-6)
    assert len(wsola_curve(x, [0, 1000, 3000], [0, 1, 2400])) == 2400  # one output sample
    # and a whole stretch of one sample, or to one sample (a plan's smallest stretch edits)
    one = wsola(x[:1], 3)
    assert len(one) == 3 and one[0] == pytest.approx(x[0], abs=1e-6)
    assert len(wsola(x, 1)) == 1


def test_a_curve_wsola_made_without_a_lead_has_no_context_before_the_core():
    x = noise(4000)
    w = CurveWSOLA()
    w.extend(4000, 3000)
    assert np.array_equal(w.render(x, 0, len(x), final=True), wsola(x, 3000))


def test_a_map_piece_is_refused_unless_it_has_input_and_output():
    w = CurveWSOLA(0)
    for bad in ((0, 100), (100, 0), (-5, 100)):
        with pytest.raises(OptionsError, match="cannot stretch"):
            w.extend(*bad)
    w.extend(1000, 800)
    w.extend(500, 400.5)
    assert (w.in_samples, w.out_samples) == (1500, 1200)


def test_the_smallest_frame_and_no_search_are_wsola_shapes():
    # frame 4 (hop 2) is the smallest even frame; tolerance 0 is plain overlap-add at the
    # nominal positions, which at speed 1 gives the input back
    x = noise(4000)
    assert len(wsola(x, 3000, frame=4, tolerance=0)) == 3000
    assert np.allclose(wsola(x, 4000, tolerance=0), x, atol=1e-6)
    y = wsola(x, 3000, tolerance=0)
    assert len(y) == 3000 and not np.array_equal(y, wsola(x, 3000))


@pytest.mark.parametrize("speed", [0.8, 1.3, 1.6])
def test_stretching_two_unrelated_tones_makes_no_clicks_between_frames(speed):
    # 200 Hz + 313 Hz never repeats within the search's reach, so frames never line up
    # exactly: the window must still fade each into the next, no steeper than the input
    t = np.arange(2 * SR) / SR
    x = (0.3 * np.sin(2 * np.pi * 200 * t) + 0.3 * np.sin(2 * np.pi * 313 * t)).astype(np.float32)
    y = wsola(x, int(len(x) / speed))
    assert np.abs(np.diff(y)).max() <= 1.1 * np.abs(np.diff(x)).max()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_slowed_down_map_fed_piece_by_piece_reads_only_from_next_read(seed):
    # slowing down, the frames' nominal positions advance less than a hop: each render is
    # handed input from next_read() only, and the pieces still make one-shot's samples
    rng = np.random.default_rng(seed)
    n, lead = 20_000, WSOLA_FRAME + WSOLA_TOLERANCE
    x = rng.standard_normal(lead + n).astype(np.float32)
    cuts = np.unique(rng.integers(1, n, 5))
    in_knots = np.concatenate([[0], cuts, [n]])
    outs = np.round(np.diff(in_knots) / rng.uniform(0.3, 1.0, len(cuts) + 1))
    out_knots = np.concatenate([[0], np.cumsum(outs)])
    whole = wsola_curve(x, in_knots, out_knots, lead)
    w, got = CurveWSOLA(lead), []
    for i in range(1, len(in_knots)):
        w.extend(in_knots[i] - in_knots[i - 1], outs[i - 1])
        for limit in (lead + int(in_knots[i]) // 2, lead + int(in_knots[i])):
            wsola_ready(w, x, limit, got)
    assert np.array_equal(wsola_rest(w, x, got), whole)


def test_an_unknown_method_is_refused_with_the_choices():
    x = noise(1000)
    choices = "choose one of wsola, rubberband, signalsmith, audiotsm"
    with pytest.raises(OptionsError, match=f"'fast'; {choices}"):
        stretch(x, 800, "fast")
    with pytest.raises(OptionsError, match=f"'fast'; {choices}"):
        stretch_curve(x, [0, 500, 1000], [0, 400, 800], "fast")
