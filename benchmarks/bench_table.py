"""A compact table from ``audiosqueeze bench`` rows, with methods renamed where a run's
method meant something else at the commit that made it (the dev tuning runs).

    python benchmarks/bench_table.py docs/results/dev-tuning/tiny1.jsonl.gz \\
        --rename sq-0.5=guard-lr-0.5 --rename sq-1.0=guard-lr-1.0

Per dataset and recogniser, over the utterances that have a row for every method: token
reduction (Gemini), WER before and after, ΔWER in points with its paired bootstrap 95 % CI.
``--pool`` puts every dataset's utterances in one table per recogniser. ``--by-utterance``
adds each utterance's substitutions / deletions / insertions per method
(for forensics: which recordings the errors come from). ``--exclude RUN`` leaves out the
utterances that have a row with the same recogniser in RUN (dev clips an earlier run already
read, so that a decision rests on new clips only; as in ``compare_runs.py``).

``--dither-mean`` adds ``METHOD@dmean`` for every method run at several dithers (``METHOD@d1``,
``METHOD@d2``, ...): per utterance, the mean of its word counts over those dithers. With
``--base none@dmean`` ΔWER is taken against the original's mean over the same dithers, so a
comparison of settings does not hang on one decoding of one recording:

    python benchmarks/bench_table.py RUN --dither-mean --base none@dmean
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from _script import run_script, whole
from audiosqueeze import evaluate as ev
from audiosqueeze.bench.methods import split_dithered
from audiosqueeze.bench.report import add_exclude_option, already_read, read_rows


def rows_of(path: Path, rename: dict[str, str]) -> list[dict]:
    rows = read_rows(path)
    for r in rows:
        r["method"] = rename.get(r["method"], r["method"])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path, help="bench run folders or row files")
    ap.add_argument("--rename", action="append", default=[], help="OLD=NEW (all files)")
    ap.add_argument("--resamples", type=whole(1), default=2000)
    ap.add_argument("--by-utterance", action="store_true", help="also S / D / I per utterance")
    ap.add_argument(
        "--dither-mean", action="store_true", help="add METHOD@dmean: the mean over METHOD@dK"
    )
    ap.add_argument("--base", default="none", help="the method ΔWER is taken against")
    ap.add_argument("--pool", action="store_true", help="one table per recogniser, all datasets")
    add_exclude_option(ap)
    args = ap.parse_args()
    rename = dict(x.split("=", 1) for x in args.rename)
    seen = already_read(args.exclude)
    by: dict[tuple, dict[str, dict]] = defaultdict(lambda: defaultdict(dict))
    for f in args.files:
        for r in rows_of(f, rename):
            if (r["dataset"], r["asr"], r["id"]) in seen:
                continue
            ds = "pooled" if args.pool else r["dataset"]
            by[(ds, r["asr"])][r["method"]][
                f"{r['dataset']}/{r['id']}" if args.pool else r["id"]
            ] = r
    for (ds, asr), methods in sorted(by.items()):
        if args.dither_mean:
            methods.update(dither_means(methods))
        if args.base not in methods:
            continue
        ids = sorted(set.intersection(*(set(v) for v in methods.values())))
        base = [ev.Counts(*methods[args.base][i]["words"]) for i in ids]
        words = sum(c.ref for c in base)
        print(f"\n{ds}, {asr}: {len(ids)} utterances, {words:g} words; ΔWER against {args.base}\n")
        print("| method | tokens removed | WER | ΔWER [95 % CI] |")
        print("| --- | ---: | ---: | --- |")
        rows = []
        for m, got in methods.items():
            counts = [ev.Counts(*got[i]["words"]) for i in ids]
            before = sum(got[i]["gemini_before"] for i in ids)
            after = sum(got[i]["gemini_after"] for i in ids)
            d, lo, hi = ev.paired_bootstrap(base, counts, resamples=args.resamples)
            rows.append((1 - after / before, m, ev.corpus(counts).wer, d, lo, hi))
        for red, m, wer, d, lo, hi in sorted(rows):
            print(
                f"| {m} | {100 * red:.1f} % | {100 * wer:.2f} | "
                f"{100 * d:+.2f} [{100 * lo:+.2f}, {100 * hi:+.2f}] |"
            )
        if args.by_utterance:
            order = [m for *_, m, _, _, _, _ in sorted(rows)]
            print("\n| utterance | words | " + " | ".join(f"{m} S / D / I" for m in order) + " |")
            print("| --- | ---: |" + " --- |" * len(order))
            for i in ids:
                cells = [utterance_cell(methods[m][i]["words"]) for m in order]
                ref = methods[args.base][i]["words"][0]
                print(f"| {i} | {ref:g} | " + " | ".join(cells) + " |")


def dither_means(methods: dict[str, dict[str, dict]]) -> dict[str, dict[str, dict]]:
    """``METHOD@dmean`` for each method with two or more ``@dK`` runs: per utterance (those
    with a row at every one of its dithers), the mean word counts and tokens."""
    runs: dict[str, list[dict[str, dict]]] = defaultdict(list)
    for m, got in methods.items():
        base, k = split_dithered(m)
        if k is not None:
            runs[base].append(got)
    out = {}
    for base, gots in runs.items():
        if len(gots) < 2:
            continue
        ids = set.intersection(*(set(g) for g in gots))
        out[f"{base}@dmean"] = {
            i: {
                "words": [sum(g[i]["words"][j] for g in gots) / len(gots) for j in range(5)],
                "gemini_before": gots[0][i]["gemini_before"],
                "gemini_after": sum(g[i]["gemini_after"] for g in gots) / len(gots),
            }
            for i in ids
        }
    return out


def utterance_cell(words) -> str:
    """``S / D / I`` of one utterance's word counts (``evaluate.Counts`` fields)."""
    c = ev.Counts(*words)
    return f"{c.sub:g} / {c.dele:g} / {c.ins:g}"


if __name__ == "__main__":
    run_script(main)
