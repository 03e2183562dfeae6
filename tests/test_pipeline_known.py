"""The drivers in ``pipeline``, each checked against an answer planted in its input: option
ranges quoted exactly, progress in seconds of the input, the quiet-input warning at the edges
of its range and on the caller's line, output held in one buffer, ``skip_no_speech``."""

import inspect

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze.decode import Input
from audiosqueeze.pipeline import QUIET_DBFS, compress_to_sink
from audiosqueeze.transcript import Transcript, Word
from conftest import silence, tone

SR = 16000
ENERGY = sq.AnalyzeOptions(vad="energy")


def talk() -> np.ndarray:
    return np.concatenate([tone(1.0), silence(2.0), tone(1.0)])


# -- options, checked before any work ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "quote"),
    [
        ({"target_reduction": 1.0}, r"target_reduction must be a number in \[0, 1\), got 1.0"),
        ({"target_reduction": -0.1}, r"target_reduction must be a number in \[0, 1\), got -0.1"),
        ({"max_wer_increase": -0.5}, r"max_wer_increase must be a number in \[0, 100\], got"),
        ({"max_wer_increase": 100.5}, r"max_wer_increase must be a number in \[0, 100\], got"),
        ({"target_reduction": 0.3, "max_wer_increase": 1.0}, "not both"),
        ({"analysis": {"segments": []}}, "analysis must be an Analysis, got 'dict'"),
    ],
)
def test_bad_options_are_refused_before_the_input_is_opened(kwargs, quote):
    for call in (
        lambda: sq.compress("/no/such.wav", **kwargs),
        lambda: compress_to_sink("/no/such.wav", lambda y: None, **kwargs),
    ):
        with pytest.raises(sq.OptionsError, match=quote):
            call()
    if "analysis" not in kwargs:  # compress_file takes no analysis
        with pytest.raises(sq.OptionsError, match=quote):
            sq.compress_file("/no/such.wav", "/no/out.flac", **kwargs)


@pytest.mark.parametrize("budget", [0.0, 100.0])
def test_the_ends_of_the_wer_budget_are_accepted(budget):
    out = sq.compress(talk(), sample_rate=SR, analyze_options=ENERGY, max_wer_increase=budget)
    assert 0 < len(out.audio) < len(talk())


class Deaf:
    """A recogniser that hears no words at all: verify has nothing to slow down."""

    name, config = "deaf", {}

    def __init__(self):
        self.calls = 0

    def transcribe(self, samples):
        self.calls += 1
        return Transcript("", ())


def test_verify_options_accept_their_ends_and_refuse_past_them_before_any_work():
    kw = dict(sample_rate=SR, analyze_options=ENERGY)
    plain = sq.compress(talk(), 1.0, **kw)
    for ok in ({"verify_rounds": 10}, {"verify_min_probability": 1.0}):
        deaf = Deaf()
        out = sq.compress(talk(), 1.0, verify=deaf, **ok, **kw)
        assert deaf.calls >= 1 and np.array_equal(out.audio, plain.audio)
    seen = []
    for bad, quote in (
        ({"verify_rounds": 11}, r"verify_rounds.*11"),
        ({"verify_min_probability": 1.01}, r"verify_min_probability.*\[0, 1\].*1.01"),
    ):
        deaf = Deaf()
        with pytest.raises(sq.OptionsError, match=quote):
            sq.compress(talk(), 1.0, verify=deaf, progress=lambda *a: seen.append(a), **bad, **kw)
        assert deaf.calls == 0 and seen == []  # not a block compressed first


class Picky(Deaf):
    """Hears one word per second of the original; the fourth comes out wrong in any output
    shorter than the original, so every check finds a change to slow down."""

    def __init__(self, n_original: int):
        super().__init__()
        self.n = n_original

    def transcribe(self, samples):
        self.calls += 1
        ratio, short = len(samples) / self.n, len(samples) != self.n
        words = tuple(
            Word("oops" if i == 3 and short else f"w{i}", (i + 0.4) * ratio, (i + 0.6) * ratio)
            for i in range(self.n // SR)
        )
        return Transcript(" ".join(w.text for w in words), words)


def test_verify_checks_the_output_twice_by_default():
    t = np.arange(8 * SR) / SR
    x = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(
        np.float32
    )
    kw = dict(sample_rate=SR, analyze_options=ENERGY)
    calls = {}
    for rounds in (None, 1, 2, 3):
        picky = Picky(len(x))
        sq.compress(
            x, 1.0, verify=picky, **({} if rounds is None else {"verify_rounds": rounds}), **kw
        )
        calls[rounds] = picky.calls
    # the original, then one transcription per round
    assert calls == {None: 3, 1: 2, 2: 3, 3: 4}


# -- progress ----------------------------------------------------------------------------------


def test_a_two_pass_run_reports_both_passes_in_seconds_of_the_input(tmp_path):
    x = np.concatenate([tone(5.0), silence(4.0), tone(3.0)])  # 12 s: three 4-s blocks
    sq.save(tmp_path / "in.wav", x)
    seen = []
    sq.compress_file(
        tmp_path / "in.wav",
        tmp_path / "o.flac",
        target_reduction=0.2,
        analyze_options=ENERGY,
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    assert seen == [
        (stage, done, 12.0) for stage in ("analyze", "compress") for done in (4.0, 8.0, 12.0)
    ]


# -- the quiet-input warning -------------------------------------------------------------------


def planted(loudest_db: float, vad: str = "silero") -> sq.Analysis:
    """Two seconds of silence whose analysis says its loudest stretch is at ``loudest_db``."""
    seg = sq.Segment("silence", 0, 2 * SR, 1.0, cues={"level_db": loudest_db})
    return sq.Analysis((seg,), 2 * SR, np.zeros(2 * SR // 512), vad)


def quiet_warnings(loudest_db: float, vad: str = "silero", **kw) -> list:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sq.compress(silence(2.0), sample_rate=SR, analysis=planted(loudest_db, vad), **kw)
    return [w for w in caught if issubclass(w.category, sq.QuietInputWarning)]


def test_the_quiet_warning_range_is_half_open_and_its_top_moves_with_the_vad_gain():
    low, high = QUIET_DBFS  # (-90, -45): less the default gain of 30 dB, the top is -75
    assert (low, high) == (-90.0, -45.0)
    assert quiet_warnings(-90.0) and quiet_warnings(-75.5)
    assert not quiet_warnings(-90.5)  # (near) digital silence: nothing to miss
    assert not quiet_warnings(-75.0)  # within the gain's reach
    assert not quiet_warnings(-60.0)
    assert not quiet_warnings(-80.0, vad="energy")  # the energy VAD has no level to miss
    no_gain = sq.AnalyzeOptions(vad_max_gain_db=0.0)  # the top is -45 itself
    assert quiet_warnings(-45.5, analyze_options=no_gain)
    assert not quiet_warnings(-45.0, analyze_options=no_gain)


def test_the_quiet_warning_points_at_the_callers_line(tmp_path):
    # a warning's location is what a user reads first, and what warning filters match on:
    # each entry point must name the line that called it, not a line of the library
    quiet = tmp_path / "quiet.wav"
    sq.save(quiet, tone(2.0, amp=1e-4))  # -83 dBFS: beyond the default gain's reach
    x, webrtc = silence(2.0), sq.AnalyzeOptions(vad="webrtc")
    kw = dict(sample_rate=SR, analysis=planted(-80.0))
    lines = []

    def here() -> None:  # the line after the one that calls it
        lines.append(inspect.currentframe().f_back.f_lineno + 1)

    with pytest.warns(sq.QuietInputWarning) as w:
        here()
        sq.compress_file(quiet, tmp_path / "o.flac", analyze_options=webrtc)
        here()
        sq.compress(x, **kw)
        here()
        compress_to_sink(x, lambda y: None, **kw)
        here()
        sq.compress(x, verify=Deaf(), **kw)  # compress inside compress
    assert [(r.filename, r.lineno) for r in w] == [(__file__, line) for line in lines]


def test_the_target_warning_points_at_the_callers_line_too():
    # before: plan_for_target warned at stacklevel 2, a line of pipeline.py under compress
    x = np.concatenate([tone(2.0), silence(0.5), tone(2.0)])  # 95 % is out of reach
    a = sq.analyze(x, ENERGY, sample_rate=SR)
    lines = []

    def here() -> None:
        lines.append(inspect.currentframe().f_back.f_lineno + 1)

    with pytest.warns(sq.TargetNotReachedWarning) as w:
        here()
        sq.compress(x, target_reduction=0.95, sample_rate=SR, analyze_options=ENERGY)
        here()
        sq.compress(x, target_reduction=0.95, sample_rate=SR, analysis=a, verify=Deaf())
        here()
        sq.plan_for_target(a, 0.95)
    got = [(r.filename, r.lineno) for r in w if r.category is sq.TargetNotReachedWarning]
    assert got == [(__file__, line) for line in lines]


# -- the output buffer -------------------------------------------------------------------------


def test_an_input_longer_than_its_header_claims_is_compressed_whole():
    # frames_hint is never trusted: a header claiming a sample, or nothing, while 12 s follow
    x = np.concatenate([tone(5.0), silence(4.0), tone(3.0)])
    ref = sq.compress(x, 0.5, sample_rate=SR, analyze_options=ENERGY)
    for hint in (1, None):
        blocks = lambda: (x[i : i + 4 * SR] for i in range(0, len(x), 4 * SR))  # noqa: E731
        got = sq.compress(Input("<lying>", SR, hint, blocks), 0.5, analyze_options=ENERGY)
        assert np.array_equal(got.audio, ref.audio) and got.plan == ref.plan


@pytest.mark.parametrize("rate", [0.0, 1.0])
def test_the_result_holds_no_more_than_the_input_and_a_second(rate):
    x = np.concatenate([tone(5.0), silence(4.0), tone(3.0)])
    out = sq.compress(x, rate, sample_rate=SR, analyze_options=ENERGY)
    held = out.audio if out.audio.base is None else out.audio.base
    assert len(held) <= len(x) + SR
    if rate == 0.0:
        assert np.array_equal(out.audio, x)


def test_compress_to_sink_hands_over_what_compress_returns_at_the_same_default_rate():
    x = np.concatenate([tone(1.5), silence(3.0), tone(1.5)])
    chunks = []
    w = compress_to_sink(x, chunks.append, sample_rate=SR, analyze_options=ENERGY)
    ref = sq.compress(x, sample_rate=SR, analyze_options=ENERGY)
    assert w.plan.rate == ref.plan.rate == 0.5
    assert np.array_equal(np.concatenate(chunks), ref.audio)
    assert w.path is None and w.stats == ref.stats


# -- skip_no_speech ----------------------------------------------------------------------------


def test_skip_no_speech_writes_nothing_for_silence_only(tmp_path):
    sq.save(tmp_path / "quiet.wav", silence(3.0))
    sq.save(tmp_path / "talk.wav", talk())
    kw = dict(analyze_options=ENERGY, skip_no_speech=True)
    quiet, q_map = tmp_path / "quiet.wav", tmp_path / "q.json"
    got = sq.compress_file(quiet, tmp_path / "q.flac", timemap=q_map, **kw)
    assert isinstance(got, sq.Written) and got.path is None and got.timemap_path is None
    assert got.no_speech and got.stats.input_s == 3.0 and got.plan.num_samples == 3 * SR
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quiet.wav", "talk.wav"]
    spoken = sq.compress_file(tmp_path / "talk.wav", tmp_path / "t.flac", **kw)
    assert spoken.path == tmp_path / "t.flac" and not spoken.no_speech
    # without the flag (the default) a recording without speech is written all the same
    kept = sq.compress_file(tmp_path / "quiet.wav", tmp_path / "q.flac", analyze_options=ENERGY)
    assert kept.path == tmp_path / "q.flac" and kept.no_speech
    assert sq.load(kept.path).num_samples == kept.plan.out_samples > 0
