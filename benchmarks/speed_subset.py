"""Write the 379-clip, 40.6-minute subset that every speed table since stop 17 calls SUBSET.

It is LibriSpeech test-other + test-clean + the first 60 train-clean-5 clips and Common Voice
cv-valid-test + validated + the first 60 cv-valid-dev clips, in manifest order: the test
clips the WER tables use, plus some dev clips of each dataset. The output folder gets a
``manifest.jsonl`` whose ``path`` fields point at the data folder's files (absolute paths, so
nothing is copied), which every benchmark's ``--data`` reads:

    python benchmarks/speed_subset.py --data ../shared/data --out .benchdata
    taskset -c 1 python benchmarks/reduction.py --data .benchdata --vads silero
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from _script import run_script
from audiosqueeze.datasets import data_root, manifest_rows

#: (dataset, split) -> how many clips, in manifest order (None: all of them)
PARTS = {
    ("librispeech", "test-other"): None,
    ("librispeech", "test-clean"): None,
    ("librispeech", "train-clean-5"): 60,
    ("commonvoice", "cv-valid-test"): None,
    ("commonvoice", "validated"): None,
    ("commonvoice", "cv-valid-dev"): 60,
}


def subset(rows: list[dict]) -> list[dict]:
    """The rows of ``PARTS``, in the order the manifest has them."""
    taken: dict[tuple[str, str], int] = {}
    out = []
    for r in rows:
        part = (r["dataset"], r["split"])
        if part not in PARTS or taken.get(part, 0) == PARTS[part]:
            continue
        taken[part] = taken.get(part, 0) + 1
        out.append(r)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("AUDIOSQUEEZE_DATA", "../shared/data"))
    ap.add_argument("--out", required=True, help="folder to write manifest.jsonl into")
    args = ap.parse_args()
    root = data_root(args.data).resolve()
    fields = ("id", "path", "text", "dataset", "split")
    rows = subset(manifest_rows(root / "manifest.jsonl", fields))
    write_manifest([{**r, "path": str(root / r["path"])} for r in rows], args.out, "clips")


def write_manifest(rows: list[dict], out: str, what: str) -> None:
    """``rows`` as ``OUT/manifest.jsonl`` (``--data`` for every benchmark), and one line."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    minutes = sum(float(r.get("duration_s") or 0.0) for r in rows) / 60
    print(f"{len(rows)} {what}, {minutes:.1f} min -> {folder / 'manifest.jsonl'}")


if __name__ == "__main__":
    run_script(main)
