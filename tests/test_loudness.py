"""Quiet speech after loud speech is raised to its level (audiosqueeze.loudness), by the
planner's edits and the renderer's gain envelope, the same in a stream as in a file."""

from __future__ import annotations

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze.analyze import Analysis, Segment
from audiosqueeze.loudness import (
    BELOW_REF_DB,
    MIN_FRAMES,
    REF_DECAY_DB_PER_S,
    WINDOW_FRAMES,
    QuietSpeechGain,
)
from audiosqueeze.plan import Edit, Plan, PlanOptions, plan
from audiosqueeze.render import Renderer, render
from audiosqueeze.segments import FRAME_FIELDS, Frames
from audiosqueeze.units import FRAME_SAMPLES
from conftest import needs_silero

SEG = 2  # frames per segment (64 ms, the analyzer's default)


def speech(start: int, levels_db) -> Segment:
    levels = np.asarray(levels_db, np.float64)
    data = np.zeros((len(FRAME_FIELDS), len(levels)))
    data[FRAME_FIELDS.index("prob")] = 0.95
    data[FRAME_FIELDS.index("level")] = levels
    data[FRAME_FIELDS.index("floor")] = -90.0
    end = start + len(levels) * FRAME_SAMPLES
    cues = {"syllable_rate_hz": 4.0, "snr_db": 30.0, "spectral_flux": 0.1, "level_db": 0.0}
    return Segment("speech", start, end, 0.95, 0.2, None, cues, Frames(FRAME_FIELDS, data))


def pause(start: int, frames: int) -> Segment:
    return Segment("silence", start, start + frames * FRAME_SAMPLES, 0.9)


def voices(*parts) -> list[Segment]:
    """parts: (level dB or None for a pause, frames) -> 64-ms segments from 0 on."""
    segs, t = [], 0
    for level, frames in parts:
        for _ in range(frames // SEG):
            seg = pause(t, SEG) if level is None else speech(t, [level] * SEG)
            segs.append(seg)
            t = seg.end
    return segs


def gains(segments, **kw) -> list[float]:
    g = QuietSpeechGain(kw.get("max_gain_db", 40.0), kw.get("drop_db", 25.0))
    return [g.speech(s) if s.kind == "speech" else g.pause(s) for s in segments]


def test_quiet_voice_after_a_loud_one_is_raised_to_its_level():
    loud, quiet = 64, 96  # frames: 2 s, then 3 s
    out = gains(voices((-20.0, loud), (None, 16), (-60.0, quiet)))
    loud_g, quiet_g = out[: loud // SEG], out[loud // SEG + 8 :]
    assert all(g == 0.0 for g in loud_g)
    # once the level window has let the loud frames go, the quiet voice is raised to
    # BELOW_REF_DB under the reference (-20 dB), which then falls at REF_DECAY_DB_PER_S:
    # 30 dB, less by that
    late = quiet_g[WINDOW_FRAMES // SEG :]
    assert 29.0 < late[0] <= 40.0 - BELOW_REF_DB
    np.testing.assert_allclose(np.diff(late), -REF_DECAY_DB_PER_S * SEG * 0.032, atol=0.011)
    assert quiet_g[0] == 0.0  # not yet: the window is still loud


def test_gain_is_capped_and_off_without_a_louder_reference():
    out = gains(voices((-20.0, 64), (-60.0, 96)), max_gain_db=12.0)
    assert max(out) == 12.0
    assert gains(voices((-60.0, 200))) == [0.0] * 100  # quiet throughout: nothing to raise
    # 20 dB under is not 25: speech a bit quieter than before stays as it is
    assert max(gains(voices((-20.0, 64), (-40.0, 96)))) == 0.0


def test_loud_voice_after_a_quiet_one_is_not_raised():
    out = gains(voices((-20.0, 64), (-60.0, 96), (-20.0, 64)))
    back = out[(64 + 96) // SEG :]
    assert all(g == 0.0 for g in back)  # no frame of it may go above the reference


def test_first_frames_are_never_judged():
    g = QuietSpeechGain(40.0, 25.0)
    segs = voices((-60.0, MIN_FRAMES - SEG))
    assert [g.speech(s) for s in segs] == [0.0] * len(segs)
    assert g.speech(Segment("speech", 0, 512, 0.9)) == 0.0  # no frames: nothing to judge


def test_planner_puts_the_gain_on_the_quiet_voices_edits_only():
    segs = voices((None, 16), (-20.0, 64), (None, 16), (-60.0, 96))
    a = Analysis(tuple(segs), segs[-1].end, np.zeros(0), "test")
    off = plan(a, 0.5)
    assert all(e.gain_db == 0.0 for e in off.edits)  # the default: never raised
    on = plan(a, 0.5, PlanOptions(quiet_speech_max_gain_db=40.0))
    assert [e.start for e in on.edits] == [e.start for e in off.edits]  # same timing
    raised = [e for e in on.edits if e.gain_db]
    quiet_from = segs[16 // SEG + 64 // SEG + 16 // SEG].start
    assert raised and all(e.start >= quiet_from and e.segment == "speech" for e in raised)
    assert plan(a, 0.0, PlanOptions(quiet_speech_max_gain_db=40.0)).is_identity
    back = Plan.from_dict(on.to_dict())
    assert [e.gain_db for e in back.edits] == [e.gain_db for e in on.edits]


@pytest.mark.parametrize("db", [-6.0, 20.0])
def test_renderer_applies_the_gain_with_ramps(db):
    x = np.full(8000, 0.01, np.float32)
    edits = (
        Edit("keep", 0, 3000, 3000, "speech"),
        Edit("keep", 3000, 6000, 3000, "speech", gain_db=db),
        Edit("keep", 6000, 8000, 2000, "speech"),
    )
    y = render(x, Plan(edits, len(x), 0.5))
    g = np.float32(10 ** (db / 20))
    ramp = sq.RenderOptions().crossfade_samples
    assert np.array_equal(y[:3000], x[:3000])
    np.testing.assert_allclose(y[3000 + ramp : 6000], 0.01 * g, rtol=1e-5)
    np.testing.assert_allclose(y[6000 + ramp :], 0.01, rtol=1e-5)
    rising = np.diff(y[3000 : 3000 + ramp + 1])
    assert np.all(rising > 0) if db > 0 else np.all(rising < 0)  # a ramp, not a step
    loud = render(np.full(8000, 0.5, np.float32), Plan(edits, len(x), 0.5))
    assert np.max(np.abs(loud)) <= 1.0  # raised samples are clipped, not wrapped


@pytest.mark.parametrize("chunk", [1, 37, 480, 5000])
def test_gain_is_the_same_for_any_chunking(chunk):
    rng = np.random.default_rng(4)
    x = (0.05 * rng.standard_normal(9000)).astype(np.float32)
    edits = [
        Edit("keep", 0, 2000, 2000, "speech", gain_db=3.0),
        Edit("shorten", 2000, 4000, 500, "silence", 250),
        Edit("keep", 4000, 4100, 100, "speech", gain_db=30.0),  # shorter than the ramp
        Edit("stretch", 4100, 7000, 2000, "speech", gain_db=12.0),
        Edit("keep", 7000, 9000, 2000, "speech"),
    ]
    whole = render(x, Plan(tuple(edits), len(x), 0.5))
    r, parts = Renderer(), []
    for i in range(0, len(x), chunk):
        r.push(x[i : i + chunk])
        if i // chunk < len(edits):
            r.add([edits[i // chunk]])
        parts.append(r.pull())
    r.add(edits[len(x) // chunk + 1 :] if len(x) // chunk + 1 < len(edits) else [])
    parts.append(r.pull(final=True))
    assert np.array_equal(np.concatenate(parts), whole)
    plain = render(
        x, Plan(tuple(e.__class__(**{**_d(e), "gain_db": 0.0}) for e in edits), 9000, 0.5)
    )
    assert not np.array_equal(whole, plain)


def _d(e: Edit) -> dict:
    return {f: getattr(e, f) for f in e.__slots__}


@needs_silero
def test_a_real_quiet_voice_is_raised_and_the_stream_agrees(real_clips):
    x = sq.load(real_clips[0]["abs"]).samples
    quiet = x * np.float32(10 ** (-40 / 20))  # the same voice, 40 dB down, after a pause
    rec = np.concatenate([x, np.zeros(16000, np.float32), quiet])
    opts = PlanOptions(quiet_speech_max_gain_db=40.0)
    on = sq.compress(rec, 0.5, sample_rate=16000, plan_options=opts)
    off = sq.compress(rec, 0.5, sample_rate=16000)
    assert len(on.audio) == len(off.audio) and on.timemap == off.timemap
    tail = int(on.timemap.to_compressed_samples(len(x) + 16000 + len(quiet) // 2))

    def rms_db(y):
        return 10 * np.log10(np.mean(np.square(y, dtype=np.float64)) + 1e-20)

    assert rms_db(on.audio[tail:]) - rms_db(off.audio[tail:]) > 20  # raised (up to 40)
    assert np.array_equal(on.audio[: len(x) // 2], off.audio[: len(x) // 2])  # loud: as is
    s = sq.Stream(0.5, plan_options=opts)
    chunks = [s.push(rec[i : i + 3331]) for i in range(0, len(rec), 3331)] + [s.flush()]
    assert np.array_equal(np.concatenate(chunks), on.audio)


@needs_silero
def test_the_cli_raises_quiet_speech_only_when_asked(real_clips, tmp_path):
    from audiosqueeze.cli import main

    x = sq.load(real_clips[0]["abs"]).samples
    rec = np.concatenate([x, np.zeros(16000, np.float32), x * np.float32(0.01)])
    src = tmp_path / "in.wav"
    sq.save(src, rec)
    heard = sq.load(src).samples  # as the CLI reads it back (16-bit)
    on = sq.compress(
        heard, 0.5, sample_rate=16000, plan_options=PlanOptions(quiet_speech_max_gain_db=40.0)
    )
    off = sq.compress(heard, 0.5, sample_rate=16000)
    assert not np.array_equal(on.audio, off.audio)
    for flag, want in (("40", on), ("0", off)):
        out = tmp_path / f"out{flag}.wav"
        assert main(["compress", str(src), "-o", str(out), "--quiet-speech-gain", flag]) == 0
        sq.save(tmp_path / "want.wav", want.audio)  # the library's output, written alike
        assert np.array_equal(sq.load(out).samples, sq.load(tmp_path / "want.wav").samples)
        streamed = tmp_path / f"stream{flag}.wav"
        args = ["stream", str(src), "-o", str(streamed), "--fast", "--quiet-speech-gain", flag]
        assert main(args) == 0
        assert np.array_equal(sq.load(streamed).samples, sq.load(out).samples)
    bad = ["compress", str(src), "-o", str(tmp_path / "x.wav"), "--quiet-speech-gain"]
    assert main([*bad, "-1"]) == 2  # out of range: a usage error
    assert main([*bad, "nan"]) == 1  # passes click's range, refused by PlanOptions
    assert not (tmp_path / "x.wav").exists()
