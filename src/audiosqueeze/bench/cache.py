"""The harness's transcript cache: a recogniser's transcript of some samples, kept on disk
under ``OUT/cache`` by a hash of the samples and the recogniser's config, so a rerun of
:func:`~audiosqueeze.bench.run.run_bench` only does new work.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..transcript import Transcript


class TranscriptCache:
    """Transcripts on disk, keyed by sha256 of the samples and the recogniser config."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def key(samples: np.ndarray, config: dict) -> str:
        h = hashlib.sha256(np.ascontiguousarray(samples, "<f4").tobytes())
        h.update(json.dumps(config, sort_keys=True).encode())
        return h.hexdigest()

    def get(self, key: str) -> tuple[Transcript, float] | None:
        """The transcript and its decoding seconds; ``None`` (a miss: decoded again, then
        replaced) where there is none or its file cannot be read as one (truncated, edited)."""
        p = self.folder / key[:2] / f"{key}.json"
        if not p.is_file():
            return None
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
            return Transcript.from_dict(d), float(d["seconds"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None

    def put(self, key: str, t: Transcript, seconds: float) -> None:
        p = self.folder / key[:2] / f"{key}.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(f".{os.getpid()}.tmp")  # workers may write the same key at once
        tmp.write_text(json.dumps({**t.to_dict(), "seconds": seconds}))
        tmp.replace(p)
