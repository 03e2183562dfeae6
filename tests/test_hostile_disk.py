"""A disk that fills up while the output is written: soundfile's C callback printed the
OSError as a traceback ('Exception ignored from cffi callback'), closing the half-written
temporary file raised again before it was removed, so a .part file as big as the disk's free
space stayed behind, and compress_file raised a bare OSError (or soundfile's AssertionError).
Now: one PathError naming the output, nothing printed, nothing left in the folder."""

from __future__ import annotations

import errno
import io
import os
import sys

import numpy as np
import pytest
import soundfile as sf

import audiosqueeze as sq
from audiosqueeze import output
from audiosqueeze.cli import main
from conftest import silence, tone

ENERGY = sq.AnalyzeOptions(vad="energy")


class _FullDisk(io.FileIO):
    """A file on a disk with ``room`` bytes free."""

    room = 0

    def write(self, b):
        if self.tell() + len(b) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(b)


@pytest.fixture
def rec(tmp_path):
    p = tmp_path / "talk.wav"
    sf.write(p, np.concatenate([tone(1.0), silence(2.0), tone(1.0)] * 3), 16000)
    return p


@pytest.fixture
def full_disk(monkeypatch):
    printed = []
    monkeypatch.setattr(sys, "unraisablehook", printed.append)

    def fill(room: int):
        _FullDisk.room = room
        fake = lambda path, mode: io.BufferedRandom(_FullDisk(path, "r+"))  # noqa: E731
        monkeypatch.setattr(output, "open", fake, raising=False)
        return printed

    return fill


@pytest.mark.parametrize("room", [0, 100, 5000])
@pytest.mark.parametrize("name", ["out.flac", "out.wav", "out.ogg"])
def test_compress_file_on_a_full_disk_is_a_path_error_and_leaves_nothing(
    rec, full_disk, name, room
):
    printed = full_disk(room)
    with pytest.raises(sq.PathError, match=f"cannot write '.*{name}': No space left"):
        sq.compress_file(rec, rec.parent / name, 1.0, timemap=rec.parent / "m.json",
                         analyze_options=ENERGY)  # fmt: skip
    assert sorted(p.name for p in rec.parent.iterdir()) == ["talk.wav"]
    assert not printed


def test_stream_on_a_full_disk_is_one_error_line(rec, full_disk, capsys, monkeypatch):
    printed = full_disk(5000)
    monkeypatch.chdir(rec.parent)
    assert main(["stream", "talk.wav", "-o", "out.flac", "--fast", "--vad", "energy"]) == 1
    err = capsys.readouterr().err
    assert err == "error: cannot write 'out.flac': No space left on device\n", err
    assert sorted(p.name for p in rec.parent.iterdir()) == ["talk.wav"]
    assert not printed


def test_a_text_output_on_a_full_disk_is_a_path_error_and_leaves_nothing(tmp_path, monkeypatch):
    # the time map of `-o -`, corpus manifests and summary.json: a bare OSError before
    def half_written(self, text, encoding=None):
        with open(self, "w", encoding=encoding) as f:
            f.write(text[: len(text) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output.Path, "write_text", half_written)
    with pytest.raises(sq.PathError, match="cannot write '.*map.json': No space left on device"):
        output.write_text_atomic(tmp_path / "map.json", '{"a": 1}')
    assert list(tmp_path.iterdir()) == []
