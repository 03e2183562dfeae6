import io
import re

import numpy as np
import pytest
import soundfile as sf

import audiosqueeze as sq
from audiosqueeze.errors import (
    AudioFileNotFoundError,
    DecodeError,
    EmptyAudioError,
    InvalidAudioError,
    InvalidSampleRateError,
    TooManyChannelsError,
    UnsupportedFormatError,
)


def write(path, data, sr, **kw):
    sf.write(path, data, sr, **kw)
    return path


def test_load_resamples_and_downmixes(tmp_path):
    stereo = np.stack([np.full(44100, 0.5), np.full(44100, -0.1)], axis=1).astype(np.float32)
    a = sq.load(write(tmp_path / "s.wav", stereo, 44100, subtype="FLOAT"))
    assert a.sample_rate == 16000 and a.source_rate == 44100
    assert a.num_samples == 16000
    assert a.samples.dtype == np.float32 and a.samples.ndim == 1
    assert np.allclose(a.samples[2000:-2000], 0.2, atol=1e-3)  # the mean of the two channels


@pytest.mark.parametrize("kind", ["path", "bytes", "fileobj", "array", "audio"])
def test_load_sources_agree(tmp_path, kind):
    x = (0.1 * np.sin(np.arange(16000) / 7)).astype(np.float32)
    p = write(tmp_path / "t.flac", x, 16000)
    src = {
        "path": p,
        "bytes": p.read_bytes(),
        "fileobj": io.BytesIO(p.read_bytes()),
        "array": x,
        "audio": sq.Audio(x),
    }[kind]
    a = sq.load(src, sample_rate=16000 if kind == "array" else None)
    assert np.allclose(a.samples, x, atol=1e-4)  # FLAC is 16-bit


def test_int16_array_scaled():
    a = sq.load(np.array([0, 16384, -32768], np.int16), sample_rate=16000)
    assert a.samples.tolist() == [0.0, 0.5, -1.0]


def test_mp3_via_soundfile(tmp_path):
    x = (0.2 * np.sin(np.arange(32000) / 9)).astype(np.float32)
    p = tmp_path / "t.mp3"
    try:
        sf.write(p, x, 16000, format="MP3")
    except (sf.LibsndfileError, TypeError, ValueError):
        pytest.skip("this libsndfile cannot write MP3")
    assert abs(sq.load(p).duration_s - 2.0) < 0.1


def test_m4a_via_pyav(tmp_path):
    av = pytest.importorskip("av", reason="PyAV ([formats] extra) not installed")
    p = tmp_path / "t.m4a"
    with av.open(str(p), "w") as c:
        s = c.add_stream("aac", rate=16000, layout="mono")
        x = (0.2 * np.sin(np.arange(32000) / 9)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(x[None, :], format="flt", layout="mono")
        frame.rate = 16000
        for pkt in s.encode(frame):
            c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)
    a = sq.load(p)
    assert abs(a.duration_s - 2.0) < 0.15


# (make the bad input, expected error, text the message must quote)
BAD = [
    ("missing", AudioFileNotFoundError, "nope.wav"),
    ("zero_bytes", EmptyAudioError, "0 bytes"),
    ("zero_length", EmptyAudioError, "zero samples"),
    ("not_audio", DecodeError, "not a readable audio file"),
    ("corrupt_flac", DecodeError, "not a readable audio file"),
    ("four_bytes_flac", DecodeError, "not a readable audio file"),  # FFmpeg said rate 0
    ("random_flac", DecodeError, "not a readable audio file"),
    ("nan", InvalidAudioError, "NaN or infinite"),
    ("absurd_rate", InvalidSampleRateError, "500"),
    ("nine_channels", TooManyChannelsError, "9 channels"),
]


def make_bad(kind, tmp_path):
    p = tmp_path / "nope.wav"
    if kind == "zero_bytes":
        p.write_bytes(b"")
    elif kind == "zero_length":
        write(p, np.zeros((0,), np.float32), 16000)
    elif kind == "not_audio":
        p.write_text("this is not audio\n" * 10)
    elif kind == "corrupt_flac":
        good = tmp_path / "g.flac"
        write(good, np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32), 16000)
        raw = bytearray(good.read_bytes())
        raw[:4] = b"XXXX"
        p = tmp_path / "nope.flac"
        p.write_bytes(bytes(raw))
    elif kind in ("four_bytes_flac", "random_flac"):
        p = tmp_path / "nope.flac"
        junk = np.random.default_rng(0).bytes(3000)
        p.write_bytes(b"junk" if kind == "four_bytes_flac" else junk)
    elif kind == "nan":
        x = np.zeros(1600, np.float32)
        x[5] = np.nan
        write(p, x, 16000, subtype="FLOAT")
    elif kind == "absurd_rate":
        write(p, np.zeros(100, np.float32), 500, subtype="FLOAT")
    elif kind == "nine_channels":
        write(p, np.zeros((1600, 9), np.float32), 16000, subtype="FLOAT")
    return p


@pytest.mark.parametrize(("kind", "error", "quote"), BAD)
def test_bad_input_errors_and_leaves_no_output(tmp_path, kind, error, quote):
    p = make_bad(kind, tmp_path)
    out = tmp_path / "out.flac"
    with pytest.raises(error, match=quote) as info:
        sq.compress(p, rate=0.5, analyze_options=sq.AnalyzeOptions(vad="energy")).save(out)
    assert isinstance(info.value, sq.AudiosqueezeError)
    assert not out.exists()
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".")]


@pytest.mark.parametrize("kind", ["not_audio", "corrupt_flac", "random_flac"])
def test_a_decoders_complaint_is_quoted_without_its_file_objects_address(tmp_path, kind):
    # before: "(Error opening <_io.BytesIO object at 0x7f...>: Format not recognised.;
    # [Errno 1094995529] Invalid data found when processing input: '<none>')"
    data = make_bad(kind, tmp_path).read_bytes()
    for src in (io.BytesIO(data), data):
        with pytest.raises(DecodeError, match="not a readable audio file") as info:
            sq.load(src)
        message = str(info.value)
        assert "0x" not in message and "Errno" not in message and "<none>" not in message
        assert re.search(r"\((Format not recognised|Error in|File contains|Unspecified)", message)


def test_unsupported_format_without_pyav(tmp_path, without_pyav):
    p = tmp_path / "voice.m4a"
    p.write_bytes(b"\x00\x00\x00\x18ftypM4A " + b"\x00" * 64)
    with pytest.raises(UnsupportedFormatError, match=r"audiosqueeze\[formats\]"):
        sq.load(p)


@pytest.mark.parametrize(
    ("array", "rate", "error", "quote"),
    [
        (np.zeros(10, np.float32), None, InvalidSampleRateError, "needs sample_rate"),
        (np.zeros(10, np.float32), 10_000_000, InvalidSampleRateError, "10000000"),
        (
            np.zeros((2, 16000), np.float32).T.copy().T,
            16000,
            TooManyChannelsError,
            "16000 channels",
        ),
        (np.array([1, np.inf], np.float32), 16000, InvalidAudioError, "infinite"),
        (np.zeros(0, np.float32), 16000, EmptyAudioError, "zero samples"),
        (np.zeros((2, 2, 2), np.float32), 16000, InvalidAudioError, r"\(2, 2, 2\)"),
        (np.array(["a"]), 16000, InvalidAudioError, "dtype"),
    ],
)
def test_bad_arrays(array, rate, error, quote):
    with pytest.raises(error, match=quote):
        sq.load(array, sample_rate=rate)


def test_save_is_atomic_on_failure(tmp_path, monkeypatch):
    out = tmp_path / "o.flac"
    out.write_bytes(b"previous")
    import soundfile

    def boom(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(soundfile.SoundFile, "write", boom)
    with pytest.raises(KeyboardInterrupt):
        sq.save(out, np.zeros(100, np.float32))
    assert out.read_bytes() == b"previous"
    assert [f.name for f in tmp_path.iterdir()] == ["o.flac"]


def test_save_rejects_unknown_extension(tmp_path):
    with pytest.raises(UnsupportedFormatError, match=r"\.xyz"):
        sq.save(tmp_path / "o.xyz", np.zeros(10, np.float32))
    assert not list(tmp_path.iterdir())


def test_duration_from_header_without_decoding(tmp_path, monkeypatch):
    p = write(tmp_path / "d.flac", np.zeros(24000, np.float32), 16000)
    monkeypatch.setattr(sq.audio, "open_input", lambda *a, **k: pytest.fail("decoded the file"))
    assert sq.duration_s(p) == 1.5
    assert sq.tokens(p, "gemini") == 48


def test_duration_of_bad_file_is_a_clear_error(tmp_path):
    p = tmp_path / "bad.wav"
    p.write_text("not audio")
    with pytest.raises(DecodeError, match="bad.wav"):
        sq.duration_s(p)


@pytest.mark.parametrize("first, then", [(1, 2), (2, 1)])
def test_pyav_stream_that_changes_channels_midway_decodes_whole(tmp_path, first, then):
    # two MP3 streams back to back, mono and stereo: FFmpeg hands over frames whose layout
    # changes halfway (damaged files do it too); both halves must come out, down-mixed
    pytest.importorskip("av", reason="PyAV ([formats] extra) not installed")
    t = np.arange(2 * 16000) / 16000
    x = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    raw = b""
    for ch in (first, then):
        buf = io.BytesIO()
        sf.write(buf, np.stack([x] * ch, 1), 16000, format="MP3", subtype="MPEG_LAYER_III")
        raw += buf.getvalue()
    p = tmp_path / "mix.aac"  # an FFmpeg extension: decoded through PyAV
    p.write_bytes(raw)
    a = sq.load(p)
    assert 3.9 < a.duration_s < 4.3  # both halves (the MP3 encoder adds padding)
    assert 0.15 < float(np.abs(a.samples[-16000:-4000]).mean()) < 0.25  # the tone, not silence
