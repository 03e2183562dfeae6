"""Evaluation data: utterances with reference text, in fixed, documented splits.

Sources, each giving :class:`Utterance` objects:

- :func:`from_manifest`: ``manifest.jsonl`` of the project's data folder (``--data`` or
  ``$AUDIOSQUEEZE_DATA``); one JSON object per clip with ``path``, ``text``, ``dataset``,
  ``split``.
- :func:`from_librispeech`: a standard LibriSpeech directory (``*.trans.txt`` beside flacs).
- :func:`from_commonvoice`: a Common Voice directory (``<split>.tsv`` + ``clips/``).
- :func:`from_huggingface`: a Hugging Face ``datasets`` dataset, when installed and named.
- :mod:`audiosqueeze.datasets.nonspeech`: the non-speech clips of ``nonspeech/`` (empty
  references), with that set's own dev/test halves and categories.
- :mod:`audiosqueeze.datasets.longform`: long recordings with planted pauses and noise, and a
  harder set with 10-60 s stretches of real non-speech.

The splits are fixed so nobody tunes on what is published (:data:`SPLITS`): *dev* is
LibriSpeech train-clean-5, train-clean-100, dev-clean and Common Voice cv-valid-dev; *test* is
LibriSpeech test-other, test-clean and Common Voice cv-valid-test, validated.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import AudioFileNotFoundError, ManifestError, OptionsError

DATA_ENV = "AUDIOSQUEEZE_DATA"

#: split -> dataset -> the source subsets it is made of.
SPLITS: dict[str, dict[str, tuple[str, ...]]] = {
    "dev": {
        "librispeech": ("train-clean-5", "train-clean-100", "dev-clean"),
        "commonvoice": ("cv-valid-dev",),
    },
    "test": {
        "librispeech": ("test-other", "test-clean"),
        "commonvoice": ("cv-valid-test", "validated"),
    },
}


@dataclass(frozen=True)
class Gap:
    """A non-speech stretch planted in a long-form recording.

    ``start``/``end``: samples on the original timeline; ``word_index``: how many (normalised)
    reference words come before it; ``kind``: silence, noise, hum or babble (long-form set) or
    environmental, music, noise, silence (harder set); ``sources``: ids of the clips it is
    made of, where it is made of clips.
    """

    start: int
    end: int
    word_index: int
    kind: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Utterance:
    """One clip with its reference text. Audio comes from ``path`` or, for generated
    recordings, from ``samples`` (16 kHz mono float32)."""

    id: str
    text: str
    dataset: str
    subset: str
    path: Path | None = None
    duration_s: float | None = None
    samples: np.ndarray | None = field(default=None, repr=False, compare=False)
    gaps: tuple[Gap, ...] = ()
    parts: tuple[str, ...] = ()  #: ids of the clips a generated recording is made of
    #: normalised reference, where normalising ``text`` as a whole would differ from
    #: normalising its parts (the normaliser joins number words across clip boundaries)
    reference: str | None = None
    #: what kind of audio a non-speech clip holds (``music``, ``near_silence``, ...)
    category: str | None = None

    def load(self) -> np.ndarray:
        """16 kHz mono float32 samples."""
        if self.samples is not None:
            return self.samples
        from ..audio import load

        return load(self.path).samples


def data_root(data: str | os.PathLike | None = None) -> Path:
    """``data``, else ``$AUDIOSQUEEZE_DATA``; raises if neither names a folder."""
    value = data or os.environ.get(DATA_ENV)
    if not value:
        raise OptionsError(f"no data folder: pass --data DIR or set ${DATA_ENV}")
    root = Path(value)
    if not root.is_dir():
        raise AudioFileNotFoundError(f"data folder {str(root)!r} does not exist")
    return root


def from_manifest(
    root: str | os.PathLike, subsets: tuple[str, ...] | None = None
) -> list[Utterance]:
    """Clips of ``root/manifest.jsonl`` (only the ``subsets`` given, if any), in file order."""
    root = Path(root)
    manifest = root / "manifest.jsonl"
    if not manifest.is_file():
        raise AudioFileNotFoundError(f"no manifest.jsonl in {str(root)!r}")
    out = []
    for r in manifest_rows(manifest, ("id", "text", "dataset", "split", "path")):
        if subsets is not None and r["split"] not in subsets:
            continue
        out.append(
            Utterance(
                r["id"], r["text"], r["dataset"], r["split"], root / r["path"], r.get("duration_s")
            )
        )
    return out


def manifest_rows(path: Path, fields: tuple[str, ...]) -> list[dict]:
    """The JSON objects of a JSON-lines file, each with a string for every one of ``fields``
    (and ``duration_s``, if any, a number); :class:`ManifestError` naming the line else."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise ManifestError(f"{str(path)!r} is not UTF-8 text ({e})") from None
    rows = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except (ValueError, RecursionError) as e:
            raise ManifestError(f"{str(path)!r} line {n} is not JSON ({str(e)[:80]})") from None
        if not isinstance(r, dict):
            raise ManifestError(f"{str(path)!r} line {n} is not a JSON object: {line[:60]!r}")
        for name in fields:
            if not isinstance(r.get(name), str):
                got = repr(r[name])[:60] if name in r else "nothing"
                raise ManifestError(
                    f"{str(path)!r} line {n}: field {name!r} must be a string, got {got}"
                )
        d = r.get("duration_s")
        if d is not None and (isinstance(d, bool) or not isinstance(d, (int, float))):
            raise ManifestError(
                f"{str(path)!r} line {n}: field 'duration_s' must be a number, got {d!r:.60}"
            )
        rows.append(r)
    return rows


def from_librispeech(root: str | os.PathLike, subset: str | None = None) -> list[Utterance]:
    """Every utterance listed in a ``*.trans.txt`` under ``root`` (sorted by id). The subset
    name is ``subset`` or the first folder under ``root`` (``test-clean``, ...)."""
    root = Path(root)
    out = []
    for trans in sorted(root.rglob("*.trans.txt")):
        name = subset or (trans.relative_to(root).parts[0] if trans.parent != root else root.name)
        for line in trans.read_text(encoding="utf-8").splitlines():
            uid, _, text = line.strip().partition(" ")
            if not uid:
                continue
            audio = next(
                (p for p in (trans.parent / f"{uid}{e}" for e in (".flac", ".wav")) if p.is_file()),
                None,
            )
            if audio is not None:
                out.append(Utterance(uid, text, "librispeech", name, audio))
    return sorted(out, key=lambda u: u.id)


def from_commonvoice(root: str | os.PathLike, split: str = "test") -> list[Utterance]:
    """Clips of ``root/<split>.tsv`` (Common Voice columns ``path`` and ``sentence``) found
    under ``root/clips``."""
    root = Path(root)
    tsv = root / f"{split}.tsv"
    if not tsv.is_file():
        raise AudioFileNotFoundError(f"no {tsv.name} in {str(root)!r}")
    out = []
    with tsv.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            clip = root / "clips" / r["path"]
            if clip.is_file():
                out.append(
                    Utterance(Path(r["path"]).stem, r["sentence"], "commonvoice", split, clip)
                )
    return out


def from_huggingface(
    name: str,
    split: str = "test",
    config: str | None = None,
    *,
    limit: int | None = None,
    allow_download: bool = False,
) -> Iterator[Utterance]:
    """Utterances of a Hugging Face dataset (``datasets`` installed). Unless
    ``allow_download``, ``HF_DATASETS_OFFLINE`` and ``HF_HUB_OFFLINE`` default to 1 (a value the
    user set is kept), so only a local folder or the local cache is read. The text column is
    the first of ``text``, ``sentence``, ``transcription``, ``normalized_text``."""
    from ..audio import load
    from ..deps import require

    if not allow_download:
        os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    hf = require("datasets", "hf")
    ds = hf.load_dataset(name, config, split=split)
    for i, r in enumerate(ds):
        if limit is not None and i >= limit:
            return
        key = next(
            (k for k in ("text", "sentence", "transcription", "normalized_text") if k in r), None
        )
        if key is None:
            raise OptionsError(f"dataset {name!r} has no text column among {sorted(r)}")
        a = r["audio"]
        samples = load(np.asarray(a["array"], np.float32), sample_rate=a["sampling_rate"]).samples
        uid = str(r.get("id") or Path(a.get("path") or f"{i:06d}").stem)
        yield Utterance(uid, r[key], name, split, samples=samples, duration_s=len(samples) / 16000)


def split_utterances(root: str | os.PathLike, split: str, dataset: str) -> list[Utterance]:
    """The manifest's ``dataset`` utterances of ``split`` (``dev`` or ``test``)."""
    if split not in SPLITS:
        raise OptionsError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    if dataset not in SPLITS[split]:
        raise OptionsError(f"unknown dataset {dataset!r}; choose one of {', '.join(SPLITS[split])}")
    return [u for u in from_manifest(root, SPLITS[split][dataset]) if u.dataset == dataset]


def sample_split(
    root: str | os.PathLike,
    split: str,
    per_dataset: int,
    seed: int,
    datasets: tuple[str, ...] = ("librispeech", "commonvoice"),
) -> list[Utterance]:
    """``per_dataset`` utterances of each of ``datasets`` in ``split``, drawn with ``seed``
    (the same draw every time: the guard's labels and the dev benchmarks use it)."""
    import random

    out = []
    for ds in datasets:
        us = split_utterances(root, split, ds)
        random.Random(seed).shuffle(us)
        out += us[:per_dataset]
    return out


__all__ = [
    "DATA_ENV",
    "SPLITS",
    "Gap",
    "Utterance",
    "data_root",
    "from_commonvoice",
    "from_huggingface",
    "from_librispeech",
    "from_manifest",
    "sample_split",
    "split_utterances",
]
