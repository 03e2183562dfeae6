"""The long-form set's non-speech stretches with planted answers: each kind at its stated level
and with its stated content (the module docstring), the 10-ms fades, and the noise folder."""

import importlib.util
import json

import numpy as np
import pytest
import soundfile as sf

from audiosqueeze.datasets import Utterance
from audiosqueeze.datasets import longform as lf
from audiosqueeze.errors import OptionsError

SR = 16000
#: make_longform normalises the references (whisper-normalizer, the [bench] extra)
needs_bench = pytest.mark.skipif(
    importlib.util.find_spec("whisper_normalizer") is None,
    reason="make_longform normalises references: pip install -e '.[bench]'",
)


def dbfs(x):
    return 20 * np.log10(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2)))


def hiss_of(seed, n):
    """The hiss every stretch starts with: the seeded generator's first draw, at -65 dBFS."""
    return lf._db(np.random.default_rng(seed).standard_normal(n).astype(np.float32), -65)


def test_db_sets_the_rms_and_leaves_silence_silent():
    x = np.sin(np.arange(4000) * 0.3).astype(np.float32) * 0.7
    for level in (-65.0, -35.0, -30.0, -3.0):
        assert dbfs(lf._db(x, level)) == pytest.approx(level, abs=1e-4)
    assert np.array_equal(lf._db(np.zeros(10, np.float32), -30), np.zeros(10, np.float32))


def test_fades_are_10_ms_linear_ramps_at_both_ends():
    out = lf._fade(np.ones(1000, np.float32))
    ramp = np.linspace(0.0, 1.0, 160, dtype=np.float32)
    assert np.array_equal(out[:160], ramp) and np.array_equal(out[-160:], ramp[::-1])
    assert np.all(out[160:-160] == 1.0)
    short = lf._fade(np.ones(100, np.float32))  # under 20 ms: half of it each way
    assert np.array_equal(short[:50], np.linspace(0, 1, 50, dtype=np.float32))
    assert np.array_equal(short[50:], np.linspace(1, 0, 50, dtype=np.float32))


def test_silence_is_room_tone_at_minus_65_dbfs():
    out = lf._stretch("silence", 8000, np.random.default_rng(3), [], [])
    assert len(out) == 8000 and np.array_equal(out, hiss_of(3, 8000))
    assert dbfs(out) == pytest.approx(-65.0, abs=1e-4)


def test_noise_is_a_stretch_of_the_looped_recording_at_minus_30_dbfs():
    src = np.arange(1, 1001, dtype=np.float32)  # every sample says where it came from
    out = lf._stretch("noise", 2500, np.random.default_rng(5), [src], [])  # longer: looped
    assert len(out) == 2500 and dbfs(out) == pytest.approx(-30.0, abs=1e-3)
    steps = np.diff(np.round(out / (out[1] - out[0])).astype(np.int64))
    assert set(steps.tolist()) <= {1, -999}  # consecutive samples, wrapping at the end
    for seed in range(20):  # and from anywhere in the recording, never past its end
        short = lf._stretch("noise", 400, np.random.default_rng(seed), [src], [])
        scale = short[1] - short[0]
        first = round(float(short[0] / scale))
        assert 1 <= first <= 1000 and len(short) == 400


def spectrum(x):
    mag = np.abs(np.fft.rfft(x)) / (len(x) / 2)
    return mag  # 1-Hz bins for a 1-s stretch: a sine of amplitude A reads A


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_hum_is_mains_and_four_harmonics_falling_as_1_over_k_at_minus_35_dbfs(seed):
    out = lf._stretch("hum", SR, np.random.default_rng(seed), [], [])
    hum = out - hiss_of(seed, SR)
    assert dbfs(hum) == pytest.approx(-35.0, abs=1e-3)
    mag = spectrum(hum)
    f0 = 50 if mag[50] > mag[60] else 60
    peaks = [mag[f0 * k] for k in range(1, 6)]
    assert [p / peaks[0] for p in peaks] == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5], rel=1e-3)
    others = np.delete(mag, [f0 * k for k in range(1, 6)])
    assert others.max() < 0.01 * peaks[0]  # no sixth harmonic, no other mains frequency


def voices(freqs, seconds=0.5):
    t = np.arange(int(seconds * SR)) / SR
    return [
        Utterance(f"v{f}", "x", "d", "s", samples=np.sin(2 * np.pi * f * t).astype(np.float32))
        for f in freqs
    ]


def test_babble_is_six_other_voices_reversed_at_minus_35_dbfs():
    freqs = [200, 300, 400, 500, 600, 700, 800, 900]  # eight clips: six are drawn
    out = lf._stretch("babble", SR, np.random.default_rng(4), [], voices(freqs))
    mix = out - hiss_of(4, SR)
    assert dbfs(mix) == pytest.approx(-35.0, abs=1e-3)
    mag = spectrum(mix)
    heard = [f for f in freqs if mag[f] > 0.2 * max(mag[g] for g in freqs)]
    assert len(heard) == 6  # at their own pitch: reversed, not played at half or double rate
    few = lf._stretch("babble", SR, np.random.default_rng(4), [], voices([250, 350]))
    mag = spectrum(few - hiss_of(4, SR))
    assert mag[250] > 0.01 and mag[350] > 0.01  # fewer than six clips: all of them


def test_babble_is_the_clips_played_backwards():
    t = np.arange(SR) / SR
    rising = (t * np.sin(2 * np.pi * 300 * t)).astype(np.float32)  # grows louder
    pool = [Utterance("r", "x", "d", "s", samples=rising)]
    out = lf._stretch("babble", SR // 2, np.random.default_rng(0), [], pool) - hiss_of(0, SR // 2)
    env = np.abs(out).reshape(-1, 800).max(axis=1)
    # within one copy of the reversed clip the level only falls, except where the loop restarts
    drops = np.diff(env) < 0
    assert drops.sum() >= len(drops) - 2


def test_an_unknown_kind_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown stretch kind 'crowd'"):
        lf._stretch("crowd", 100, np.random.default_rng(0), [], [])


def test_the_noise_folder_is_read_in_its_listed_order(tmp_path):
    (tmp_path / "noise").mkdir()
    rows = []
    for name, value in (("b.wav", 0.25), ("a.wav", -0.5)):
        sf.write(tmp_path / "noise" / name, np.full(1600, value, np.float32), SR)
        rows.append(json.dumps({"path": f"noise/{name}"}))
    (tmp_path / "noise" / "noise.jsonl").write_text("\n".join(rows) + "\n")
    got = lf.load_noises(tmp_path / "noise")
    assert [round(float(x.mean()), 3) for x in got] == [0.25, -0.5]
    assert all(len(x) == 1600 for x in got)


@needs_bench
def test_by_default_six_recordings_of_one_to_three_minutes_with_one_to_ten_second_gaps():
    recs = lf.make_longform(clips(120), [np.ones(SR, np.float32)])
    assert len(recs) == 6 and [r.id for r in recs] == [f"longform-0-{k:02d}" for k in range(6)]
    for r in recs:
        assert 60.0 <= r.duration_s <= 180.0
        assert all(SR <= g.end - g.start < 10 * SR for g in r.gaps)
    gaps = [g.end - g.start for r in recs for g in r.gaps]  # seeded: the same draw each run
    assert min(gaps) < 2 * SR and max(gaps) > 9 * SR  # the whole 1-10 s range is drawn from


def clips(n):
    return [
        Utterance(f"u{i}", f"word{i}", "d", "s", duration_s=4.0,
                  samples=np.full(4 * SR, 0.1, np.float32))
        for i in range(n)
    ]  # fmt: skip


@needs_bench
def test_babble_is_drawn_only_from_clips_no_recording_has_used(monkeypatch):
    calls, real = [], lf._stretch

    def spy(kind, n, rng, noises, pool):
        calls.append({u.id for u in pool})
        return real(kind, n, rng, noises, pool)

    monkeypatch.setattr(lf, "_stretch", spy)
    pool = clips(120)
    recs = lf.make_longform(pool, [np.ones(SR, np.float32)], count=4, min_s=20, max_s=40)
    every, used, k = {u.id for u in pool}, set(), 0
    for r in recs:
        for g in range(len(r.gaps)):  # a stretch before each part, and one after the last
            assert calls[k] == every - used, (r.id, g)
            k += 1
            if g < len(r.parts):
                used.add(r.parts[g])
    assert k == len(calls) and len(used) == sum(len(r.parts) for r in recs)


def test_no_clips_or_no_noise_is_refused():
    with pytest.raises(ValueError, match="needs utterances and noise"):
        lf.make_longform([], [np.ones(SR, np.float32)])
    with pytest.raises(ValueError, match="needs utterances and noise"):
        lf.make_longform(clips(3), [])


def test_describe_writes_every_stretch_and_its_sources():
    from audiosqueeze.datasets import Gap

    rec = Utterance(
        "longform-0-00", "a b", "longform", "test", duration_s=12.34567, parts=("u1", "u2"),
        reference="a b", gaps=(Gap(0, 16000, 0, "noise"), Gap(48000, 64000, 1, "music", ("m1",))),
    )  # fmt: skip
    assert lf.describe([rec]) == [
        {
            "id": "longform-0-00",
            "duration_s": 12.346,
            "parts": ["u1", "u2"],
            "text": "a b",
            "reference": "a b",
            "gaps": [
                {"start": 0, "end": 16000, "word_index": 0, "kind": "noise"},
                {"start": 48000, "end": 64000, "word_index": 1, "kind": "music", "sources": ["m1"]},
            ],
        }
    ]


def nonspeech_pools():
    """One short clip of each category the hard set draws from."""
    cats = sorted(set(lf.HARD_KINDS.values()))
    return [
        Utterance(f"n{i}", "", "nonspeech", "s", duration_s=1.0,
                  samples=np.full(SR, 0.01, np.float32), category=c)
        for i, c in enumerate(cats)
    ]  # fmt: skip


@pytest.mark.parametrize("per", [(0, 2), (3, 2), (-1, 1), (0, 0)])
def test_hard_set_refuses_a_per_recording_range_outside_1_to_high_by_value(per):
    with pytest.raises(OptionsError, match=rf"per_recording .*got \({per[0]}, {per[1]}\)"):
        lf.make_hard_longform(clips(40), nonspeech_pools(), count=2, per_recording=per)


@needs_bench
@pytest.mark.parametrize("per", [(1, 1), (2, 2), (1, 3)])
def test_hard_set_takes_each_per_recording_range_with_1_le_low_le_high(per):
    recs = lf.make_hard_longform(
        clips(12), nonspeech_pools(), count=3, per_recording=per, min_gap_s=0.1, max_gap_s=0.2
    )
    assert [per[0] <= len(r.parts) <= per[1] for r in recs] == [True] * 3
    if per[0] == per[1]:
        assert [len(r.parts) for r in recs] == [per[0]] * 3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"count": 0}, "count must be a whole number >= 1, got 0"),
        ({"count": -2}, "got -2"),
        ({"count": 2.5}, "got 2.5"),
        ({"count": True}, "got True"),
        ({"min_gap_s": 5.0, "max_gap_s": 1.0}, r"min_gap_s_max_gap_s .*got \(5.0, 1.0\)"),
        ({"min_gap_s": 0.0}, r"got \(0.0, "),
        ({"max_gap_s": float("inf")}, r"got \(.*inf\)"),
        ({"min_gap_s": float("nan")}, r"got \(nan, "),
    ],
)
def test_both_builders_refuse_a_bad_count_or_gap_range_by_value(kwargs, match):
    with pytest.raises(OptionsError, match=match):
        lf.make_hard_longform(clips(40), nonspeech_pools(), **kwargs)
    with pytest.raises(OptionsError, match=match):
        lf.make_longform(clips(40), [np.ones(SR, np.float32)], **kwargs)


def test_make_longform_refuses_a_bad_length_range_or_more_recordings_than_clips():
    noise = [np.ones(SR, np.float32)]
    with pytest.raises(OptionsError, match=r"min_s_max_s .*got \(90.0, 60.0\)"):
        lf.make_longform(clips(5), noise, min_s=90.0, max_s=60.0)
    with pytest.raises(OptionsError, match="count 6 is more than the 5 utterances given"):
        lf.make_longform(clips(5), noise, count=6)
