import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze.analyze import AnalyzeOptions, Analyzer, complexity
from audiosqueeze.errors import OptionsError
from audiosqueeze.pipeline import analyze
from audiosqueeze.segments import FRAME_FIELDS, OTHER_CUES, SPEECH_CUES, Frames
from conftest import needs_silero, silence, tone

SR = 16000


def energy(**kw):
    return AnalyzeOptions(vad="energy", **kw)


def test_planted_tone_silence_tone():
    x = np.concatenate([tone(1.0), silence(2.0), tone(1.0)])
    a = analyze(sq.Audio(x), energy())
    assert [s.kind for s in a.runs] == ["speech", "silence", "speech"]
    # the tone ends inside frame 31 (frames are 512 samples), so its speech ends at 32 * 512 =
    # SR + 384, then the 32 ms (512-sample) pad; the same mirrored at the second tone
    assert a.runs[1].start == SR + 384 + 512
    assert a.runs[1].end == 3 * SR - 384 - 512
    assert a.runs[-1].end == len(x)
    # the segments themselves are pieces of at most max_segment_ms (256 ms: 8 frames)
    assert len(a.segments) > 3 and max(s.num_samples for s in a.segments) <= 8 * 512
    assert a.seconds("silence") == pytest.approx(2.0 - 2 * (384 + 512) / SR)
    wide = analyze(sq.Audio(x), energy(speech_pad_ms=64.0))  # the pad is what moves
    assert wide.runs[1].start == SR + 384 + 1024


def test_noise_types():
    rng = np.random.default_rng(0)
    hiss = rng.normal(0, 0.01, 2 * SR).astype(np.float32)  # steady: stationary
    bursts = np.concatenate(
        [rng.normal(0, 0.05, SR // 4) if i % 2 else np.zeros(SR // 4) for i in range(8)]
    )
    x = np.concatenate([tone(1.0), hiss, tone(1.0), bursts.astype(np.float32), tone(1.0)])
    a = analyze(sq.Audio(x), energy())
    noise = [s for s in a.runs if s.kind == "noise"]
    assert [s.noise_type for s in noise] == ["stationary", "nonstationary"]


def test_segments_cover_input_and_intervals_shape():
    x = np.concatenate([silence(0.5), tone(2.0), silence(0.7)])
    a = analyze(sq.Audio(x), energy())
    assert a.segments[0].start == 0 and a.segments[-1].end == len(x)
    assert all(p.end == q.start for p, q in zip(a.segments, a.segments[1:], strict=False))
    iv = a.intervals("speech")
    assert iv.shape == (1, 2) and iv.dtype == np.int64


def test_long_runs_split_at_max_segment():
    a = analyze(sq.Audio(silence(25.0)), energy(max_segment_ms=10_000))
    assert [s.kind for s in a.segments] == ["silence"] * 3
    assert max(s.num_samples for s in a.segments) <= 10 * SR
    assert [s.continues for s in a.segments] == [True, True, False]  # split, not ended
    b = analyze(sq.Audio(np.concatenate([tone(1.0), silence(1.0)])), energy())
    assert [s.continues for s in b.runs] == [False, False]
    assert [(s.kind, s.continues) for s in b.segments[2:4]] == [("speech", True)] * 2
    assert sum(s.num_samples for s in b.segments if s.kind == "speech") == b.runs[0].num_samples


@pytest.mark.parametrize("chunk", [1, 511, 512, 4000, 100_000])
def test_streaming_equals_offline(chunk):
    rng = np.random.default_rng(3)
    x = np.concatenate(
        [tone(1.3), silence(0.9), rng.normal(0, 0.02, SR).astype(np.float32), tone(0.8)]
    )
    offline = analyze(sq.Audio(x), energy()).segments
    an = Analyzer(energy())
    got = []
    for i in range(0, len(x), chunk):
        got += an.push(x[i : i + chunk])
    got += an.flush()
    assert tuple(got) == offline


def test_reset_starts_over():
    an = Analyzer(energy())
    x = np.concatenate([tone(1.0), silence(1.0)])
    first = an.push(x) + an.flush()
    an.reset()
    assert an.push(x) + an.flush() == first


class DeafVAD:
    """A stateful stand-in for Silero with a planted flaw: loud frames are speech, but after
    ``DEAF_AFTER`` frames in a row of non-speech it hears nothing until it is reset."""

    name, stateful, DEAF_AFTER = "deaf", True, 100

    def __init__(self):
        self.resets_at: list[int] = []
        self.seen = 0
        self.reset()

    def reset(self):
        self.quiet = 0
        self.resets_at.append(getattr(self, "seen", 0))

    def process(self, frames):
        out = []
        for f in frames:
            loud = float(np.abs(f).max()) > 0.3
            out.append(1.0 if loud and self.quiet < self.DEAF_AFTER else 0.0)
            self.quiet = 0 if out[-1] else self.quiet + 1
            self.seen += 1
        return np.array(out, np.float32)


def deaf_run(x, chunk, **kw):
    vad = DeafVAD()
    an = Analyzer(energy(max_segment_ms=10_000, **kw), vad=vad)
    segs = []
    for i in range(0, len(x), chunk):
        segs += an.push(x[i : i + chunk])
    return segs + an.flush(), vad


@pytest.mark.parametrize("chunk", [512, 777, 30_000, 10**7])
def test_vad_reset_after_long_nonspeech_hears_the_speech_that_follows(chunk):
    lead = 3 * 62 * 512 + 100  # 5.95 s of hiss: more than DEAF_AFTER (100) frames
    rng = np.random.default_rng(0)
    beep = (0.5 * np.sin(2 * np.pi * 440 * np.arange(SR) / SR)).astype(np.float32)
    x = np.concatenate([rng.normal(0, 0.01, lead).astype(np.float32), beep])
    deaf, _ = deaf_run(x, chunk, vad_reset_ms=0)
    assert [s.kind for s in deaf] == ["noise"]  # the planted flaw: the tone is missed
    heard, vad = deaf_run(x, chunk, vad_reset_ms=2000)  # 62 frames of 32 ms
    assert [s.kind for s in heard] == ["noise", "speech"]
    # the tone starts inside frame 186 (lead // 512); speech is padded by one frame
    assert heard[1].start == (lead // 512 - 1) * 512 and heard[1].end == len(x)
    # reset at construction and by the analyzer's reset(), then after every 62 quiet frames,
    # wherever the chunks fall
    assert vad.resets_at == [0, 0, 62, 124, 186]


def test_vad_reset_is_ignored_by_stateless_vads():
    an = Analyzer(energy(vad_reset_ms=2000))  # the energy VAD has no state to reset
    assert an._reset_frames == 0


def test_complexity_cues():
    assert complexity(2.0, 65.0, 0.30) == 0.0  # slow, clean, steady: easiest
    assert complexity(6.0, 5.0, 0.50) == 1.0  # fast, noisy, changing: hardest
    assert 0.0 < complexity(3.0, 40.0, 0.36) < 1.0


@pytest.mark.parametrize(
    ("kw", "quote"),
    [
        ({"vad": "nope"}, "'nope'"),
        ({"speech_threshold": 0.2, "release_threshold": 0.3}, "0.3"),
        ({"min_speech_ms": -1}, "-1"),
        ({"max_segment_ms": 10}, "10"),
        ({"vad_reset_ms": -5}, "-5"),
        ({"vad_reset_ms": 20}, "20"),  # shorter than one frame
        ({"vad_reset_ms": float("nan")}, "nan"),
    ],
)
def test_invalid_options(kw, quote):
    with pytest.raises(OptionsError, match=quote):
        AnalyzeOptions(**kw)


@needs_silero
def test_silero_on_real_speech(real_clips):
    for clip in real_clips:
        a = analyze(clip["abs"])
        speech = a.seconds("speech")
        assert 0.5 * a.duration_s < speech <= a.duration_s, clip["id"]
        for s in a.segments:
            assert 0.0 <= s.confidence <= 1.0
            if s.kind == "speech":
                assert 0.0 <= s.complexity <= 1.0
                assert set(s.cues) >= {"syllable_rate_hz", "snr_db", "spectral_flux"}


@needs_silero
def test_silero_finds_inserted_pause(real_clips):
    clip = sq.load(real_clips[0]["abs"]).samples
    half = len(clip) // 2
    x = np.concatenate([clip[:half], silence(3.0), clip[half:]])
    a = analyze(sq.Audio(x))
    long_gaps = [s for s in a.runs if s.kind != "speech" and s.num_samples > 2 * SR]
    assert len(long_gaps) == 1
    assert long_gaps[0].start <= half + SR // 4 and long_gaps[0].end >= half + 3 * SR - SR // 4


def test_floor_rise_option_reaches_the_energy_vad():
    a = Analyzer(energy(floor_rise_db_per_s=1.0))
    assert a.vad.tracker.rise == pytest.approx(1.0 * 512 / SR)


def test_peaks_match_scipy():
    signal = pytest.importorskip("scipy.signal", reason="scipy (the [dev] extra) not installed")
    from audiosqueeze.features import peaks

    rng = np.random.default_rng(0)
    for trial in range(600):
        n = int(rng.integers(1, 400)) if trial < 300 else int(rng.integers(1, 6))
        n = 3000 + trial if trial % 100 == 7 else n  # candidates in several blocks
        x = np.convolve(rng.normal(0, 5, n), np.ones(3) / 3, mode="same")
        if trial % 3 == 0:
            x = np.round(x)  # plateaus and ties
        for prom, dist in ((4.0, 3), (1.0, 1), (0.0, 7)):
            want, _ = signal.find_peaks(x, prominence=prom, distance=dist)
            assert peaks(x, prom, dist).tolist() == want.tolist(), (trial, prom, dist)


def test_frames_are_a_read_only_mapping_that_pickles():
    import pickle

    from audiosqueeze.segments import FRAME_FIELDS, Frames

    a = analyze(sq.Audio(np.concatenate([silence(0.5), tone(1.5), silence(0.5)])), energy())
    speech = [s for s in a.segments if s.kind == "speech"]
    assert speech and all(isinstance(s.frames, Frames) for s in speech)
    f = speech[0].frames
    assert list(f) == list(FRAME_FIELDS) and len(f) == 5
    n = speech[0].num_samples // 512
    assert all(f[k].shape == (n,) and f[k].flags["C_CONTIGUOUS"] for k in f)
    with pytest.raises(KeyError, match="pitch"):
        f["pitch"]
    with pytest.raises(TypeError):
        f["prob"] = np.zeros(n)  # a Mapping, not a dict: no item assignment
    back = pickle.loads(pickle.dumps(a))
    g = [s for s in back.segments if s.kind == "speech"][0].frames
    assert all(np.array_equal(f[k], g[k]) for k in f)
    with pytest.raises(OptionsError, match=r"\(3, 2\)"):
        Frames(("a", "b"), np.zeros((3, 2)))


def test_mean_is_numpys_bit_for_bit():
    from audiosqueeze.features import mean

    rng = np.random.default_rng(2)
    for _ in range(500):
        x = rng.normal(-40, 15, int(rng.integers(1, 300)))  # pairwise sums past 8 and 128 too
        assert mean(x) == float(np.mean(x))
    assert mean(np.array([0.1] * 3)) == float(np.mean([0.1] * 3))


def test_std_is_numpys_bit_for_bit():
    from audiosqueeze.features import std

    rng = np.random.default_rng(3)
    for trial in range(500):
        x = rng.normal(-40, 15, int(rng.integers(1, 300)))
        if trial % 4 == 0:
            x = np.round(x)  # ties and repeated values
        if trial % 5 == 0:
            x = x.astype(np.float32)  # numpy's own float32 path
        got, want = std(x), float(np.std(x))
        assert got == want and type(got) is float, (trial, got, want)
    assert std(np.array([2.0])) == 0.0
    assert std(np.array([1.0, 2.0, 4.0])) == pytest.approx(1.2472191289)


def test_median_is_numpys_bit_for_bit():
    from audiosqueeze.features import median

    rng = np.random.default_rng(1)
    for trial in range(500):
        n = int(rng.integers(1, 60))
        x = rng.normal(-40, 15, n)
        if trial % 4 == 0:
            x = np.round(x)  # ties
        if trial % 3 == 0:
            x = x.astype(np.float32)
        got, want = median(x), float(np.median(x))
        assert got == want and type(got) is float, (trial, got, want)


@pytest.mark.parametrize("n", range(1, 10))
def test_mean_median_and_std_of_a_few_frames_are_numpys_to_the_bit(n):
    # up to 8 values they are computed as Python floats; the bits, sign of zero included,
    # must still be numpy's (a sum in another order would differ in the last bit)
    from audiosqueeze.features import mean, median, std

    rng = np.random.default_rng(n)
    cases = [rng.normal(-40, 15, n) for _ in range(400)]
    cases += [rng.choice([0.1, 0.2, 0.3, 1e16, -1e16, 1.0], n) for _ in range(200)]
    cases += [np.full(n, -0.0), np.array([-0.0] + [0.0] * (n - 1)), np.round(cases[0])]
    for x in cases:
        for got, want in ((mean(x), np.mean(x)), (median(x), np.median(x)), (std(x), np.std(x))):
            assert type(got) is float
            assert np.float64(got).tobytes() == np.float64(want).tobytes(), (x, got, want)
    # a view of a row, as the analyzer hands over
    block = rng.normal(-40, 15, (5, 3 * n))
    row = block[1, n : 2 * n]
    assert mean(row) == float(np.mean(row)) and median(row) == float(np.median(row))
    assert std(row) == float(np.std(row))


def test_runs_join_the_pieces_back_into_what_long_segments_give():
    rng = np.random.default_rng(4)
    x = np.concatenate(
        [silence(0.7), tone(1.9), rng.normal(0, 0.02, SR).astype(np.float32), tone(0.9)]
    )
    short = analyze(sq.Audio(x), energy())
    long = analyze(sq.Audio(x), energy(max_segment_ms=10_000))
    assert len(short.segments) > 2 * len(long.segments)
    assert [(s.kind, s.start, s.end) for s in short.runs] == [
        (s.kind, s.start, s.end) for s in long.segments
    ]
    assert np.array_equal(short.intervals("speech"), long.intervals("speech"))
    speech = [s for s in short.runs if s.kind == "speech"]
    assert all(0.0 <= s.complexity <= 1.0 and not s.continues for s in speech)


def _same(p, q):
    """Two segments equal in every field, the compare=False ones (cues, frames) too."""
    assert p == q and list(p.cues.items()) == list(q.cues.items())
    assert (p.frames is None) == (q.frames is None)
    if p.frames is not None:
        assert list(p.frames) == list(q.frames)
        for k in p.frames:
            assert p.frames[k].dtype == q.frames[k].dtype
            assert np.array_equal(p.frames[k], q.frames[k])


@pytest.mark.parametrize("chunk", [100, 512, 7000])
def test_stored_segments_read_back_as_the_pushed_ones(chunk):
    # the analysis keeps its segments as columns (SegmentStore) and makes each when read:
    # every field must come back to the bit, whatever the chunking (segments spanning pushes
    # have frames copied from several blocks, the others are views of one)
    rng = np.random.default_rng(4)
    hiss = rng.normal(0, 0.01, SR).astype(np.float32)
    x = np.concatenate([silence(0.4), tone(1.3), hiss, tone(0.7), silence(0.3)])
    an = Analyzer(energy(max_segment_ms=96))
    pushed = [s for i in range(0, len(x), chunk) for s in an.push(x[i : i + chunk])]
    pushed += an.flush()
    stored = an.result().segments
    assert isinstance(stored, sq.SegmentStore) and len(stored) == len(pushed) > 10
    assert {s.kind for s in pushed} == {"speech", "silence", "noise"}
    for p, q in zip(pushed, stored, strict=True):
        _same(p, q)
    for i in (0, -1, len(pushed) // 2):
        _same(pushed[i], stored[i])
    assert stored[2:5] == tuple(pushed[2:5]) and stored == pushed
    with pytest.raises(IndexError, match=str(len(pushed))):
        stored[len(pushed)]


def test_segment_store_snapshot_does_not_grow_and_rejects_foreign_segments():
    an = Analyzer(energy())
    an.push(np.concatenate([tone(1.0), silence(1.0)]))
    early = an.result()
    n = len(early.segments)
    an.push(tone(1.0))
    an.flush()
    assert len(early.segments) == n < len(an.result().segments)
    assert tuple(early.segments) == an.result().segments[:n]
    with pytest.raises(OptionsError, match="cannot grow"):
        early.segments.append(early.segments[0])
    store = sq.SegmentStore()
    good = early.segments[0]
    block = np.zeros((5, 40))
    speech_cues = dict.fromkeys(SPEECH_CUES, 1.0)
    other_cues = dict.fromkeys(OTHER_CUES, 1.0)
    frames = Frames(FRAME_FIELDS, block[:, :4])
    hostile = [
        ("not a segment", None, "Segment objects"),
        (sq.Segment("speech", 0, 512, 0.9, 0.5, cues={"other": 1.0}), None, "shape"),
        (sq.Segment("music", 0, 512, 0.9, cues=other_cues), None, "shape"),
        (sq.Segment("noise", 0, 512, 0.9, None, "loud", other_cues), None, "shape"),
        (sq.Segment("silence", 0, 2**70, 0.9, cues=other_cues), None, "shape"),
        (sq.Segment("silence", 0, 512, "high", cues=other_cues), None, "shape"),
        (sq.Segment("speech", 0, 512, 0.9, 0.5, None, speech_cues, frames), None, "shape"),
        (sq.Segment("speech", 0, 512, 0.9, 0.5, None, speech_cues, frames), [[0.0]], "(5, n)"),
        (sq.Segment("speech", 0, 512, 0.9, 0.5, None, speech_cues, frames), block[:3], "(5, n)"),
    ]
    for seg, blk, match in hostile:
        with pytest.raises(OptionsError, match=match):
            store.append(seg, blk, 0)
    with pytest.raises(OptionsError, match="outside"):
        store.append(hostile[-1][0], block, 38)
    assert len(store) == 0 and not store._blocks  # nothing half-stored
    store.append(hostile[-1][0], block, 36)
    store.append(sq.Segment("silence", 512, 1024, 0.8, cues=other_cues))
    assert len(store) == 2 and store[1].kind == "silence" and store[0].frames["prob"].shape == (4,)
    assert good == early.segments[0]


def test_analysis_survives_pickle_and_with_objects():
    import pickle

    a = analyze(sq.Audio(np.concatenate([tone(1.0), silence(1.0), tone(0.5)])), energy())
    b = pickle.loads(pickle.dumps(a))
    for p, q in zip(a.segments, b.segments, strict=True):
        _same(p, q)
    t = a.with_objects()
    assert isinstance(t.segments, tuple) and t.with_objects() is t
    for p, q in zip(a.segments, t.segments, strict=True):
        _same(p, q)


def test_stored_frames_are_read_only_and_indices_must_be_integers():
    a = analyze(sq.Audio(np.concatenate([tone(1.0), silence(1.0)])), energy())
    speech = next(s for s in a.segments if s.kind == "speech")
    before = speech.frames["level"].copy()
    with pytest.raises(ValueError, match="read-only"):
        speech.frames["level"][0] = 0.0
    assert np.array_equal(a.segments[0].frames["level"], before)
    with pytest.raises(TypeError):
        a.segments["0"]
    assert a.segments[np.int64(0)] == a.segments[0]


@pytest.mark.parametrize("longest", [64, 96, 10_000])
def test_run_intervals_from_columns_match_the_joined_runs(longest):
    # intervals() and num_runs read the store's columns without making segments: they must
    # agree with the joined Segment objects (noise wins over silence within a run)
    rng = np.random.default_rng(longest)
    parts = [silence(0.3), tone(0.9), rng.normal(0, 0.01, SR // 2), silence(0.4), tone(0.4)]
    parts += [np.concatenate([silence(0.2), rng.normal(0, 0.05, SR // 5)] * 3), silence(0.3)]
    a = analyze(sq.Audio(np.concatenate(parts).astype(np.float32)), energy(max_segment_ms=longest))
    t = a.with_objects()  # the tuple path: intervals from the runs themselves
    assert a.num_runs == len(a.runs) == t.num_runs
    for kind in ("speech", "silence", "noise"):
        want = np.array([(s.start, s.end) for s in a.runs if s.kind == kind], np.int64)
        assert np.array_equal(a.intervals(kind), want.reshape(-1, 2))
        assert np.array_equal(t.intervals(kind), want.reshape(-1, 2))
    assert {s.kind for s in a.runs} == {"speech", "silence", "noise"}
    if longest == 64:  # pieces of one run with both silence and noise exist here
        assert any(
            p.kind == "silence" and p.continues and q.kind == "noise"
            for p, q in zip(a.segments, a.segments[1:], strict=False)
        )
