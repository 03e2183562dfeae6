"""Planted answers for what :mod:`audiosqueeze.context` keeps and reads: how much of a run a
stream holds, runs that start off the 32-ms grid, the analyzer's frames taken as they are,
the band level relative to the run, and the checks' messages."""

import numpy as np
import pytest

from audiosqueeze import context
from audiosqueeze.analyze import Segment
from audiosqueeze.errors import OptionsError
from audiosqueeze.segments import FRAME_FIELDS, Frames
from audiosqueeze.units import FRAME_SAMPLES as FS


def piece(n: int, start: int = 0, continues: bool = True, frames=None, **fields) -> Segment:
    f = frames
    if f is None:
        f = {k: np.arange(n, dtype=np.float64) + start // FS for k in FRAME_FIELDS}
        f.update({k: np.asarray(v, np.float64) for k, v in fields.items()})
    return Segment("speech", start, start + n * FS, 1.0, None, None, {}, f, continues)


def test_a_stream_keeps_313_frames_before_the_new_piece():
    # 10 s is 312.5 frames of 32 ms: a window of up to 10 s ending in the new piece reaches
    # back into 313 of them; 300 joined pieces of 2 frames leave 313 + 2, not 600
    ctx = context.RunContext()
    for i in range(300):
        run = ctx.add(piece(2, i * 2 * FS), joined=i > 0)
    assert len(run.frames["prob"]) == 315 and run.end == 600 * FS
    assert run.start == (600 - 315) * FS
    assert run.frames["level"].tolist() == list(range(285, 600))  # frame i holds i
    ctx.reset()
    assert ctx.add(piece(2, 0), joined=True).frames["level"].tolist() == [0.0, 1.0]


def test_a_first_piece_said_to_be_joined_has_nothing_to_join():
    run = context.RunContext().add(piece(4, 0), joined=True)
    assert (run.start, run.end) == (0, 4 * FS)
    assert run.frames["prob"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_runs_starting_off_the_frame_grid_still_join():
    a = piece(4, 100)
    b = piece(3, 100 + 4 * FS, continues=False)
    (run,) = context.speech_runs([a, b])
    assert (run.start, run.end) == (100, 100 + 7 * FS)
    assert len(run.frames["prob"]) == 7
    ctx = context.RunContext()
    ctx.add(a, joined=False)
    assert ctx.add(b, joined=True).start == 100
    # a run is a whole segment: nothing after it continues it; it is surely speech
    assert run.kind == "speech" and run.continues is False and run.confidence == 1.0


def test_the_analyzers_frames_are_taken_without_a_copy_and_others_as_float64():
    data = np.random.default_rng(0).normal(size=(len(FRAME_FIELDS), 4))
    run = context.RunContext().add(piece(4, frames=Frames(FRAME_FIELDS, data)), joined=False)
    assert np.shares_memory(run.frames["prob"], data)
    single = Frames(FRAME_FIELDS, data.astype(np.float32))
    run = context.RunContext().add(piece(4, frames=single), joined=False)
    assert run.frames["prob"].dtype == np.float64
    assert run.frames["prob"].tolist() == data[0].astype(np.float32).tolist()


def test_a_frame_count_that_does_not_fit_quotes_both_counts():
    short = piece(3, frames={k: np.zeros(2) for k in FRAME_FIELDS})
    with pytest.raises(OptionsError, match=r"needs 3 finite frames, got 2 \(finite: True\)"):
        context.speech_runs([short])


def test_band_level_relative_to_the_run():
    band = np.full(100, -40.0)
    band[90:] = -30.0  # the window's own band level, 10 dB over the run's median
    run = piece(100, 0, False, band=band)
    x = context.context_features(run, [(90 * FS, 100 * FS)], 100.0)[0]
    assert x[context.FEATURES.index("band_rel_db")] == pytest.approx(10.0)
