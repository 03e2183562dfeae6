"""Planted answers for the :class:`~audiosqueeze.analyze.Analyzer`: a scripted VAD gives
each 32-ms frame a known probability, so the right labels follow from the options alone
(hysteresis at the thresholds' exact values, the shortest speech kept, padding in frames,
the last partial frame), and where the VAD's state is reset (after ``vad_reset_ms`` of
non-speech, where loud sure non-speech drops by exactly ``vad_reset_drop_db``); then real
audio whose segmentation is known: digital silence, white noise at -30 dBFS, a speech clip."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze.analyze import Analysis, AnalyzeOptions, Analyzer, complexity
from audiosqueeze.errors import OptionsError
from audiosqueeze.features import frames_of, level_db
from audiosqueeze.pipeline import analyze
from audiosqueeze.units import FRAME_SAMPLES as FS

SR = 16000
DEMO = Path(sq.__file__).parent / "data" / "demo_common_voice_en_73.flac"


class ScriptedVAD:
    """Frame ``i`` of the stream gets ``probs[i]`` (0 past the end); ``resets`` records the
    frame at which each reset came (a reset does not rewind the script)."""

    name = "scripted"

    def __init__(self, probs, stateful=False, level_gain=False):
        self.probs = np.asarray(probs, np.float32)
        self.stateful = stateful
        self.level_gain = level_gain
        self.at = 0
        self.resets: list[int] = []

    def reset(self):
        self.resets.append(self.at)

    def process(self, frames):
        p = self.probs[self.at : self.at + len(frames)]
        self.at += len(frames)
        return np.pad(p, (0, len(frames) - len(p)))


def speech_frames(probs, samples=None, chunk=None, **kw):
    """The ``(first, end)`` frames of each speech run the analyzer finds in ``samples``
    (silence, one frame per probability, unless given) heard through the script."""
    x = np.zeros(len(probs) * FS, np.float32) if samples is None else samples
    an = Analyzer(AnalyzeOptions(vad="energy", **kw), vad=ScriptedVAD(probs))
    chunk = chunk or len(x) or 1
    for i in range(0, len(x), chunk):
        an.push(x[i : i + chunk])
    an.flush()
    a = an.result()
    return [(int(s) // FS, -(-int(e) // FS)) for s, e in a.intervals("speech")], a


def test_a_probability_at_the_speech_threshold_starts_speech():
    probs = [0.0] * 5 + [0.5] * 4 + [0.0] * 5
    assert speech_frames(probs, speech_pad_ms=0)[0] == [(5, 9)]
    assert speech_frames(probs, speech_pad_ms=0, speech_threshold=0.51)[0] == []


@pytest.mark.parametrize("chunk", [None, FS, 3 * FS])
def test_a_probability_at_the_release_threshold_holds_speech(chunk):
    # 0.25 is held (not below the release threshold), 0.2 ends speech; held across pushes
    probs = [0.0] * 5 + [0.9] + [0.25] * 3 + [0.2] * 5
    got = speech_frames(probs, chunk=chunk, speech_pad_ms=0, release_threshold=0.25)[0]
    assert got == [(5, 9)]
    got = speech_frames(probs, chunk=chunk, speech_pad_ms=0, release_threshold=0.3)[0]
    assert got == []  # one frame


def test_speech_held_from_the_first_frame_and_never_started_by_a_held_probability():
    # frame 0 turns speech on and the hold keeps it; a stream that opens in the hold band
    # has not started speech, so it is not speech until a frame reaches the threshold
    assert speech_frames([0.9, 0.4, 0.4, 0.4, 0.1, 0.1], speech_pad_ms=0)[0] == [(0, 4)]
    assert speech_frames([0.4] * 6 + [0.9] * 3 + [0.1] * 3, speech_pad_ms=0)[0] == [(6, 9)]


def test_the_shortest_speech_kept_is_min_speech_ms():
    probs = [0.0] * 4 + [0.9] * 2 + [0.0] * 4 + [0.9] * 3 + [0.0] * 4 + [0.9] + [0.0] * 4
    assert speech_frames(probs, speech_pad_ms=0)[0] == [(10, 13)]  # 96 ms: 3 frames
    assert speech_frames(probs, speech_pad_ms=0, min_speech_ms=64)[0] == [(4, 6), (10, 13)]
    every = [(4, 6), (10, 13), (17, 18)]
    assert speech_frames(probs, speech_pad_ms=0, min_speech_ms=0)[0] == every
    assert speech_frames(probs, speech_pad_ms=0, min_speech_ms=1)[0] == every
    # a run of two frames (64 ms) is shorter than 64.01 ms
    assert speech_frames(probs, speech_pad_ms=0, min_speech_ms=64.01)[0] == [(10, 13)]


def test_speech_is_padded_by_whole_frames_and_clipped_at_the_ends():
    probs = [0.0] * 6 + [0.9] * 3 + [0.0] * 6
    # rounded to the nearest whole frame: 47.98 ms is 1.499 frames, 48.02 ms 1.501
    cases = ((0, 0), (32, 1), (47.98, 1), (48.02, 2), (64, 2), (96, 3), (200, 6))
    for pad_ms, pad in cases:
        got = speech_frames(probs, speech_pad_ms=pad_ms)[0]
        assert got == [(max(0, 6 - pad), min(15, 9 + pad))], pad_ms


def test_no_piece_is_longer_than_max_segment_ms():
    # 96 ms (three frames) is longer than 95.95 ms: pieces of two frames; 96 ms: of three
    for longest, frames in ((95.95, 2), (96.0, 3), (127.9, 3)):
        an = Analyzer(AnalyzeOptions(vad="energy", max_segment_ms=longest), ScriptedVAD([]))
        segs = an.push(np.zeros(12 * FS, np.float32)) + an.flush()
        assert [s.num_samples for s in segs] == [frames * FS] * (12 // frames), longest


def test_the_last_partial_frame_is_labelled_and_every_frame_has_a_probability():
    # 10 frames and 100 samples: the last frame is speech even with no look-ahead at all
    x = np.zeros(10 * FS + 100, np.float32)
    probs = [0.0] * 10 + [0.9]
    for chunk in (None, FS, 1000):
        got, a = speech_frames(probs, x, chunk, speech_pad_ms=0, min_speech_ms=0)
        assert got == [(10, 11)] and a.intervals("speech").tolist() == [[10 * FS, len(x)]]
        assert len(a.speech_prob) == 11 and a.speech_prob[-1] == pytest.approx(0.9)
    _, whole = speech_frames([0.0] * 10)  # a whole number of frames: no frame more
    assert len(whole.speech_prob) == 10 and whole.num_samples == 10 * FS
    _, empty = speech_frames([])  # no input: no frame at all
    assert len(empty.speech_prob) == 0 and empty.num_samples == 0 and not empty.segments


def resets(probs, samples=None, stateful=True, level_gain=False, **kw):
    vad = ScriptedVAD(probs, stateful=stateful, level_gain=level_gain)
    x = np.zeros(len(probs) * FS, np.float32) if samples is None else samples
    an = Analyzer(AnalyzeOptions(vad="energy", **kw), vad=vad)
    an.push(x)
    an.flush()
    return vad.resets[1:]  # after the one at construction


def test_vad_reset_ms_counts_whole_frames_of_non_speech():
    # 64 ms is two frames: a reset after every two frames of non-speech, counted afresh
    # after a frame of speech
    probs = [0.9] + [0.0] * 5 + [0.9] + [0.0] * 4
    assert resets(probs, vad_reset_ms=64, vad_reset_drop_db=0) == [3, 5, 9, 11]
    assert resets(probs, vad_reset_ms=96, vad_reset_drop_db=0) == [4, 10]
    assert resets(probs, vad_reset_ms=0, vad_reset_drop_db=0) == []
    # a probability at the release threshold is not non-speech: it breaks the run
    probs = [0.9] + [0.0] * 3 + [0.25] + [0.0] * 6
    got = resets(probs, vad_reset_ms=96, vad_reset_drop_db=0, release_threshold=0.25)
    assert got == [4, 8, 11]
    # counted from the last frame of speech, not the first: 10 frames after frame 2
    probs = [0.9, 0.0, 0.9] + [0.0] * 12
    assert resets(probs, vad_reset_ms=320, vad_reset_drop_db=0) == [13]


def loud_then_quiet(loud: int, quiet: int, drop_db: float) -> np.ndarray:
    """``loud`` frames of a 1-kHz tone at -20 dBFS, then ``quiet`` ones ``drop_db`` lower."""
    t = np.arange(FS) / SR
    frame = np.sin(2 * np.pi * 1000 * t) * np.sqrt(2) * 0.1
    q = frame * 10 ** (-drop_db / 20)
    return np.concatenate([np.tile(frame, loud), np.tile(q, quiet)]).astype(np.float32)


def test_the_drop_reset_comes_where_sure_non_speech_drops_by_exactly_the_drop():
    # frames 0-4 speech, 5-35 (one second, 31 frames) loud sure non-speech, 36 on quieter
    x = loud_then_quiet(36, 10, 25.0)
    lv = level_db(frames_of(x))
    drop = float(lv[35] - lv[36])  # exactly: at == lo - drop below
    assert lv[36] == lv[35] - drop and 24 < drop < 26
    probs = [0.9] * 5 + [0.0] * 41
    assert resets(probs, x, vad_reset_drop_db=drop) == [36]
    assert resets(probs, x, vad_reset_drop_db=drop + 1e-9) == []  # not quite that far down
    # one frame fewer of non-speech before the drop: the second before holds speech
    assert resets([0.9] * 6 + [0.0] * 40, x, vad_reset_drop_db=drop) == []
    # the loud second must be at or above silence_dbfs: at it, exactly, is enough
    loud = float(lv[35])
    assert resets(probs, x, vad_reset_drop_db=drop, silence_dbfs=loud) == [36]
    above = float(np.nextafter(loud, 0.0))
    assert resets(probs, x, vad_reset_drop_db=drop, silence_dbfs=above) == []
    # the drop reset is its own option: it comes with vad_reset_ms off too, and for a VAD
    # with no state that hears its input through the gain (WebRTC), whose envelope restarts
    assert resets(probs, x, vad_reset_drop_db=drop, vad_reset_ms=0) == [36]
    assert resets(probs, x, stateful=False, level_gain=True, vad_reset_drop_db=drop) == [36]
    assert resets(probs, x, stateful=False, vad_reset_drop_db=drop) == []  # nothing to reset


def test_the_drop_reset_judges_the_second_before_each_drop_in_one_push():
    # two drops in one push: 36 after a second of sure non-speech, 77 after one at 0.2
    x = np.concatenate([loud_then_quiet(36, 10, 25.0), loud_then_quiet(31, 10, 25.0)])
    lv = level_db(frames_of(x))
    drop = float(lv[35] - lv[36])
    assert lv[77] == lv[76] - drop
    probs = [0.9] * 5 + [0.0] * 41 + [0.2] * 31 + [0.0] * 10
    assert resets(probs, x, vad_reset_drop_db=drop) == [36]
    assert resets(probs, x, vad_reset_drop_db=drop, vad_reset_drop_max_prob=0.25) == [36, 77]


def test_the_run_of_non_speech_counts_afresh_after_a_drop_reset():
    # vad_reset_ms of 50 frames: the drop reset at 36 starts the count over, so the next
    # reset comes 50 frames of non-speech later
    x = loud_then_quiet(36, 60, 25.0)
    lv = level_db(frames_of(x))
    drop = float(lv[35] - lv[36])
    probs = [0.9] * 5 + [0.0] * 91
    assert resets(probs, x, vad_reset_drop_db=drop, vad_reset_ms=1600) == [36, 86]


def test_the_drop_reset_needs_every_probability_of_the_second_under_the_limit():
    x = loud_then_quiet(36, 10, 25.0)
    probs = [0.9] * 5 + [0.25] * 31 + [0.0] * 10  # non-speech, but at the limit
    assert resets(probs, x, vad_reset_drop_max_prob=0.25) == []
    assert resets(probs, x, vad_reset_drop_max_prob=0.26) == [36]


def test_silence_then_noise_then_speech_with_the_energy_vad():
    clip = sq.load(DEMO).samples
    rng = np.random.default_rng(7)
    hiss = rng.normal(0, 10 ** (-30 / 20), SR).astype(np.float32)  # white, -30 dBFS
    x = np.concatenate([np.zeros(SR, np.float32), hiss, clip])
    a = analyze(sq.Audio(x), AnalyzeOptions(vad="energy"))
    pieces = list(a.segments)
    # one frame of measurements per 32 ms of every speech piece, the last partial one too
    speech_pieces = [s for s in pieces if s.kind == "speech"]
    assert speech_pieces and speech_pieces[-1].end == len(x) and len(x) % FS
    assert all(len(s.frames["prob"]) == -(-s.num_samples // FS) for s in speech_pieces)
    # speech starts at the earliest one frame (the pad) before the frame the clip starts in
    earliest = (2 * SR // FS - 1) * FS
    # the silence and the noise are one run of non-speech (noise wins within a run)...
    assert a.runs[0].kind == "noise" and a.runs[0].start == 0 and a.runs[0].end >= earliest
    # ... whose pieces are silence up to the frame the hiss starts in, then steady noise
    first = pieces[0]
    assert first.kind == "silence" and first.cues["level_db"] == pytest.approx(-100.0)
    silent = [s for s in pieces if s.end <= SR // FS * FS]
    assert silent and all(s.kind == "silence" for s in silent)
    noisy = [s for s in pieces if s.start >= SR and s.end <= 2 * SR]
    assert noisy and all(s.kind == "noise" for s in noisy)
    assert all(s.noise_type == "stationary" for s in noisy)
    assert all(s.cues["level_db"] == pytest.approx(-30.0, abs=0.5) for s in noisy)
    assert all(s.cues["level_std_db"] < 1.0 for s in noisy)
    # the clip holds speech, and nothing before it is speech
    speech = a.intervals("speech")
    assert len(speech) and speech[0, 0] == a.runs[0].end
    assert a.seconds("speech") > 0.5 * len(clip) / SR


def test_complexity_ramps_between_the_documented_ends():
    # weights 0.5 / 0.3 / 0.2; rate 2.4 -> 3.8 /s, SNR 60 -> 24 dB, flux 0.325 -> 0.405
    assert complexity(2.4, 60.0, 0.325) == 0.0
    assert complexity(3.8, 24.0, 0.405) == 1.0
    assert complexity(3.1, 60.0, 0.325) == pytest.approx(0.25)
    assert complexity(2.4, 42.0, 0.325) == pytest.approx(0.15)
    assert complexity(2.4, 60.0, 0.365) == pytest.approx(0.1)
    assert complexity(3.45, 33.0, 0.385) == pytest.approx(0.375 + 0.225 + 0.15)


@pytest.mark.parametrize(
    "kw",
    [
        {"speech_threshold": 1.0},
        {"speech_threshold": 0.0},
        {"release_threshold": 0.0},
        {"vad_reset_ms": 31.99},  # under one frame
        {"vad_reset_ms": 0.5},  # not 0 (never), and under one frame
        {"max_segment_ms": 63.99},  # SEGMENT_MS_RANGE, the CLI's and WebSocket's bounds too
        {"max_segment_ms": 3_600_000.5},
        {"vad_reset_drop_max_prob": 0.0},
        {"vad_floor_dbfs": 0.5},  # a level over full scale
        {"vad_level_dbfs": 0.5},
        {"silence_dbfs": 0.5},
        {"num_threads": 0},
        {"webrtc_mode": 4},
        {"vad_model_path": 5},
    ],
)
def test_options_out_of_range_are_refused(kw):
    with pytest.raises(OptionsError, match=next(iter(kw))):
        AnalyzeOptions(**kw)


def test_the_documented_ends_of_the_options_are_accepted(tmp_path):
    # 0 = never / off, 1.0 = after any non-speech, WebRTC modes 0..3, any path
    for kw in (
        {"min_speech_ms": 0, "speech_pad_ms": 0, "vad_reset_ms": 0, "vad_reset_drop_db": 0},
        {"vad_reset_ms": 32.0, "vad_reset_drop_max_prob": 1.0, "vad_max_gain_db": 0},
        {"stationary_max_std_db": 0, "floor_rise_db_per_s": 0, "webrtc_mode": 0},
        {"webrtc_mode": 3, "num_threads": 1, "vad_floor_dbfs": 0.0, "silence_dbfs": 0.0},
        {"vad_model_path": str(tmp_path / "m.onnx")},
        {"vad_model_path": tmp_path / "m.onnx"},
        {"max_segment_ms": 64.0, "vad_reset_ms": 3_600_000.0},
        {"max_segment_ms": 3_600_000.0},
    ):
        AnalyzeOptions(**kw)


def test_options_are_frozen():
    o = AnalyzeOptions()
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.silence_dbfs = -60.0  # type: ignore[misc]
    assert hash(o) == hash(AnalyzeOptions())


def test_the_documented_defaults_reach_the_analysis():
    # silence_dbfs -50: a steady tone at -50.5 dBFS is silence, at -49.5 dBFS noise
    for gain, kind in ((6.5, "silence"), (7.5, "noise")):
        seg = one_segment(tone_frames([gain] * 20), [0.0] * 20)
        assert seg.kind == kind and seg.cues["level_db"] == pytest.approx(gain - 57.0, abs=0.02)
    # floor_rise_db_per_s 3: from -70 dBFS the floor rises 3 dB/s * 32 ms a frame, so over
    # frames 0-19 of loud noise its median is -70 + 9.5 * 0.096 dB
    x = tone_frames([26.0] * 20)
    assert one_segment(x, [0.0] * 20).cues["floor_db"] == round(-70 + 9.5 * 0.096, 2)
    rise6 = one_segment(x, [0.0] * 20, floor_rise_db_per_s=6.0)
    assert rise6.cues["floor_db"] == round(-70 + 9.5 * 0.192, 2)
    # webrtc_mode 2
    assert Analyzer(AnalyzeOptions(vad="webrtc")).vad.mode == 2
    assert Analyzer(AnalyzeOptions(vad="webrtc", webrtc_mode=0)).vad.mode == 0


def tone_frames(gains_db) -> np.ndarray:
    """One frame of a 1-kHz tone (32 whole periods) per gain, at 0.002 * 10 ** (gain / 20)."""
    t = np.arange(FS) / SR
    frame = 0.002 * np.sin(2 * np.pi * 1000 * t)
    return np.concatenate([frame * 10 ** (g / 20) for g in gains_db]).astype(np.float32)


def one_segment(x, probs, **kw):
    an = Analyzer(AnalyzeOptions(vad="energy", max_segment_ms=10_000, **kw), ScriptedVAD(probs))
    segs = an.push(x) + an.flush()
    assert len(segs) == 1
    return segs[0]


def test_syllable_nuclei_are_peaks_of_the_band_level_at_least_96_ms_apart():
    # 30 frames of speech: a 48-dB nucleus (frame 5) and a 24-dB one of two frames (8-9)
    # three frames (96 ms) apart: two syllables; two equal one-frame bursts (16, 19) whose
    # smoothed envelopes (3 frames) touch: one. Three syllables in 0.96 s.
    gains = np.zeros(30)
    gains[5], gains[[8, 9]], gains[[16, 19]] = 48.0, 24.0, 40.0
    seg = one_segment(tone_frames(gains), [0.9] * 30)
    assert seg.kind == "speech" and seg.num_samples == 30 * FS
    assert seg.cues["syllable_rate_hz"] == round(3 / (30 * FS / SR), 3)
    flat = one_segment(tone_frames(np.zeros(30)), [0.9] * 30)
    assert flat.cues["syllable_rate_hz"] == 0.0
    # bursts in frames 10, 12 and 14: envelope peaks at 11 and 13, 10 dB up but only 64 ms
    # apart: one syllable
    gains[:] = 0.0
    gains[[10, 12, 14]] = 30.0
    seg = one_segment(tone_frames(gains), [0.9] * 30)
    assert seg.cues["syllable_rate_hz"] == round(1 / (30 * FS / SR), 3)
    # the envelope is the 3-frame mean of the band level: a one-frame burst stands 1/3 of
    # its height above the rest, so +14 dB (4.7 dB) is a nucleus and +10 dB (3.3 dB) is not
    for burst, count in ((14.0, 1), (10.0, 0)):
        gains[:] = 0.0
        gains[15] = burst
        seg = one_segment(tone_frames(gains), [0.9] * 30)
        assert seg.cues["syllable_rate_hz"] == round(count / (30 * FS / SR), 3), burst


def test_five_frames_of_speech_can_hold_one_nucleus_and_three_cannot():
    # the envelope is smoothed only where both neighbours are read, and its peak needs a
    # smoothed frame on each side: 160 ms loud in the middle hold one nucleus, 6.7 dB up
    seg = one_segment(tone_frames([20.0, 40.0, 70.0, 40.0, 20.0]), [0.9] * 5, speech_pad_ms=0)
    assert seg.num_samples == 5 * FS and seg.cues["syllable_rate_hz"] == round(1 / 0.16, 3)
    seg = one_segment(tone_frames([40.0, 60.0, 40.0]), [0.9] * 3, speech_pad_ms=0)
    assert seg.num_samples == 3 * FS and seg.cues["syllable_rate_hz"] == 0.0


def test_a_run_of_64_ms_pieces_counts_its_syllables_over_the_whole_run():
    # 40 frames of speech with nuclei at frames 8, 20 and 32: a 64-ms piece (two frames) holds
    # none, but the run it belongs to holds all three, as one 10-s segment of the same audio
    gains = np.full(40, 26.0)
    gains[[8, 20, 32]] = 66.0
    x = tone_frames(gains)
    for longest in (64.0, 10_000.0):
        an = Analyzer(
            AnalyzeOptions(vad="energy", max_segment_ms=longest, speech_pad_ms=0),
            ScriptedVAD([0.9] * 40),
        )
        a = Analysis(tuple(an.push(x) + an.flush()), len(x), np.full(40, 0.9), "energy")
        assert len(a.segments) == (20 if longest == 64.0 else 1)
        (run,) = a.runs
        assert run.kind == "speech" and run.cues["syllable_rate_hz"] == round(3 / 1.28, 3)
        rate, snr, flux = (run.cues[k] for k in ("syllable_rate_hz", "snr_db", "spectral_flux"))
        assert run.complexity == complexity(rate, snr, flux)


def test_speech_cues_of_a_segment_that_starts_later():
    # 10 frames of silence, then 30 of a -31 dBFS tone with two nuclei: the speech piece,
    # padded to frames 9-40, holds two syllables in its own 0.992 s
    gains = np.full(30, 26.0)
    gains[[10, 20]] = 66.0
    x = np.concatenate([np.zeros(10 * FS, np.float32), tone_frames(gains)])
    an = Analyzer(
        AnalyzeOptions(vad="energy", max_segment_ms=10_000), ScriptedVAD([0.0] * 10 + [0.9] * 30)
    )
    speech = [s for s in an.push(x) + an.flush() if s.kind == "speech"]
    assert [(s.start, s.end) for s in speech] == [(9 * FS, 40 * FS)]
    assert speech[0].cues["syllable_rate_hz"] == round(2 / (31 * FS / SR), 3)
    # SNR: the median level over the median floor (from -70 dBFS, 3 dB/s: -69.09 dBFS)
    seg = one_segment(tone_frames([26.0] * 20), [0.9] * 20)
    assert seg.cues["level_db"] == -30.99 and seg.cues["snr_db"] == 38.1


def test_non_speech_at_silence_dbfs_is_noise():
    x = tone_frames([26.0] * 20)
    level = float(np.median(level_db(frames_of(x))))
    assert one_segment(x, [0.0] * 20, silence_dbfs=level).kind == "noise"
    above = float(np.nextafter(level, 0.0))
    assert one_segment(x, [0.0] * 20, silence_dbfs=above).kind == "silence"


def test_noise_is_stationary_only_when_its_level_varies_less_than_the_limit():
    x = tone_frames(np.tile([26.0, 32.0], 10))  # -30 and -24 dBFS frames, in turn
    std = float(np.std(level_db(frames_of(x))))
    assert 2.9 < std < 3.1
    for limit, kind in ((std, "nonstationary"), (np.nextafter(std, 10.0), "stationary")):
        seg = one_segment(x, [0.0] * 20, stationary_max_std_db=limit)
        assert (seg.kind, seg.noise_type) == ("noise", kind), limit


def test_a_flushed_analyzer_refuses_input_until_reset():
    # flush() ends the recording: a second flush adds nothing, more input is an error (it
    # was analysed as more of the same recording, after the padded last frame: segments
    # past its end), and reset() starts a new one
    probs = [0.0] * 5 + [0.9] * 5 + [0.0] * 5
    an = Analyzer(AnalyzeOptions(vad="energy"), vad=ScriptedVAD(probs * 2))
    x = np.zeros(15 * FS - 100, np.float32)
    first = an.push(x) + an.flush()
    assert first[-1].end == len(x)
    assert an.flush() == []
    with pytest.raises(OptionsError, match="reset"):
        an.push(x)
    assert an.result().num_samples == len(x) and tuple(an.result().segments) == tuple(first)
    an.reset()
    assert an.push(x) + an.flush() == first
