"""Inputs a hostile (or unlucky) user hands over: each case once crashed, hung or wrote a wrong
file; now each gives a correct result or one clear AudiosqueezeError, and leaves no debris."""

import io
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import soundfile as sf

import audiosqueeze as sq
from audiosqueeze.cli import main
from conftest import silence, tone

SR = 16000
ENERGY = sq.AnalyzeOptions(vad="energy")


def clip():
    return np.concatenate([tone(1.0), silence(2.0), tone(1.5), silence(0.5)])


def flac_with_total(tmp_path, total, name="x.flac"):
    """A valid FLAC whose STREAMINFO claims ``total`` samples (0 = unknown, as from a pipe)."""
    p = tmp_path / name
    sf.write(p, clip(), SR, format="FLAC")
    raw = bytearray(p.read_bytes())
    bits = int.from_bytes(raw[18:26], "big")
    bits = (bits & ~((1 << 36) - 1)) | total
    raw[18:26] = bits.to_bytes(8, "big")
    p.write_bytes(bytes(raw))
    return p


def valid(result, n_in=None):
    assert len(result.audio) == result.plan.out_samples == result.timemap.compressed_samples
    assert np.all(np.isfinite(result.audio))
    if n_in is not None:
        assert result.plan.num_samples == n_in


def test_flac_of_unknown_length_decodes_to_its_real_end(tmp_path):
    p = flac_with_total(tmp_path, 0)
    assert sf.info(p).frames > 1 << 40  # libsndfile reports no usable length
    assert sq.analyze(p, ENERGY).num_samples == len(clip())
    valid(sq.compress(p, 0.5, analyze_options=ENERGY), len(clip()))
    w = sq.compress_file(p, tmp_path / "o.flac", 0.5, analyze_options=ENERGY)
    assert sf.info(tmp_path / "o.flac").frames == w.plan.out_samples


def test_flac_claiming_2_36_samples_is_bounded(tmp_path):
    p = flac_with_total(tmp_path, (1 << 36) - 1)
    try:
        r = sq.compress(p, 0.5, analyze_options=ENERGY)
    except sq.AudiosqueezeError as e:
        assert "x.flac" in str(e)
    else:  # decoded by what is really there (PyAV reads past the bad header)
        valid(r, len(clip()))


#: Inputs FFmpeg would treat as playlists: each names another resource for it to open.
PLAYLISTS = {
    "ffconcat naming a file beside the process": b"ffconcat version 1.0\nfile here.wav\n",
    "SDP opening RTP sockets": (
        b"v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 40000 RTP/AVP 0\n"
    ),
}


@pytest.mark.parametrize("name", sorted(PLAYLISTS))
def test_playlist_bytes_open_nothing_else(tmp_path, monkeypatch, name):
    """Bytes (say, an upload) that FFmpeg reads as a playlist must not make it read a file by
    relative path (ffconcat decoded ``here.wav`` and returned it) or open sockets (SDP waited
    20 s on RTP); they are a DecodeError at once."""
    pytest.importorskip("av", reason="the [formats] extra is not installed")
    monkeypatch.chdir(tmp_path)
    sf.write(tmp_path / "here.wav", tone(1.0), SR)
    t0 = time.monotonic()
    with pytest.raises(sq.DecodeError):
        sq.load(PLAYLISTS[name])
    assert time.monotonic() - t0 < 5.0


@pytest.mark.parametrize("fmt", ["MP3", "OGG"])
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_compressed_files_write_what_their_plan_says(tmp_path, fmt, keep):
    src = tmp_path / f"in.{fmt.lower()}"
    sf.write(src, clip(), SR, format=fmt)
    raw = src.read_bytes()
    src.write_bytes(raw[: int(len(raw) * keep)])
    dst = tmp_path / "o.wav"
    try:
        w = sq.compress_file(src, dst, 1.0, analyze_options=ENERGY, timemap=tmp_path / "m.json")
    except sq.AudiosqueezeError:
        assert not dst.exists() and not (tmp_path / "m.json").exists()
        return
    frames = sf.info(dst).frames
    assert frames == w.plan.out_samples == w.timemap.compressed_samples
    assert sq.TimeMap.from_json((tmp_path / "m.json").read_text()).compressed_samples == frames


@pytest.mark.parametrize(
    ("kw", "error", "quote"),
    [
        ({"sample_rate": "abc"}, sq.InvalidSampleRateError, "'abc'"),
        ({"sample_rate": float("nan")}, sq.InvalidSampleRateError, "nan"),
        ({"sample_rate": float("inf")}, sq.InvalidSampleRateError, "inf"),
        ({"sample_rate": 22050.5}, sq.InvalidSampleRateError, "22050.5"),
        ({"sample_rate": True}, sq.InvalidSampleRateError, "True"),
        ({"sample_rate": 16000, "rate": "0.5"}, sq.OptionsError, "'0.5'"),
        ({"sample_rate": 16000, "target_reduction": "0.5"}, sq.OptionsError, "'0.5'"),
        ({"sample_rate": 16000, "target_reduction": 1.0}, sq.OptionsError, "target_reduction"),
        ({"sample_rate": 16000, "render_options": "fast"}, sq.OptionsError, "RenderOptions"),
    ],
)
def test_bad_options_fail_before_any_work(kw, error, quote, monkeypatch):
    import audiosqueeze.pipeline as pipeline

    monkeypatch.setattr(pipeline, "open_input", lambda *a, **k: pytest.fail("decoded first"))
    if "sample_rate" in kw and kw.get("rate") is None and "target_reduction" not in kw:
        monkeypatch.undo()  # sample rates are checked when the input is opened
    with pytest.raises(error, match=quote):
        sq.compress(clip(), **kw)


@pytest.mark.parametrize("value", [3e38, -1e10, 40.0])
def test_huge_samples_are_refused(value):
    x = clip()
    x[100] = value
    with pytest.raises(sq.InvalidAudioError, match="reach"):
        sq.compress(x, 0.5, sample_rate=SR, analyze_options=ENERGY)


def test_long_input_name_is_a_clear_error(tmp_path):
    with pytest.raises(sq.PathError, match="cannot open"):
        sq.compress(tmp_path / ("a" * 300 + ".flac"))


def test_long_output_names_up_to_the_limit_work(tmp_path):
    sf.write(tmp_path / "in.wav", clip(), SR)
    name = "b" * 245 + ".flac"  # 250 bytes: the temporary name must not be longer
    sq.compress_file(tmp_path / "in.wav", tmp_path / name, 0.5, analyze_options=ENERGY)
    assert (tmp_path / name).is_file()
    with pytest.raises(sq.PathError, match="limit"):
        sq.compress_file(tmp_path / "in.wav", tmp_path / ("c" * 300 + ".flac"), 0.5)


def test_non_utf8_names_work(tmp_path):
    src = os.fsdecode(bytes(tmp_path) + b"/in\xff.wav")
    with open(src, "wb") as f:
        sf.write(f, clip(), SR, format="WAV")
    dst = os.fsdecode(bytes(tmp_path) + b"/out\xfe.flac")
    sq.compress_file(src, dst, 0.5, analyze_options=ENERGY)
    assert os.path.isfile(dst)


@pytest.mark.parametrize(
    ("dst", "timemap", "quote"),
    [
        ("/proc/out.flac", None, "cannot write into"),
        ("{tmp}/nodir/out.flac", None, "does not exist"),
        ("{tmp}/out.flac", "{tmp}", "is a folder"),
        ("{tmp}", None, "is a folder"),
        ("", None, "empty"),
        ("{tmp}/out.mp4", None, "extension"),
        ("{tmp}/out.flac", "{tmp}/out.flac", "cannot both be"),
    ],
)
def test_output_problems_are_found_before_work(tmp_path, monkeypatch, dst, timemap, quote):
    import audiosqueeze.pipeline as pipeline

    sf.write(tmp_path / "in.wav", clip(), SR)
    before = sorted(os.listdir(tmp_path))
    monkeypatch.setattr(pipeline, "open_input", lambda *a, **k: pytest.fail("decoded first"))
    fill = lambda s: None if s is None else s.format(tmp=tmp_path)  # noqa: E731
    with pytest.raises(sq.AudiosqueezeError, match=quote):
        sq.compress_file(tmp_path / "in.wav", fill(dst), 0.5, timemap=fill(timemap))
    assert sorted(os.listdir(tmp_path)) == before


def test_timemap_failure_writes_neither(tmp_path, monkeypatch):
    sf.write(tmp_path / "in.wav", clip(), SR)
    import audiosqueeze.output as output

    real = output.os.replace
    calls = []

    def flaky(a, b):
        calls.append(b)
        if str(b).endswith(".flac"):
            raise OSError(28, "No space left on device")
        return real(a, b)

    monkeypatch.setattr(output.os, "replace", flaky)
    with pytest.raises(sq.PathError, match="No space"):
        sq.compress_file(
            tmp_path / "in.wav",
            tmp_path / "o.flac",
            0.5,
            analyze_options=ENERGY,
            timemap=tmp_path / "o.json",
        )
    assert sorted(os.listdir(tmp_path)) == ["in.wav"]


def test_outputs_follow_the_umask(tmp_path):
    sf.write(tmp_path / "in.wav", clip(), SR)
    old = os.umask(0o022)
    try:
        sq.compress_file(
            tmp_path / "in.wav",
            tmp_path / "o.flac",
            0.5,
            analyze_options=ENERGY,
            timemap=tmp_path / "o.json",
        )
    finally:
        os.umask(old)
    for name in ("o.flac", "o.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644


def test_fifo_is_read_like_a_pipe_and_devices_are_refused(tmp_path):
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    data = sq.encode(clip(), "wav")

    def writer():
        with open(fifo, "wb") as f:
            f.write(data)

    t = threading.Thread(target=writer)
    t.start()
    r = sq.compress(fifo, 0.5, analyze_options=ENERGY)
    t.join(5)
    valid(r, len(clip()))
    with pytest.raises(sq.PathError, match="not a regular file"):
        sq.compress("/dev/zero")


def test_cli_reads_stdin_and_writes_raw_pcm_to_stdout(tmp_path):
    data = sq.encode(clip(), "flac")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "audiosqueeze.cli",
            "compress",
            "-",
            "-o",
            "-",
            "--format",
            "raw",
            "--vad",
            "energy",
            "--rate",
            "1",
        ],
        input=data,
        capture_output=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr.decode()
    pcm = np.frombuffer(r.stdout, "<i2")
    ref = sq.compress(clip(), 1.0, sample_rate=SR, analyze_options=ENERGY)
    assert len(pcm) == len(ref.audio)
    assert np.abs(pcm / 32767 - ref.audio).max() < 2e-4


def test_cli_stdout_flac_and_stream_command(tmp_path):
    sf.write(tmp_path / "in.wav", clip(), SR)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "audiosqueeze.cli",
            "compress",
            str(tmp_path / "in.wav"),
            "-o",
            "-",
            "--vad",
            "energy",
        ],
        capture_output=True,
        timeout=60,
    )
    assert r.returncode == 0 and r.stdout[:4] == b"fLaC"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "audiosqueeze.cli",
            "stream",
            str(tmp_path / "in.wav"),
            "--fast",
            "--vad",
            "energy",
            "-o",
            str(tmp_path / "s.flac"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    import json

    rep = json.loads(r.stderr.strip().splitlines()[-1])
    assert rep["input_s"] == pytest.approx(5.0) and rep["latency_max_s"] >= rep["latency_p50_s"] > 0
    ref = sq.compress(clip(), 0.5, sample_rate=SR, analyze_options=ENERGY)
    assert sf.info(tmp_path / "s.flac").frames == len(ref.audio)


def test_cli_stream_reads_raw_pcm_on_stdin_and_writes_it_to_stdout():
    pcm_in = (np.clip(clip(), -1, 1) * 32767).astype("<i2")
    r = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-m", "audiosqueeze.cli", "stream",
         "-", "--input-rate", "16000", "--fast", "--vad", "energy", "-o", "-"],
        input=pcm_in.tobytes(),
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr.decode()
    out = np.frombuffer(r.stdout, "<i2")
    ref = sq.compress(pcm_in / np.float32(32768), 0.5, sample_rate=SR, analyze_options=ENERGY)
    assert len(out) == len(ref.audio) < len(pcm_in)
    assert np.abs(out / 32767 - ref.audio).max() < 2e-4


@pytest.mark.parametrize(
    ("args", "quote"),
    [
        (["compress", "{tmp}/in.wav", "-o", "/proc/x.flac"], "cannot write into"),
        (["compress", "{tmp}/in.wav", "-o", "{tmp}/o.flac", "--timemap", "{tmp}"], "is a folder"),
        (["compress", "{tmp}/in.wav", "-o", ""], "empty"),
        (["compress", "{tmp}/" + "d" * 300 + ".wav", "-o", "{tmp}/o.flac"], "cannot open"),
        (["compress", "/dev/zero", "-o", "{tmp}/o.flac"], "not a regular file"),
        (["compress", "{tmp}/in\udcff.wav", "-o", "{tmp}/o.flac"], "no such file"),
        (["compress", "-", "-", "-o", "{tmp}"], "only once"),
    ],
)
def test_cli_never_prints_a_traceback(tmp_path, capsys, monkeypatch, args, quote):
    monkeypatch.chdir(tmp_path)  # a bug that writes into the current folder writes here
    sf.write(tmp_path / "in.wav", clip(), SR)
    code = main([a.format(tmp=tmp_path) for a in args])
    err = capsys.readouterr().err
    assert code in (1, 2) and quote in err and "Traceback" not in err, err
    assert not (tmp_path / "o.flac").exists() and not (tmp_path / "in.flac").exists()


KILL_CHILD = r"""
import sys, numpy as np, audiosqueeze as sq
from audiosqueeze import output
real = output.Outputs.write
def slow(self, y):
    real(self, y)
    print("writing", flush=True)
    import time; time.sleep(30)
output.Outputs.write = slow
sq.compress_file(sys.argv[1], sys.argv[2], 0.5, timemap=sys.argv[3],
                 analyze_options=sq.AnalyzeOptions(vad="energy"))
"""


@pytest.mark.slow
def test_kill_9_leaves_nothing_and_the_next_run_cleans_up(tmp_path):
    x = np.concatenate([clip()] * 8)  # 40 s: several blocks
    sf.write(tmp_path / "in.wav", x, SR)
    out, tm = tmp_path / "out" / "o.flac", tmp_path / "out" / "o.json"
    out.parent.mkdir()
    p = subprocess.Popen(
        [sys.executable, "-c", KILL_CHILD, str(tmp_path / "in.wav"), str(out), str(tm)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert p.stdout.readline().strip() == "writing"  # mid-write
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    left = os.listdir(out.parent)
    assert "o.flac" not in left and "o.json" not in left  # no partial file at the destination
    assert left and all(n.startswith(".audiosqueeze-") for n in left)  # only hidden temp files
    time.sleep(0.1)
    sq.compress_file(tmp_path / "in.wav", out, 0.5, timemap=tm, analyze_options=ENERGY)
    assert sorted(os.listdir(out.parent)) == ["o.flac", "o.json"]  # debris removed


def unknown_length_flac(seconds: float) -> bytes:
    """A FLAC of silence whose header says nothing about its length (as written to a pipe):
    a few kilobytes that decode to ``seconds`` of audio."""
    b = io.BytesIO()
    sf.write(b, np.zeros(int(seconds * SR), np.float32), SR, format="FLAC")
    raw = bytearray(b.getvalue())
    raw[18:26] = (int.from_bytes(raw[18:26], "big") & ~((1 << 36) - 1)).to_bytes(8, "big")
    return bytes(raw)


def test_max_duration_stops_decoding_at_the_limit():
    """600 s hidden behind an unknown-length header: refused after about 10 s are decoded,
    never holding the 38 MB the whole would take."""
    import tracemalloc

    raw = unknown_length_flac(600.0)
    assert len(raw) < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(sq.AudioTooLongError, match="longer than the limit of 10 s"):
            sq.load(raw, max_duration_s=10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8e6, peak
    assert sq.load(unknown_length_flac(10.0), max_duration_s=10).num_samples == 10 * SR


@pytest.mark.parametrize("limit", [1.0, 2.5])
def test_max_duration_refuses_a_longer_header_before_decoding(tmp_path, limit, monkeypatch):
    p = tmp_path / "long.wav"
    sf.write(p, tone(3.0), SR)
    monkeypatch.setattr(sq.audio.Resampler, "push", lambda *a: pytest.fail("decoded"))
    with pytest.raises(sq.AudioTooLongError, match=r"audio of 3\.00 s is longer"):
        sq.load(p, max_duration_s=limit)
    with pytest.raises(sq.OptionsError, match="max_duration_s"):
        sq.load(p, max_duration_s=0)


def test_stream_command_max_segment_bounds_the_latency(tmp_path):
    t = np.arange(8 * SR) / SR  # 8 s of one unbroken voiced run: one 8-s segment by default
    x = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(
        np.float32
    )
    sf.write(tmp_path / "in.wav", x, SR)

    def worst(*extra):
        cmd = [sys.executable, "-m", "audiosqueeze.cli", "stream", str(tmp_path / "in.wav")]
        cmd += ["--fast", "--vad", "energy", "--json", *extra]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stderr.strip().splitlines()[-1])["latency_max_s"]

    assert worst("--max-segment-ms", "10000") > 6.0  # the first sample waits for the segment
    assert worst("--max-segment-ms", "1000") < 1.6  # a 1-s segment plus the look-ahead
    assert worst() < 0.7  # the default: 256-ms segments plus the look-ahead
    for bad in ("63", "nan", "inf", "ten"):  # a clear error naming the option, no traceback
        cmd = [sys.executable, "-m", "audiosqueeze.cli", "stream", str(tmp_path / "in.wav")]
        r = subprocess.run([*cmd, "--max-segment-ms", bad], capture_output=True, text=True)
        assert r.returncode in (1, 2) and "max" in r.stderr and "segment" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr


def test_stream_command_takes_raw_pcm_on_stdin_and_writes_raw_pcm():
    x = clip()
    pcm = (np.clip(x, -1, 1) * 32767).astype("<i2")
    r = subprocess.run(
        [sys.executable, "-m", "audiosqueeze.cli", "stream", "-", "--input-rate", "16000",
         "--fast", "--vad", "energy", "--rate", "1", "-o", "-"],
        input=pcm.tobytes(), capture_output=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr.decode()
    got = np.frombuffer(r.stdout, "<i2")
    ref = sq.compress(pcm.astype(np.float32) / 32768, 1.0, sample_rate=SR, analyze_options=ENERGY)
    assert len(got) == len(ref.audio) < len(x)
    assert "latency: speech p50" in r.stderr.decode()
