"""Helpers shared by the corpus tests: real clips copied into a folder, outputs read back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

from conftest import manifest

#: Bytes that are no audio format at all, saved under an audio name.
CORRUPT = bytes(range(256)) * 40


def pick_clips(shared_data: Path, n_libri: int = 3, n_cv: int = 3) -> list[dict]:
    """Real dev-split clips (LibriSpeech train-clean-5 and Common Voice), absolute paths added."""
    rows = manifest()
    picks = [r for r in rows if r["split"] == "train-clean-5"][:n_libri]
    picks += [r for r in rows if r["split"] == "cv-valid-dev"][:n_cv]
    return [{**r, "abs": str(shared_data / r["path"])} for r in picks]


def make_folder(folder: Path, clips: list[dict], corrupt: bool = True) -> Path:
    """A folder of copied clips (named by id) plus, if asked, one corrupted ``broken.flac``."""
    folder.mkdir(parents=True, exist_ok=True)
    for c in clips:
        shutil.copy(c["abs"], folder / f"{c['id']}.flac")
    if corrupt:
        (folder / "broken.flac").write_bytes(CORRUPT)
    return folder


def pcm(path: Path) -> np.ndarray:
    """The 16-bit samples of an audio file, for exact comparisons."""
    data, rate = sf.read(str(path), dtype="int16")
    assert rate == 16000
    return data


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def outputs(root: Path) -> dict[str, tuple[np.ndarray, str]]:
    """name -> (samples, time-map JSON text) of every compressed file under ``root``."""
    result = {}
    for audio in sorted((root / "audio").glob("*.flac")):
        tm = root / "timemaps" / f"{audio.stem}.timemap.json"
        result[audio.stem] = (pcm(audio), tm.read_text())
    return result


def assert_same_outputs(a: Path, b: Path) -> None:
    """Two output folders hold the same files with the same samples and time maps."""
    oa, ob = outputs(a), outputs(b)
    assert sorted(oa) == sorted(ob) and oa
    for name in oa:
        np.testing.assert_array_equal(oa[name][0], ob[name][0], err_msg=name)
        assert json.loads(oa[name][1]) == json.loads(ob[name][1]), name
