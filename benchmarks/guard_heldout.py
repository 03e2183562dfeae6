"""Write a data folder of dev clips that the quality guard was **not** trained on, for WER runs
of the guard (``sq-guard-*``, ``sq-budget-*``): the first ``--take`` dev clips of each dataset,
in manifest order, leaving out the ``--per-dataset`` clips drawn with ``--seed`` that
``scripts/guard_labels.py`` labelled (70 and 9, as for the shipped guard). The output folder
gets a ``manifest.jsonl`` whose ``path`` fields point at the data folder's files (absolute
paths, nothing copied), which ``audiosqueeze bench --data`` reads:

    python benchmarks/guard_heldout.py --data ../shared/data --out .heldout
    audiosqueeze bench --data .heldout --split dev --datasets librispeech,commonvoice ...
"""

from __future__ import annotations

import argparse
import os

from speed_subset import write_manifest

from _script import run_script, whole
from audiosqueeze.datasets import data_root, manifest_rows, sample_split, split_utterances


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("AUDIOSQUEEZE_DATA", "../shared/data"))
    ap.add_argument("--out", required=True, help="folder to write manifest.jsonl into")
    ap.add_argument("--take", type=whole(1), default=100, help="held-out dev clips per dataset")
    ap.add_argument("--per-dataset", type=whole(1), default=70, help="as guard_labels.py was run")
    ap.add_argument("--seed", type=whole(0), default=9, help="as guard_labels.py was run")
    args = ap.parse_args()
    root = data_root(args.data).resolve()
    trained = {u.id for u in sample_split(root, "dev", args.per_dataset, args.seed)}
    dev = {u.id for ds in ("librispeech", "commonvoice") for u in split_utterances(root, "dev", ds)}
    fields = ("id", "path", "text", "dataset", "split")
    taken: dict[str, int] = {}
    rows = []
    for r in manifest_rows(root / "manifest.jsonl", fields):
        if r["id"] not in dev or r["id"] in trained or taken.get(r["dataset"], 0) >= args.take:
            continue
        taken[r["dataset"]] = taken.get(r["dataset"], 0) + 1
        rows.append({**r, "path": str(root / r["path"])})
    write_manifest(rows, args.out, "held-out dev clips")


if __name__ == "__main__":
    run_script(main)
