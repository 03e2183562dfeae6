"""Does *changing* the speed cost a recogniser words, beyond the speed itself? (dev split)

Every content-aware allocation we built (cues, guard, the MACH1 and Lee & Kim rules, verify's
relaxed windows) varies the speed along the speech, and each lost to one uniform speed at equal
tokens. This asks whether the changes themselves cost words: each whole dev clip (no pause cut)
is rendered by our variable-rate WSOLA

- ``uniform``: at one speed ``S`` (1.2x by default);
- ``alt-64ms`` / ``alt-256ms`` / ``alt-768ms``: alternating between 1.0x and ``S/(2-S)``
  (1.5x for 1.2) every 64 / 256 / 768 ms of input, starting at 1.0x: the same output length
  as ``uniform`` but for the last piece, so never shorter (``--tokens-only`` prints how much
  each removes);

and transcribed by ``--asr``. With ``--relax`` the alternation is between 1.0x and ``S``
itself (every window at most as fast as ``uniform``, fewer tokens removed: what verify does
to a plan). ΔWER against the original, and each alternation against
``uniform`` (paired bootstrap over clips), show whether fine-grained speed changes cost more
than coarse ones at the same tokens.

    taskset -c 0 python benchmarks/speed_changes.py --data ../shared/data \\
        --asr whisper-tiny.en --per-dataset 60
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze import evaluate as ev
from audiosqueeze.plan import Edit, Plan
from audiosqueeze.units import ms_to_samples

PIECES_MS = {"alt-64ms": 64, "alt-256ms": 256, "alt-768ms": 768}


def alternating_plan(n: int, piece: int, speeds: tuple[float, ...]) -> Plan:
    """One joined run of stretch edits over ``[0, n)``, ``piece`` samples each, cycling
    through ``speeds``."""
    edits, starts = [], range(0, n, piece)
    for i, a in enumerate(starts):
        b = min(n, a + piece)
        out = max(1, int(round((b - a) / speeds[i % len(speeds)])))
        edits.append(Edit("stretch", a, b, out, "speech", 0, b < n))
    return Plan(tuple(edits), n, 1.0)


def conditions(n: int, speed: float, relax: bool = False) -> dict[str, Plan]:
    """The renders of a clip of ``n`` samples: ``uniform`` at ``speed``; the alternations
    between 1.0x and the speed that gives the same length (or, with ``relax``, ``speed``
    itself: every window at most as fast as ``uniform``, as verify leaves a plan)."""
    fast = speed if relax else speed / (2 - speed)
    out = {"uniform": alternating_plan(n, n, (speed,))}
    for name, ms in PIECES_MS.items():
        out[name] = alternating_plan(n, ms_to_samples(ms), (1.0, fast))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--asr", default="whisper-tiny.en")
    ap.add_argument("--per-dataset", type=whole(1), default=60)
    ap.add_argument("--speed", type=float, default=1.2)
    ap.add_argument("--rows", type=Path, help="also write one JSON row per clip and condition")
    ap.add_argument(
        "--relax",
        action="store_true",
        help="alternate 1.0x with the uniform speed itself (half the windows relaxed, as "
        "verify does) instead of with the speed that keeps the tokens equal",
    )
    ap.add_argument(
        "--tokens-only",
        action="store_true",
        help="print the share of the duration each render removes, and stop (no recogniser)",
    )
    args = ap.parse_args()
    if not 1.0 < args.speed < 2.0:
        sys.exit(f"--speed must be between 1 and 2, got {args.speed!r}")
    from audiosqueeze.datasets import data_root, sample_split

    clips = sample_split(data_root(args.data), "dev", args.per_dataset, 1)
    if args.tokens_only:
        lengths = [len(u.load()) for u in clips]
        print("| condition | duration removed |\n| --- | ---: |")
        for name in ("uniform", *PIECES_MS):
            out = sum(conditions(n, args.speed, args.relax)[name].out_samples for n in lengths)
            print(f"| {name} | {100 * (1 - out / sum(lengths)):.2f} % |")
        return
    from audiosqueeze.asr import load_asr

    asr = load_asr(args.asr)
    names = ["none", "uniform", *PIECES_MS]
    counts: dict[tuple[str, str], list[ev.Counts]] = {}
    sink = args.rows.open("w") if args.rows else None
    for i, u in enumerate(clips):
        x = u.load()
        for name in names:
            y = (
                x
                if name == "none"
                else sq.render(x, conditions(len(x), args.speed, args.relax)[name])
            )
            c = ev.word_counts(u.text, asr.transcribe(y).text)
            counts.setdefault((u.dataset, name), []).append(c)
            if sink:
                row = {"id": u.id, "dataset": u.dataset, "cond": name, "words": c.astuple()}
                sink.write(json.dumps(row) + "\n")
        print(f"{i + 1}/{len(clips)}", end="\r", file=sys.stderr, flush=True)
    fast = args.speed if args.relax else args.speed / (2 - args.speed)
    print(f"{args.asr}, whole dev clips: {args.speed}x against 1.0x and {fast:.2f}x alternating")
    for ds in sorted({d for d, _ in counts}):
        base = counts[(ds, "none")]
        words = sum(c.ref for c in base)
        print(f"\n{ds}: {len(base)} clips, {words} words\n")
        print("| condition | ΔWER vs original [95 % CI] | vs uniform [95 % CI] |")
        print("| --- | --- | --- |")
        for name in names[1:]:
            d, lo, hi = ev.paired_bootstrap(base, counts[(ds, name)])
            u, ulo, uhi = ev.paired_bootstrap(counts[(ds, "uniform")], counts[(ds, name)])
            print(
                f"| {name} | {100 * d:+.2f} [{100 * lo:+.2f}, {100 * hi:+.2f}] | "
                f"{100 * u:+.2f} [{100 * ulo:+.2f}, {100 * uhi:+.2f}] |"
            )


if __name__ == "__main__":
    run_script(main)
