"""Known answers for the audio input/output modules (audio.py, decode.py, output.py): each test
plants a value whose right result is known and that a plausible slip in the code would change
(found by mutation testing). Every fixture is made here, in memory or in tmp_path."""

import dataclasses
import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import audiosqueeze as sq
from audiosqueeze.audio import encode
from audiosqueeze.errors import (
    AudioTooLongError,
    EmptyAudioError,
    InvalidAudioError,
    UnsupportedFormatError,
)

SR = 16000


def tone(seconds: float, rate: int = SR, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (amp * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def wav_bytes(x: np.ndarray, rate: int = SR, subtype: str = "PCM_16") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, rate, format="WAV", subtype=subtype)
    return buf.getvalue()


# --- audio.py ---------------------------------------------------------------------------------


def test_audio_is_a_read_only_value_compared_without_its_name():
    x = np.zeros(4, np.float32)
    a = sq.Audio(x, name="one.wav")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.sample_rate = 8000
    assert not a.samples.flags.writeable
    with pytest.raises(ValueError):
        a.samples[0] = 1.0
    assert a == sq.Audio(x, name="two.wav")  # the name is a label for messages only
    assert a != sq.Audio(x, sample_rate=8000)


@pytest.mark.parametrize(
    ("x", "quote"),
    [
        (np.zeros((3, 2), np.float32), r"shape \(3, 2\) dtype float32"),
        (np.zeros(3, np.float64), r"shape \(3,\) dtype float64"),
    ],
)
def test_audio_takes_only_1d_float32(x, quote):
    with pytest.raises(InvalidAudioError, match=quote):
        sq.Audio(x)


def test_samples_up_to_8_pass_untouched_and_beyond_are_refused_quoting_the_peak():
    ok = sq.load(np.array([8.0, -8.0, 0.25], np.float32), sample_rate=SR)
    assert ok.samples.tolist() == [8.0, -8.0, 0.25]
    with pytest.raises(InvalidAudioError, match=r"samples reach 8\.5; .*at most 8\)"):
        sq.load(np.array([0.0, -8.5, 1.0], np.float32), sample_rate=SR)


@pytest.mark.parametrize("index", [7, 88_000])  # 0.4375 ms; 5.5 s, in the second 4-s block
def test_the_first_bad_sample_is_placed_in_seconds(index):
    x = np.zeros(10 * SR, np.float32)
    x[index] = np.nan
    x[index + 3] = -np.inf
    want = f"2 samples are NaN or infinite (first at {index / SR:.3f} s)"
    assert want.endswith("0.000 s)" if index == 7 else "5.500 s)")
    with pytest.raises(InvalidAudioError, match=want.replace("(", r"\(").replace(")", r"\)")):
        sq.load(x, sample_rate=SR)


def test_load_of_an_audio_keeps_it_at_its_rate_and_resamples_it_to_another():
    a = sq.Audio(tone(1.0))
    assert sq.load(a) is a
    b = sq.load(a, target_rate=8000)
    assert (b.sample_rate, b.source_rate, b.num_samples) == (8000, SR, 8000)
    assert 0.28 < float(np.abs(b.samples[1000:-1000]).max()) < 0.32  # the tone, resampled


def test_max_duration_is_inclusive_and_counted_in_seconds_at_the_files_rate(tmp_path):
    p = tmp_path / "one.wav"
    sf.write(p, tone(1.0, 8000), 8000)  # 8000 frames in the header: 1.00 s
    assert sq.load(p, max_duration_s=1.0).num_samples == SR
    assert sq.load(p, max_duration_s=2.0).num_samples == SR
    with pytest.raises(AudioTooLongError, match=r"audio of 1\.00 s is longer .* 0\.999 s"):
        sq.load(p, max_duration_s=0.999)


def test_duration_of_an_audio_and_of_a_file_with_no_samples(tmp_path):
    assert sq.duration_s(sq.Audio(np.zeros(6000, np.float32), sample_rate=8000)) == 0.75
    p = tmp_path / "none.wav"
    p.write_bytes(wav_bytes(np.zeros(0, np.float32)))
    assert sf.info(p).frames == 0
    with pytest.raises(EmptyAudioError, match="zero samples"):  # as load says, not 0.0 s
        sq.duration_s(p)
    with pytest.raises(EmptyAudioError, match="zero samples"):
        sq.load(p)


@pytest.mark.parametrize("fmt", ["wav", "ogg"])
def test_encode_clips_to_plus_minus_one(fmt):
    x = 3.0 * tone(1.0, amp=1.0)  # a sine three times too loud: clipped, nearly a square wave
    y, rate = sf.read(io.BytesIO(encode(x, fmt)), dtype="float32")
    assert rate == SR and abs(len(y) - SR) < 1000
    assert 0.99 < float(np.abs(y).max()) < 1.3  # Vorbis overshoots a square a little, not to 3


def test_encode_refuses_two_channels_quoting_the_shape():
    with pytest.raises(InvalidAudioError, match=r"mono samples, got shape \(10, 2\)"):
        encode(np.zeros((10, 2), np.float32), "wav")


def test_encode_at_a_rate_the_format_cannot_hold_quotes_the_rate():
    with pytest.raises(UnsupportedFormatError, match="cannot encode opus at 44100 Hz") as info:
        encode(np.zeros(1600, np.float32), "opus", 44100)
    assert "0x" not in str(info.value)  # not a file object's address
    assert "Opus only supports sample rates" in str(info.value)  # libsndfile's reason


# --- decode.py --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
)
def test_integer_pcm_of_every_width_scales_to_minus_one_zero_and_almost_one(dtype):
    info = np.iinfo(dtype)
    mid = (int(info.max) + int(info.min) + 1) // 2  # 0 signed, 2**(bits-1) unsigned
    x = np.array([info.min, mid, info.max], dtype)
    got = sq.load(x, sample_rate=SR).samples
    assert got[0] == -1.0 and got[1] == 0.0
    assert got[2] == pytest.approx(1 - 2.0 / 2**info.bits, abs=1e-7)


def test_eight_channels_are_averaged_from_a_file_and_from_an_array(tmp_path):
    x = np.tile(np.arange(8, dtype=np.float32) / 10, (1600, 1))  # channel k holds k/10
    p = tmp_path / "eight.wav"
    sf.write(p, x, SR, subtype="FLOAT")
    by_ffmpeg = tmp_path / "eight.mkv"  # an FFmpeg extension: read through PyAV
    by_ffmpeg.write_bytes(p.read_bytes())
    for src, kw in ((p, {}), (by_ffmpeg, {}), (x, {"sample_rate": SR})):
        got = sq.load(src, **kw).samples
        assert len(got) == 1600 and np.allclose(got, 0.35, atol=1e-6)


@pytest.mark.parametrize(("shape", "quote"), [((10, 2, 2), r"\(10, 2, 2\)"), ((), r"\(\)")])
def test_a_stream_chunk_of_another_shape_is_refused_quoting_it(shape, quote):
    with pytest.raises(InvalidAudioError, match=f"expected shape .*got {quote}"):
        sq.Stream(0.5, sample_rate=SR).push(np.zeros(shape, np.float32))


def test_a_sample_rate_given_with_a_file_is_refused_not_ignored(tmp_path):
    raw = wav_bytes(tone(0.1))
    p = tmp_path / "t.wav"
    p.write_bytes(raw)
    for src in (raw, io.BytesIO(raw), p):
        with pytest.raises(sq.InvalidSampleRateError, match="sample_rate=8000 applies to arrays"):
            sq.load(src, sample_rate=8000)


def test_array_shape_errors_quote_the_whole_array_not_a_block():
    with pytest.raises(sq.TooManyChannelsError, match=r"shape \(70000, 9\)"):  # blocks: 64000
        sq.load(np.zeros((70000, 9), np.float32), sample_rate=SR)
    with pytest.raises(InvalidAudioError, match=r"expected shape .*got \(\)"):
        sq.load(np.array(0.5, np.float32), sample_rate=SR)  # a 0-d array


def test_path_problems_are_named_for_what_they_are(tmp_path, monkeypatch):
    import audiosqueeze.decode as decode

    with pytest.raises(sq.DecodeError, match="is a folder, not an audio file"):
        sq.load(tmp_path)
    with pytest.raises(sq.PathError, match=r"cannot open 'a\\x00b.wav': embedded null byte"):
        sq.load("a\0b.wav")
    p = tmp_path / "locked.wav"
    p.write_bytes(wav_bytes(tone(0.1)))

    def refuse(*a, **k):  # a file this user may not read (chmod does not stop root)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(decode, "open", refuse, raising=False)
    with pytest.raises(sq.PathError, match=r"cannot read '.*locked.wav': Permission denied$"):
        sq.load(p)


def test_a_file_object_up_to_the_byte_limit_is_read_and_one_byte_more_is_refused(monkeypatch):
    import audiosqueeze.decode as decode

    raw = wav_bytes(tone(0.1))
    monkeypatch.setattr(decode, "MAX_PIPE_BYTES", len(raw))
    assert sq.load(io.BytesIO(raw)).num_samples == 1600
    with pytest.raises(sq.DecodeError, match="more than 0 GiB from a pipe or file object"):
        sq.load(io.BytesIO(raw + b"\0"))


def test_a_file_object_that_fails_or_gives_text_is_a_clear_error():
    class Broken(io.RawIOBase):
        name = "tape.wav"

        def read(self, n=-1):
            raise OSError(5, "Input/output error")

    with pytest.raises(sq.PathError, match="cannot read tape.wav: Input/output error"):
        sq.load(Broken())
    with pytest.raises(InvalidAudioError, match="the file object gave str, not bytes"):
        sq.load(io.StringIO("RIFF...."))


def test_without_pyav_a_soundfile_format_gets_its_own_error_not_a_decode_error(
    tmp_path, without_pyav
):
    # before: libsndfile's answer was refused inside the try that sends a file libsndfile
    # cannot read on to PyAV, so without PyAV these were "not a readable audio file"
    nine = tmp_path / "nine.wav"
    sf.write(nine, np.zeros((1600, 9), np.float32), SR, subtype="FLOAT")
    with pytest.raises(sq.TooManyChannelsError, match="nine.wav: 9 channels; 1 to 8 are read"):
        sq.load(nine)
    slow = tmp_path / "slow.wav"
    sf.write(slow, np.zeros(100, np.float32), 500, subtype="FLOAT")
    with pytest.raises(sq.InvalidSampleRateError, match="sample rate of .*slow.wav.*500"):
        sq.load(slow)
    for n in (1, 8):  # one and eight channels are read by libsndfile alone
        p = tmp_path / f"c{n}.wav"
        sf.write(p, np.full((1600, n), 0.25, np.float32), SR, subtype="FLOAT")
        assert np.allclose(sq.load(p).samples, 0.25)


def test_without_pyav_an_ffmpeg_extension_names_itself_in_the_advice(tmp_path, without_pyav):
    p = tmp_path / "voice.m4a"
    p.write_bytes(b"\x00\x00\x00\x18ftypM4A " + b"\x00" * 64)
    with pytest.raises(sq.UnsupportedFormatError, match=r"voice.m4a: \.m4a audio needs FFmpeg"):
        sq.load(p)


# --- output.py --------------------------------------------------------------------------------


def test_save_with_a_rate_no_file_can_hold_is_an_error_and_leaves_nothing(tmp_path):
    # before: a bare TypeError / OverflowError from soundfile, and a .part file left behind
    x = np.zeros(100, np.float32)
    for rate in (10**12, "x", 16000.5, None, 0):
        with pytest.raises(sq.InvalidSampleRateError, match="sample_rate"):
            sq.save(tmp_path / "r.wav", x, sample_rate=rate)
    with pytest.raises(UnsupportedFormatError, match="cannot write opus at 44100 Hz: ") as info:
        sq.save(tmp_path / "r.opus", x, sample_rate=44100)
    assert "0x" not in str(info.value)
    assert list(tmp_path.iterdir()) == []
    p = sq.save(tmp_path / "r.wav", x, sample_rate=8000.0)  # a whole number of Hz
    assert p == tmp_path / "r.wav" and sf.info(p).samplerate == 8000


def test_a_failure_inside_outputs_enter_removes_its_temporary_files(tmp_path, monkeypatch):
    import audiosqueeze.output as output

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "_Sink", boom)
    with pytest.raises(KeyboardInterrupt):
        sq.save(tmp_path / "o.flac", np.zeros(10, np.float32))
    assert list(tmp_path.iterdir()) == []


def test_format_of_takes_the_given_format_else_the_extension_in_any_case():
    from audiosqueeze.output import format_of

    assert format_of(Path("a.wav"), "flac") == "flac"
    assert format_of(Path("a.OGG")) == "ogg"
    assert format_of(Path("a.opus")) == "opus"
    with pytest.raises(UnsupportedFormatError, match="got 'mp3'"):
        format_of(Path("a.flac"), "mp3")
    with pytest.raises(UnsupportedFormatError, match=r"extension '\.mp3'"):
        format_of(Path("a.mp3"))


def test_stale_temporary_files_of_dead_processes_only_are_removed(tmp_path):
    from audiosqueeze.output import _pid_alive, _Temp, clean_stale

    dead = int(Path("/proc/sys/kernel/pid_max").read_text())  # no process has this id
    assert _pid_alive(os.getpid()) and not _pid_alive(dead)
    names = [
        f".audiosqueeze-{dead}-0123abcd.part",  # a killed run's: removed
        f".audiosqueeze-{os.getpid()}-0123abcd.part",  # this process's own
        f".audiosqueeze-{os.getppid()}-0123abcd.part",  # a live process's
        f".audiosqueeze-{dead}-0123abc.part",  # not a name audiosqueeze gives
        "talk.flac",
    ]
    for n in names:
        (tmp_path / n).write_bytes(b"x")
    assert clean_stale(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[1:])
    t = _Temp(tmp_path / "out.flac")  # its own name is one clean_stale recognises
    assert t.path.parent == tmp_path
    assert re.fullmatch(rf"\.audiosqueeze-{os.getpid()}-[0-9a-f]{{8}}\.part", t.path.name)
    t.remove()
    assert not t.path.exists()


def test_check_destination_names_each_problem_before_writing(tmp_path):
    from audiosqueeze.output import check_destination

    assert check_destination(tmp_path / "o.flac") == tmp_path / "o.flac"
    assert check_destination(str(tmp_path / ("n" * 255))) == tmp_path / ("n" * 255)
    fifo = tmp_path / "pipe.flac"
    os.mkfifo(fifo)
    cases = [
        (3, "time map path must be a path, got 3"),
        ("", "time map path is empty"),
        (".", "time map path is empty"),
        (str(tmp_path / "a\0b.flac"), r"time map path '.*a\\x00b.flac' cannot be used"),
        (tmp_path / "no" / "o.flac", "time map folder '.*no' does not exist"),
        (tmp_path / ("n" * 256), "name is 256 bytes long, over this file system's limit of 255"),
        (fifo, "time map '.*pipe.flac' exists and is not a regular file"),
        (tmp_path, "is a folder; give a file name"),
        (f"{tmp_path}/no/", "time map folder '.*no/' does not exist"),  # not "extension ''"
        (f"{tmp_path}/", "time map '.*/' is a folder; give a file name"),
    ]
    for path, quote in cases:
        with pytest.raises(sq.PathError, match=quote):
            check_destination(path, "time map")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.flac"]


def damaged_flac(at: float) -> bytes:
    """12 s of noisy tone as FLAC, with 2000 random bytes at fraction ``at`` of the file."""
    rng = np.random.default_rng(0)
    x = tone(12.0) + rng.normal(0, 0.05, 12 * SR).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, x, SR, format="FLAC")
    raw = bytearray(buf.getvalue())
    i = int(len(raw) * at)
    raw[i : i + 2000] = rng.bytes(2000)
    return bytes(raw)


def test_a_flac_damaged_midway_is_an_error_saying_how_far_it_decoded():
    with pytest.raises(sq.DecodeError, match=r"corrupt audio after (\d+\.\d\d) s \(") as info:
        sq.load(damaged_flac(0.5))  # the damage is about 6 s in
    assert 0 < float(re.search(r"after (\S+) s", str(info.value)).group(1)) <= 6.0
    assert "lost sync" in str(info.value)
    with pytest.raises(sq.DecodeError, match=r"<bytes>: not a readable audio file \(.*lost sync"):
        sq.load(damaged_flac(0.05))  # damaged in the first block: nothing decoded yet


def test_a_container_without_audio_says_so():
    av = pytest.importorskip("av", reason="PyAV ([formats] extra) not installed")
    buf = io.BytesIO()
    with av.open(buf, "w", format="matroska") as c:  # one 16x16 video frame, no audio
        s = c.add_stream("mjpeg", rate=1)
        s.width = s.height = 16
        s.pix_fmt = "yuvj420p"
        frame = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
        for pkt in [*s.encode(frame), *s.encode(None)]:
            c.mux(pkt)
    with pytest.raises(sq.DecodeError, match=r"^<bytes>: the file has no audio stream$"):
        sq.load(buf.getvalue())


def test_an_m4a_header_longer_than_the_limit_is_refused_before_decoding(tmp_path):
    av = pytest.importorskip("av", reason="PyAV ([formats] extra) not installed")
    p = tmp_path / "t.m4a"
    with av.open(str(p), "w") as c:
        s = c.add_stream("aac", rate=SR, layout="mono")
        frame = av.AudioFrame.from_ndarray(tone(2.0)[None, :], format="flt", layout="mono")
        frame.rate = SR
        for pkt in [*s.encode(frame), *s.encode(None)]:
            c.mux(pkt)
    with pytest.raises(AudioTooLongError, match=r"audio of 2\.\d\d s is longer .* 1\.5 s"):
        sq.load(p, max_duration_s=1.5)
    assert 1.95 < sq.load(p, max_duration_s=2.5).duration_s < 2.15


def test_outputs_clip_what_they_write_and_want_the_time_map_they_were_promised(tmp_path):
    p = sq.save(tmp_path / "loud.ogg", 3.0 * tone(1.0, amp=1.0))  # Vorbis would keep the 3
    y, _ = sf.read(p, dtype="float32")
    assert 0.99 < float(np.abs(y).max()) < 1.3
    with sq.output.Outputs(tmp_path / "a.flac", tmp_path / "a.json") as out:
        out.write(np.zeros(1600, np.float32))
        with pytest.raises(sq.OptionsError, match="a time map path was given but no time map"):
            out.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loud.ogg"]


def test_write_text_atomic_returns_the_path_and_an_interrupt_leaves_nothing(tmp_path, monkeypatch):
    from audiosqueeze.output import write_text_atomic

    assert write_text_atomic(tmp_path / "r.json", '{"a": 1}') == tmp_path / "r.json"
    assert (tmp_path / "r.json").read_text() == '{"a": 1}'

    def interrupted(self, *a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(tmp_path / "r.json", "new")
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_save_refuses_a_stereo_array_rather_than_writing_it_interleaved(tmp_path):
    # before: reshape(-1) wrote (n, 2) as 2n mono samples, L R L R..., twice as long
    with pytest.raises(InvalidAudioError, match=r"save takes mono samples, got shape \(100, 2\)"):
        sq.save(tmp_path / "st.wav", np.zeros((100, 2), np.float32))
    assert list(tmp_path.iterdir()) == []


def test_a_flac_header_claiming_more_samples_than_the_file_can_hold_is_not_believed(tmp_path):
    # before: a 132-byte FLAC of 1 s whose STREAMINFO claims 2**36 - 1 samples was 49.7 days
    # long to duration_s (and so to the token counts), while load gave its 16,000 samples
    buf = io.BytesIO()
    sf.write(buf, tone(1.0), SR, format="FLAC")
    data = bytearray(buf.getvalue())
    info = int.from_bytes(data[8:42], "big")  # STREAMINFO; total samples: 36 bits at bit 108
    shift = 34 * 8 - 108 - 36
    data[8:42] = (info | (((1 << 36) - 1) << shift)).to_bytes(34, "big")
    liar = tmp_path / "liar.flac"
    liar.write_bytes(bytes(data))
    assert sf.info(liar).frames == (1 << 36) - 1
    assert sq.duration_s(liar) == 1.0 == len(sq.load(liar).samples) / SR
    honest = tmp_path / "honest.flac"
    honest.write_bytes(buf.getvalue())
    assert sq.duration_s(honest) == 1.0
    # nor by the early max_duration_s refusal (before: "audio of 4294967.30 s is longer")
    assert len(sq.load(liar, max_duration_s=2).samples) == SR
    assert len(sq.load(bytes(data), max_duration_s=2).samples) == SR
    with pytest.raises(sq.AudioTooLongError, match=r"liar\.flac: audio is longer than .* 0\.5 s"):
        sq.load(liar, max_duration_s=0.5)  # refused while decoding, by what is really there
    # an honest header is still refused before any decoding
    with pytest.raises(sq.AudioTooLongError, match=r"audio of 1\.00 s is longer than .* 0\.5 s"):
        sq.load(honest, max_duration_s=0.5)


@pytest.mark.parametrize("fmt", ["flac", "wav", "ogg", "opus"])
def test_zero_samples_are_refused_not_written_as_a_file_nothing_reads_back(tmp_path, fmt):
    # before: save wrote a 0-byte .flac and an .opus that load called corrupt
    with pytest.raises(sq.EmptyAudioError, match=rf"z\.{fmt}'?: zero samples"):
        sq.save(tmp_path / f"z.{fmt}", np.zeros(0, np.float32))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(sq.EmptyAudioError, match="got zero"):
        encode(np.zeros(0, np.float32), fmt)
    one = sq.save(tmp_path / f"one.{fmt}", np.full(1, 0.5, np.float32))  # one sample is enough
    assert one.stat().st_size > 0 and len(encode(np.full(1, 0.5, np.float32), fmt)) > 0


@pytest.mark.parametrize("dtype", ["int64", "uint64"])
def test_64_bit_pcm_holding_16_bit_values_is_refused_not_heard_as_silence(dtype):
    """``np.array(list_of_ints)`` is int64: 16-bit PCM in it, scaled by the 64-bit range, was
    -150 dBFS, so compress() answered 'no speech' and 100 ms of silence without a word."""
    pcm = (tone(1.0) * 32767).astype(np.int16).astype(dtype)  # what np.array(list) gives
    if dtype == "uint64":
        pcm = (tone(1.0) * 32767 + 32768).astype(np.uint16).astype(dtype)
    for call in (
        lambda: sq.compress(pcm, sample_rate=SR),
        lambda: sq.Stream(0.5, sample_rate=SR).push(pcm[:3200]),
    ):
        with pytest.raises(InvalidAudioError, match=rf"{dtype} samples reach only .*astype"):
            call()
    wide = (tone(1.0) * 32767).astype(np.int16).astype(np.int64) << 48  # at its own scale
    assert np.allclose(sq.load(wide, sample_rate=SR).samples, tone(1.0), atol=1e-4)
    assert not sq.load(np.zeros(1600, np.int64), sample_rate=SR).samples.any()  # silence is fine


def test_an_unknown_extension_names_both_ways_to_give_the_format(tmp_path):
    """The message reaches Python callers and the command line alike: it names format= and
    --format (it once said only format=, a keyword a CLI user cannot pass)."""
    from audiosqueeze.errors import UnsupportedFormatError
    from audiosqueeze.output import format_of

    with pytest.raises(UnsupportedFormatError) as e:
        format_of(tmp_path / "x.xyz")
    msg = str(e.value)
    assert "extension '.xyz' is not one of .flac, .wav, .ogg, .opus" in msg
    assert "format= in Python" in msg and "--format in the command line" in msg
    assert format_of(tmp_path / "x.xyz", "wav") == "wav"
