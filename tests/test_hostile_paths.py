"""Outputs that would replace what is being read: the recording itself (by name, through a
symlink, or as the folder's output of the same stem), or a later input of the same run. Each
once overwrote the user's input silently (exit 0); now it is one clear PathError / usage error
before any work, and the input is byte-for-byte what it was."""

import io
import os

import numpy as np
import pytest
import soundfile as sf

import audiosqueeze as sq
from audiosqueeze.cli import main
from conftest import silence, tone

SR = 16000
ENERGY = sq.AnalyzeOptions(vad="energy")


@pytest.fixture
def rec(tmp_path):
    p = tmp_path / "talk.wav"
    sf.write(p, np.concatenate([tone(1.0), silence(2.0), tone(1.0)]), SR)
    return p


@pytest.mark.parametrize(
    ("dst", "timemap", "quote"),
    [
        ("talk.wav", None, "output .*talk.wav' is the input"),
        ("./talk.wav", None, "is the input"),
        ("out.flac", "talk.wav", "time map .*talk.wav' is the input"),
        ("real.wav", None, "is the input"),  # the input is a symlink to real.wav
    ],
)
def test_compress_file_refuses_to_write_over_its_input(rec, dst, timemap, quote, monkeypatch):
    monkeypatch.chdir(rec.parent)
    src = rec
    if dst == "real.wav":
        os.rename(rec, "real.wav")
        os.symlink("real.wav", rec)
    before = (rec.parent / "real.wav" if dst == "real.wav" else rec).read_bytes()
    with pytest.raises(sq.PathError, match=quote):
        sq.compress_file(src, dst, 0.5, timemap=timemap, analyze_options=ENERGY)
    assert (rec.parent / "real.wav" if dst == "real.wav" else rec).read_bytes() == before
    assert not (rec.parent / "out.flac").exists()


def test_a_symlink_as_output_is_replaced_and_the_input_kept(rec):
    before = rec.read_bytes()
    link = rec.parent / "link.wav"
    link.symlink_to(rec)
    sq.compress_file(rec, link, 0.5, analyze_options=ENERGY)
    assert rec.read_bytes() == before and not link.is_symlink()


@pytest.mark.parametrize(
    ("args", "code", "quote"),
    [
        (["compress", "talk.wav", "-o", "talk.wav"], 1, "is the input"),
        (["compress", "talk.wav", "-o", ".", "--format", "wav"], 1, "is the input"),
        (["compress", "talk.wav", "-o", "o.flac", "--timemap", "talk.wav"], 1, "is the input"),
        (["compress", "talk.wav", "-o", "-", "--format", "raw", "--timemap", "talk.wav"], 1,
         "time map 'talk.wav' is the input"),
        (["stream", "talk.wav", "-o", "talk.wav", "--fast"], 1, "is the input"),
        # the first output (talk.flac) would replace the second input before it is read
        (["compress", "talk.wav", "talk.flac", "-o", "."], 1, "'talk.flac' is the input"),
        (["compress", "talk.wav", "talk.flac", "-o", "out", "--format", "ogg"], 2,
         "would both be written to 'out/talk.ogg'"),
    ],
)  # fmt: skip
def test_cli_never_writes_over_an_input(rec, args, code, quote, capsys, monkeypatch):
    import audiosqueeze.cli.compress as cli_compress

    monkeypatch.chdir(rec.parent)
    monkeypatch.setattr(cli_compress, "binary_stream", lambda name: io.BytesIO())
    sf.write("talk.flac", sf.read(rec)[0], SR)
    (rec.parent / "out").mkdir()
    before = {p: p.read_bytes() for p in (rec, rec.parent / "talk.flac")}
    got = main([*args, "--vad", "energy"])
    err = capsys.readouterr().err
    assert got == code and quote in err and "Traceback" not in err, err
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(p.name for p in rec.parent.iterdir()) == ["out", "talk.flac", "talk.wav"]
    assert not list((rec.parent / "out").iterdir())


def test_the_same_input_twice_is_still_fine(rec, capsys, monkeypatch):
    monkeypatch.chdir(rec.parent)
    (rec.parent / "out").mkdir()
    assert main(["compress", "talk.wav", "talk.wav", "-o", "out", "--vad", "energy"]) == 0
    assert [p.name for p in (rec.parent / "out").iterdir()] == ["talk.flac"]


@pytest.mark.parametrize(
    "args",
    [
        ["compress", "-", "-o", "talk.wav"],
        ["compress", "-", "-o", "o.flac", "--timemap", "talk.wav"],
        ["compress", "-", "-o", "-", "--format", "raw", "--timemap", "talk.wav"],
        ["stream", "-", "-o", "talk.wav", "--fast"],
        ["stream", "-", "-o", "talk.wav", "--fast", "--input-rate", "16000"],
    ],
)
def test_stdin_read_from_the_output_file_is_refused(rec, args, capsys, monkeypatch):
    """``audiosqueeze compress - -o talk.wav < talk.wav``: stdin is the recording, so writing
    the output there destroys it; it was written over (exit 0), now refused before any work."""
    import sys

    monkeypatch.chdir(rec.parent)
    before = rec.read_bytes()
    with open(rec, "rb") as f:
        monkeypatch.setattr(sys, "stdin", f)
        got = main([*args, "--vad", "energy"])
    err = capsys.readouterr().err
    assert got == 1 and "'talk.wav' is the input '" in err and "Traceback" not in err, err
    assert rec.read_bytes() == before
    assert sorted(p.name for p in rec.parent.iterdir()) == ["talk.wav"]


def test_compress_file_refuses_a_file_object_reading_the_output(rec):
    before = rec.read_bytes()
    with open(rec, "rb") as f, pytest.raises(sq.PathError, match="is the input"):
        sq.compress_file(f, rec, 0.5, analyze_options=ENERGY)
    assert rec.read_bytes() == before
    with open(rec, "rb") as f:  # another output is fine
        assert sq.compress_file(f, rec.with_suffix(".flac"), 0.5, analyze_options=ENERGY).path


@pytest.mark.parametrize("out", ["o.flac", "-"])
def test_timemap_dash_is_a_usage_error_not_a_file_named_dash(rec, out, capsys, monkeypatch):
    """``--timemap -`` wrote the time map into a file named '-' (exit 0), where ``-`` means
    stdout everywhere else; stdout already carries the table, the JSON or the audio."""
    import audiosqueeze.cli.compress as cli_compress

    monkeypatch.chdir(rec.parent)
    monkeypatch.setattr(cli_compress, "binary_stream", lambda name: io.BytesIO())
    assert main(["compress", "talk.wav", "-o", out, "--timemap", "-", "--vad", "energy"]) == 2
    assert "--timemap" in capsys.readouterr().err
    assert sorted(p.name for p in rec.parent.iterdir()) == ["talk.wav"]
