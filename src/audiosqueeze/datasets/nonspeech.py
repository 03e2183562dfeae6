"""Real audio with no speech in it: how often does a recogniser invent words?

The data folder's ``nonspeech/`` holds clips of stationary noise, environmental sounds,
instrumental music and near-silence (room tone), each with an empty reference, listed in its
own ``nonspeech/manifest.jsonl`` (not in the top-level speech manifest). That manifest splits
the clips by source recording into a **dev** half (to tune on) and a **test** half (to publish);
:func:`from_nonspeech` reads one half, or both.

Every word a recogniser writes on these clips is an invented one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import AudioFileNotFoundError, ManifestError, OptionsError
from . import Utterance, manifest_rows

#: The folder under the data folder, and the clip categories its manifest uses.
FOLDER = "nonspeech"
CATEGORIES = ("stationary_noise", "environmental", "music", "near_silence")
NONSPEECH_SPLITS = ("dev", "test")


def nonspeech_folder(root: str | os.PathLike) -> Path:
    """``root/nonspeech`` (or ``root`` itself when it is that folder)."""
    root = Path(root)
    for cand in (root / FOLDER, root):
        if (cand / "manifest.jsonl").is_file() and _is_nonspeech(cand / "manifest.jsonl"):
            return cand
    raise AudioFileNotFoundError(
        f"no non-speech set in {str(root)!r}: expected {FOLDER}/manifest.jsonl"
    )


def _is_nonspeech(manifest: Path) -> bool:
    try:
        with manifest.open("rb") as f:  # only the first line is judged here
            first = next((line for line in f if line.strip()), b"")
        row = json.loads(first.decode("utf-8")) if first else None
    except (ValueError, RecursionError):  # not UTF-8 or not JSON: not the non-speech set
        return False
    return isinstance(row, dict) and row.get("dataset") == "nonspeech"


def from_nonspeech(
    root: str | os.PathLike,
    split: str | None = None,
    categories: tuple[str, ...] | None = None,
) -> list[Utterance]:
    """Clips of the non-speech set under the data folder ``root``, in manifest order.

    ``split``: ``"dev"``, ``"test"`` or None for both; ``categories``: keep only these.
    Each :class:`Utterance` has ``text=""``, ``dataset="nonspeech"``, ``subset`` = the half
    and ``category`` = the clip's category.
    """
    if split is not None and split not in NONSPEECH_SPLITS:
        raise OptionsError(f"unknown split {split!r}; choose one of {', '.join(NONSPEECH_SPLITS)}")
    bad = [c for c in categories or () if c not in CATEGORIES]
    if bad:
        raise OptionsError(f"unknown category {bad[0]!r}; choose from {', '.join(CATEGORIES)}")
    folder = nonspeech_folder(root)
    out = []
    for r in manifest_rows(folder / "manifest.jsonl", ("id", "path", "category", "split")):
        uid, path, cat, half = r["id"], r["path"], r["category"], r["split"]
        if r.get("text", ""):
            raise ManifestError(
                f"non-speech clip {uid!r} has a non-empty reference {str(r['text'])[:60]!r}"
            )
        if (split is not None and half != split) or (categories and cat not in categories):
            continue
        out.append(
            Utterance(uid, "", "nonspeech", half, folder / path, r.get("duration_s"), category=cat)
        )
    return out


__all__ = ["CATEGORIES", "FOLDER", "NONSPEECH_SPLITS", "from_nonspeech", "nonspeech_folder"]
