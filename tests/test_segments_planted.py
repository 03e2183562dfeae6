"""Planted answers for :mod:`audiosqueeze.segments`: what a :class:`Segment`, a
:class:`Frames`, a :class:`SegmentStore` and an :class:`Analysis` promise their readers
(immutable, hashable segments; frames read by name whatever their order; a store that reads
back what was appended, whichever block its frames lie in; runs of unsplit segments that are
the segments themselves)."""

import dataclasses
import json

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze import context
from audiosqueeze.analyze import AnalyzeOptions
from audiosqueeze.errors import OptionsError
from audiosqueeze.pipeline import analyze
from audiosqueeze.segments import FRAME_FIELDS, OTHER_CUES, SPEECH_CUES, Frames, Segment
from conftest import silence, tone

SR = 16000
FS = 512


def energy(**kw):
    return AnalyzeOptions(vad="energy", **kw)


def speech_piece(start, n, block, offset=0, continues=False):
    cues = dict(zip(SPEECH_CUES, (3.0, 40.0, 0.3, -20.0), strict=True))
    f = Frames(FRAME_FIELDS, block[:, offset : offset + n])
    return Segment("speech", start, start + n * FS, 0.9, 0.5, None, cues, f, continues)


def other(kind, start, end, level=-60.0, conf=0.8, noise_type=None, continues=False):
    cues = dict(zip(OTHER_CUES, (level, 1.0, -70.0), strict=True))
    return Segment(kind, start, end, conf, None, noise_type, cues, None, continues)


@pytest.fixture(scope="module")
def planted():
    x = np.concatenate([silence(0.5), tone(1.0), silence(0.5)])
    return analyze(sq.Audio(x), energy())


def test_frames_repr_names_the_fields_and_the_frame_count():
    f = Frames(("prob", "level"), np.zeros((2, 3)))
    assert repr(f) == "Frames(('prob', 'level'), 3 frames)"


def test_frames_in_another_order_are_read_by_name():
    # a hand-made Frames may hold the fields in any order: the whole array is handed over
    # as the analyzer's rows only when the names are FRAME_FIELDS in that order
    rng = np.random.default_rng(0)
    data = rng.normal(-30, 5, (5, 6))
    own = Frames(FRAME_FIELDS, data)
    assert own.rows(FRAME_FIELDS) is data
    names = tuple(reversed(FRAME_FIELDS))
    other_order = Frames(names, data[::-1].copy())
    assert other_order.rows(FRAME_FIELDS) is None and other_order.rows(names) is not None
    for f in (own, other_order):
        seg = Segment("speech", 0, 6 * FS, 1.0, None, None, {}, f)
        run = context.speech_runs([seg])[0]
        ctx = context.RunContext().add(seg, joined=False)
        for k, row in zip(FRAME_FIELDS, data, strict=True):
            assert np.array_equal(run.frames[k], row), k
            assert np.array_equal(ctx.frames[k], row), k


def test_segments_are_immutable_hashable_values(planted):
    segs = list(planted.segments)
    speech = [s for s in segs if s.kind == "speech"]
    assert speech and len(speech[0].frames["prob"]) > 1
    again = list(planted.segments)  # made afresh from the columns on every read
    assert segs == again and {hash(s) for s in segs} == {hash(s) for s in again}
    assert len(set(segs)) == len(segs)
    with pytest.raises(dataclasses.FrozenInstanceError):
        segs[0].start = 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        planted.num_samples = 5
    assert Segment("silence", 0, 512, 1.0).continues is False  # a hand-made piece ends its run


def test_a_speech_pieces_dict_is_json_without_its_frames(planted):
    speech = next(s for s in planted.segments if s.kind == "speech")
    d = speech.to_dict()
    assert "frames" not in d and d["kind"] == "speech" and list(d["cues"]) == list(SPEECH_CUES)
    assert json.loads(json.dumps(d)) == d
    whole = planted.to_dict()
    assert [s["kind"] for s in whole["segments"]] == ["silence", "speech", "silence"]
    assert whole["num_samples"] == planted.num_samples and whole["vad"] == "energy"
    assert json.loads(json.dumps(whole)) == whole


def test_a_store_reads_back_frames_from_whichever_block_they_lie_in():
    a = np.arange(5 * 8, dtype=np.float64).reshape(5, 8)
    b = -np.arange(5 * 8, dtype=np.float64).reshape(5, 8)
    pieces = [(speech_piece(0, 2, a), a, 0), (speech_piece(1024, 3, b, 1), b, 1)]
    pieces += [(speech_piece(2560, 4, a, 4), a, 4), (speech_piece(4608, 2, a, 2), a, 2)]
    store = sq.SegmentStore()
    for seg, block, offset in pieces:
        store.append(seg, block, offset)
    store.append(speech_piece(5632, 3, b), b)  # offset 0 unless told
    pieces.append((store[-1], b, 0))
    assert store[-len(store)] == store[0] and store[-1] == store[len(store) - 1]
    for (seg, block, offset), got in zip(pieces, store, strict=True):
        n = len(seg.frames["prob"])
        for k, row in zip(FRAME_FIELDS, block[:, offset : offset + n], strict=True):
            assert np.array_equal(got.frames[k], row), (seg.start, k)


def test_a_frames_range_outside_its_block_is_named_in_the_error():
    block = np.zeros((5, 40))
    with pytest.raises(OptionsError, match=r"frames 38\.\.42 outside a block of 40"):
        sq.SegmentStore().append(speech_piece(0, 4, block, 36), block, 38)


def test_a_store_equals_only_sequences_of_the_same_segments():
    def store_of(*segs):
        s = sq.SegmentStore()
        for seg in segs:
            s.append(seg)
        return s

    one = store_of(other("silence", 0, 512), other("noise", 512, 1024, -30.0))
    assert one == store_of(other("silence", 0, 512), other("noise", 512, 1024, -30.0))
    assert one == (other("silence", 0, 512), other("noise", 512, 1024, -30.0))
    assert one != store_of(other("silence", 0, 512), other("noise", 512, 2048, -30.0))
    assert one != store_of(other("silence", 0, 512))
    assert (one == 5) is False and one != "ab" and one != b"ab"
    assert repr(one) == "SegmentStore(2 segments)"


def test_intervals_of_an_unknown_kind_is_an_error(planted):
    with pytest.raises(OptionsError, match="music"):
        planted.intervals("music")


def test_loudest_db_skips_segments_without_a_level():
    segs = (
        other("silence", 0, 512, -70.0),
        Segment("noise", 512, 1024, 0.5, None, "stationary", {}),
        other("noise", 1024, 1536, float("nan"), noise_type="stationary"),
        other("noise", 1536, 2048, -40.0, noise_type="stationary"),
    )
    assert sq.Analysis(segs, 2048, np.zeros(4), "energy").loudest_db == -40.0
    assert sq.Analysis(segs[1:3], 2048, np.zeros(4), "energy").loudest_db is None


def test_loudest_db_from_the_columns_reads_each_kinds_level():
    # speech keeps level_db as its fourth cue, the others as their first: whichever is
    # loudest, the columns give the same answer as the objects
    block = np.zeros((5, 8))
    for speech_level, other_level in ((-20.0, -35.0), (-50.0, -35.0)):
        seg = speech_piece(0, 2, block)
        seg = dataclasses.replace(seg, cues=dict(seg.cues, level_db=speech_level))
        store = sq.SegmentStore()
        store.append(other("silence", 1024, 2048, -70.0))
        store.append(seg, block, 0)
        store.append(other("noise", 2048, 4096, other_level, noise_type="stationary"))
        want = max(speech_level, other_level)
        assert store.loudest_db() == want
        assert sq.Analysis(tuple(store), 4096, np.zeros(8), "energy").loudest_db == want


def test_runs_of_unsplit_segments_are_the_segments_themselves():
    # nothing continues: every run is its one piece, values untouched (no rounding)
    segs = (
        other("silence", 0, 1000, -70.123456, conf=0.123456),
        other("noise", 1000, 2000, -30.987654, conf=0.654321, noise_type="stationary"),
        other("silence", 2000, 3000, -80.0, continues=True),  # the last piece: ends anyway
    )
    a = sq.Analysis(segs, 3000, np.zeros(6), "energy")
    runs = a.runs
    assert len(runs) == 3 and not any(r.continues for r in runs)
    for r, s in zip(runs, segs, strict=True):
        assert (r.kind, r.start, r.end, r.noise_type) == (s.kind, s.start, s.end, s.noise_type)
        assert r.confidence == s.confidence and r.cues == s.cues


def test_run_spans_from_the_columns_close_the_last_run_even_if_it_continues():
    store = sq.SegmentStore()
    store.append(other("silence", 0, 512, continues=True))
    store.append(other("noise", 512, 1024, -30.0, noise_type="stationary"))
    store.append(other("silence", 1024, 1536, continues=True))
    store.append(other("silence", 1536, 2048, continues=True))  # cut off mid-run
    a = sq.Analysis(store.snapshot(), 2048, np.zeros(4), "energy")
    assert a.num_runs == 2
    assert a.intervals("noise").tolist() == [[0, 1024]]
    assert a.intervals("silence").tolist() == [[1024, 2048]]
    t = a.with_objects()
    assert t.intervals("silence").tolist() == [[1024, 2048]] and t.num_runs == 2


def test_a_snapshot_reads_only_its_own_segments_after_the_store_grows():
    store = sq.SegmentStore()
    store.append(other("silence", 0, 512, -70.0, continues=True))
    store.append(other("noise", 512, 1024, -40.0, noise_type="stationary"))
    snap = store.snapshot()
    store.append(other("noise", 1024, 1536, -10.0, noise_type="stationary"))
    store.append(other("silence", 1536, 2048, -70.0))
    a = sq.Analysis(snap, 1024, np.zeros(2), "energy")
    assert len(snap) == 2 and snap.loudest_db() == -40.0 == a.loudest_db
    assert a.num_runs == 1 and a.intervals("noise").tolist() == [[0, 1024]]


def test_an_empty_analysis_has_no_runs_and_empty_intervals():
    a = sq.Analysis(sq.SegmentStore(), 0, np.zeros(0), "energy")
    assert a.num_runs == 0 and a.runs == () and a.loudest_db is None
    for kind in ("speech", "silence", "noise"):
        iv = a.intervals(kind)
        assert iv.shape == (0, 2) and iv.dtype == np.int64
        assert a.seconds(kind) == 0.0


def test_a_joined_noise_run_is_stationary_only_if_every_noise_piece_is():
    def run_of(*pieces):
        segs = tuple(pieces)
        return sq.Analysis(segs, segs[-1].end, np.zeros(4), "energy").runs

    steady = run_of(
        other("silence", 0, 512, continues=True),
        other("noise", 512, 1024, -30.0, noise_type="stationary", continues=True),
        other("noise", 1024, 1536, -30.0, noise_type="stationary"),
    )
    assert [(r.kind, r.noise_type, r.start, r.end) for r in steady] == [
        ("noise", "stationary", 0, 1536)
    ]
    mixed = run_of(
        other("noise", 0, 512, -30.0, noise_type="stationary", continues=True),
        other("noise", 512, 1024, -30.0, noise_type="nonstationary"),
    )
    assert [(r.kind, r.noise_type) for r in mixed] == [("noise", "nonstationary")]


def test_a_joined_cue_is_the_weighted_mean_of_the_pieces_that_have_it():
    a = other("noise", 0, 1000, -30.0, noise_type="stationary", continues=True)
    b = other("noise", 1000, 4000, -40.0, noise_type="stationary", continues=True)
    c = Segment("noise", 4000, 5000, 0.5, None, "stationary", {})  # no cues at all
    (run,) = sq.Analysis((a, b, c), 5000, np.zeros(10), "energy").runs
    assert run.cues["level_db"] == pytest.approx((-30.0 * 1000 - 40.0 * 3000) / 4000)
    assert run.cues["floor_db"] == pytest.approx(-70.0)
    assert run.confidence == pytest.approx((0.8 * 4000 + 0.5 * 1000) / 5000)


def test_a_run_of_hand_made_pieces_with_frames_but_few_cues_joins():
    # pieces with frames and only a syllable rate among their cues: the run's rate is counted
    # over its frames, and its complexity stays the pieces' mean (no SNR or flux to make one)
    from audiosqueeze.segments import Analysis
    from conftest import planted_speech

    level = np.full(40, -20.0)
    level[[8, 20, 32]] = 10.0  # band = level + 1: three nuclei
    pieces = [
        dataclasses.replace(
            planted_speech(np.full(10, 0.9), level[i : i + 10], i * FS, {"syllable_rate_hz": 0.0}),
            continues=i < 30,
        )
        for i in range(0, 40, 10)
    ]
    (run,) = Analysis(tuple(pieces), 40 * FS, np.full(40, 0.9), "energy").runs
    assert run.cues == {"syllable_rate_hz": round(3 / (40 * FS / 16000), 3)}
    assert run.complexity == 0.2
