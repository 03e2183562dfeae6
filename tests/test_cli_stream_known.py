"""``audiosqueeze stream`` with planted answers: latency percentiles of known waits, chunks cut
and handed on as soon as they are whole, the waits of a stream that echoes each chunk, real-time
pacing on a fake clock, the option bounds and the report, and raw PCM through unchanged."""

import dataclasses
import io
import json
import sys
import types

import numpy as np
import pytest
import soundfile as sf

from audiosqueeze.cli import main
from audiosqueeze.cli import stream as cli_stream
from audiosqueeze.cli.stream import Latency, chunks_of, run_stream
from conftest import tone


# -- latency and chunks ------------------------------------------------------------------------
def test_latency_of_known_waits():
    lat = Latency.of(np.arange(101) / 100)  # 0.00, 0.01, ..., 1.00 s
    assert lat == Latency(p50=0.5, p99=0.99, max=1.0, count=101)
    assert Latency.of(np.zeros(0)) == Latency(0.0, 0.0, 0.0, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        lat.count = 3


def test_chunks_are_handed_on_as_soon_as_they_are_whole():
    pulled = []

    def blocks():
        for b in (np.arange(4.0), np.arange(4.0, 7.0), np.arange(7.0, 10.0)):
            pulled.append(len(b))
            yield b

    got = chunks_of(blocks(), 4)
    assert next(got).tolist() == [0, 1, 2, 3] and pulled == [4]  # not held for the next block
    assert [c.tolist() for c in got] == [[4, 5, 6, 7], [8, 9]]


# -- run_stream on a stream that echoes each chunk ---------------------------------------------
class Echo:
    """Returns each chunk as it comes, so an output sample waits for the rest of its chunk."""

    def __init__(self, timemap=True):
        self.samples_in = 0
        self.timemap = types.SimpleNamespace(to_original_samples=np.asarray) if timemap else None

    def push(self, x):
        self.samples_in += len(x)
        return x

    def flush(self):
        return np.zeros(0, np.float32)


@pytest.fixture
def clock(monkeypatch):
    """A fake clock (starting at 100 s) that only sleeping moves; the sleeps are kept."""
    now, sleeps = [100.0], []

    def sleep(s):
        sleeps.append(s)
        now[0] += s

    monkeypatch.setattr(
        cli_stream, "time", types.SimpleNamespace(perf_counter=lambda: now[0], sleep=sleep)
    )
    return sleeps


def test_each_probe_waits_for_the_rest_of_its_chunk(clock):
    out = []
    waits, n = run_stream(Echo(), chunks_of([np.zeros(960, np.float32)], 320), out.append)
    # probes every 160 samples: 0 waits a whole 20-ms chunk, 160 half of one, and so on
    assert n == 960 and waits.tolist() == pytest.approx([0.02, 0.01] * 3)
    assert [len(y) for y in out] == [320] * 3
    assert clock == []  # as fast as it goes unless a pace is given


def test_without_a_time_map_there_is_nothing_to_probe(clock):
    waits, n = run_stream(Echo(timemap=False), [np.zeros(500, np.float32)])
    assert n == 500 and len(waits) == 0


@pytest.mark.parametrize("pace, step", [(1.0, 0.02), (2.0, 0.01)])
def test_paced_input_arrives_no_faster_than_pace_times_real_time(clock, pace, step):
    run_stream(Echo(), chunks_of([np.zeros(1600, np.float32)], 320), pace=pace, chunk_rate=16000)
    # the first chunk goes at once; each next one when the clock reaches its start / pace
    assert clock == pytest.approx([step] * 4, rel=1e-9)


# -- the command -------------------------------------------------------------------------------
@pytest.fixture
def wav(tmp_path):
    p = tmp_path / "in.wav"
    sf.write(p, tone(8100 / 16000), 16000)  # 0.50625 s
    return p


def stream_report(capsys, *args) -> dict:
    assert main(["stream", *args, "--fast", "--vad", "energy", "--json"]) == 0
    return json.loads(capsys.readouterr().err)


def test_the_report(wav, capsys, monkeypatch):
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", out)
    r = stream_report(capsys, str(wav), "--rate", "0")
    assert out.getvalue() == b""  # no -o: no audio written anywhere
    assert r["wall_s"] < 60
    assert r["input"] == str(wav) and r["chunk_ms"] == 20.0  # the default chunk
    assert (r["input_s"], r["output_s"]) == (0.506, 0.506)  # rate 0: unchanged; in ms
    assert r["no_speech"] is False
    lat = [r["latency_p50_s"], r["latency_p99_s"], r["latency_max_s"]]
    assert 0 < lat[0] <= lat[1] <= lat[2] < 0.5
    assert all(round(v, 3) == v for v in [*lat, r["wall_s"]])


def test_the_help_shows_the_defaults(capsys):
    assert main(["stream", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for default in ("chunk. [default: 20.0;", "[default: silero]", "[default: 64.0;"):
        assert default in out


@pytest.mark.parametrize(
    "args, ok",
    [
        (["--chunk-ms", "1"], True),
        (["--chunk-ms", "0.99"], False),
        (["--chunk-ms", "10000"], True),
        (["--chunk-ms", "10000.5"], False),
    ],
)
def test_chunk_ms_bounds(wav, capsys, args, ok):
    code = main(["stream", str(wav), *args, "--fast", "--vad", "energy", "--json"])
    assert code == (0 if ok else 2), capsys.readouterr().err


@pytest.mark.parametrize("rate, ok", [(1000, True), (999, False), (384000, True), (384001, False)])
def test_input_rate_bounds(monkeypatch, capsys, rate, ok):
    monkeypatch.setattr(sys, "stdin", io.BytesIO(np.zeros(rate // 10, "<i2").tobytes()))
    code = main(["stream", "-", "--input-rate", str(rate), "--fast", "--vad", "energy", "--json"])
    assert code == (0 if ok else 2), capsys.readouterr().err


def test_input_rate_is_only_for_stdin(wav, capsys):
    assert main(["stream", str(wav), "--input-rate", "16000", "--fast"]) == 2
    assert "--input-rate is for raw PCM on stdin" in capsys.readouterr().err


def test_rate_0_passes_raw_pcm_through_bit_exact(monkeypatch, capsys):
    # "0 = unchanged (bit-exact)": raw s16le in, raw s16le out, the same bytes (the reader
    # divides by 32768, so the writer multiplies by 32768 and rounds, as the service does)
    pcm = np.random.default_rng(0).integers(-32768, 32768, 16000).astype("<i2")
    pcm[:4] = [-32768, 32767, -1, 1]
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdin", io.BytesIO(pcm.tobytes()))
    monkeypatch.setattr(sys, "stdout", out)
    args = ["stream", "-", "--input-rate", "16000", "--rate", "0", "-o", "-"]
    assert main([*args, "--fast", "--vad", "energy"]) == 0, capsys.readouterr().err
    assert out.getvalue() == pcm.tobytes()


def test_fast_never_sleeps_and_otherwise_input_arrives_in_real_time(wav, clock):
    args = ["stream", str(wav), "--vad", "energy", "--json"]
    assert main([*args, "--fast"]) == 0 and clock == []
    assert main(args) == 0
    # 0.50625 s in 20-ms chunks: the last of 26 chunks is sent 25 * 20 ms after the first
    assert sum(clock) == pytest.approx(0.5, abs=1e-9)


def test_silence_is_reported_as_no_speech(tmp_path, capsys):
    sf.write(tmp_path / "quiet.wav", np.zeros(8000), 16000)
    assert stream_report(capsys, str(tmp_path / "quiet.wav"))["no_speech"] is True


@pytest.mark.parametrize("output", [[], ["-o", "-"]])
def test_no_audio_on_stdin_is_an_error(monkeypatch, capsys, output):
    monkeypatch.setattr(sys, "stdin", io.BytesIO(b"\x01"))  # half a sample
    monkeypatch.setattr(sys, "stdout", io.BytesIO())
    assert main(["stream", "-", "--input-rate", "16000", *output, "--fast"]) == 1
    assert "-: no audio (none at 16 kHz)" in capsys.readouterr().err


def test_a_trailing_half_sample_on_stdin_is_dropped(monkeypatch, capsys):
    pcm = np.arange(-8000, 8000, dtype="<i2") * 3
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdin", io.BytesIO(pcm.tobytes() + b"\x07"))
    monkeypatch.setattr(sys, "stdout", out)
    args = ["stream", "-", "--input-rate", "16000", "--rate", "0", "-o", "-"]
    assert main([*args, "--fast", "--vad", "energy"]) == 0, capsys.readouterr().err
    assert out.getvalue() == pcm.tobytes()


def test_samples_beyond_full_scale_are_clipped_on_stdout(tmp_path, monkeypatch, capsys):
    x = np.zeros(8000, np.float32)
    x[:5] = [1.5, -1.5, 1.0, -1.0, 0.5]
    sf.write(tmp_path / "loud.wav", x, 16000, subtype="FLOAT")
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", out)
    args = ["stream", str(tmp_path / "loud.wav"), "--rate", "0", "-o", "-"]
    assert main([*args, "--fast", "--vad", "energy"]) == 0, capsys.readouterr().err
    got = np.frombuffer(out.getvalue(), "<i2")
    assert got[:6].tolist() == [32767, -32768, 32767, -32768, 16384, 0] and len(got) == 8000


def test_a_file_output_is_written_there_and_not_to_stdout(wav, tmp_path, monkeypatch, capsys):
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", out)
    r = stream_report(capsys, str(wav), "--rate", "0", "-o", str(tmp_path / "o.wav"))
    assert out.getvalue() == b"" and r["output_s"] == 0.506
    assert sf.info(tmp_path / "o.wav").frames == 8100


def test_an_output_ending_in_a_slash_is_a_folder(wav, tmp_path, capsys):
    """``-o out/`` names a folder: where it does not exist the message says so, not that the
    extension '' is unknown."""
    code = main(["stream", str(wav), "--fast", "--vad", "energy", "-o", f"{tmp_path}/nowhere/"])
    assert code == 1 and "output folder" in capsys.readouterr().err
    assert "nowhere" not in {p.name for p in tmp_path.iterdir()}


def test_the_report_gives_the_wait_of_speech_apart_from_the_held_pauses(tmp_path, capsys):
    """A pause is held until the speech after it arrives (3 s here), while speech waits about
    0.2 s (the --max-segment-ms help's promise): the report gives both, so the held pause's
    wait is not read as the speech's."""
    from conftest import silence

    src = tmp_path / "talk.wav"
    sf.write(src, np.concatenate([tone(1.0), silence(3.0), tone(1.0)]), 16000)
    r = stream_report(capsys, str(src))
    assert r["latency_max_s"] > 2.5  # the head of the kept pause, held for the whole pause
    assert 0.05 < r["speech_latency_p50_s"] <= r["speech_latency_max_s"] < 0.3
    assert r["speech_latency_max_s"] < r["latency_max_s"]
    assert main(["stream", str(src), "--fast", "--vad", "energy"]) == 0
    line = capsys.readouterr().err
    assert f"latency: speech p50 {r['speech_latency_p50_s']:.2f} s" in line, line
    assert f"max {r['speech_latency_max_s']:.2f} s" in line and "every sample" in line
    sf.write(src, silence(3.0), 16000)  # no speech: no speech wait to report
    r = stream_report(capsys, str(src))
    assert r["no_speech"] and r["speech_latency_max_s"] is None and r["latency_max_s"] > 2.5
    assert main(["stream", str(src), "--fast", "--vad", "energy"]) == 0
    assert "latency: no speech; every sample" in capsys.readouterr().err


def test_a_recording_too_quiet_for_the_vad_gets_compresss_warning(tmp_path, capsys):
    """``compress`` warns (one 'warning:' line) where a recording is too quiet for the VAD even
    through its gain; ``stream`` of the same file said nothing."""
    from conftest import silence

    src = tmp_path / "quiet.wav"
    quiet = np.concatenate([tone(1.0), silence(0.5), tone(1.0)]) * 10 ** (-60 / 20)
    sf.write(src, quiet, 16000, subtype="FLOAT")  # loudest stretch about -88 dBFS
    assert main(["compress", str(src), "-o", str(tmp_path / "c.flac")]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(said) == 1 and "the recording is quiet" in said[0]
    assert main(["stream", str(src), "--fast"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == said[0] and len(err) == 2 and "latency" in err[1]
    sf.write(src, quiet * 10 ** (40 / 20), 16000, subtype="FLOAT")  # 40 dB louder: no warning
    assert main(["stream", str(src), "--fast"]) == 0
    assert "warning" not in capsys.readouterr().err
