"""Which recordings does one analysis or plan option change? Compresses every recording of the
chosen datasets with ``compress``'s defaults and again with ``--set NAME=VALUE`` overrides of
``AnalyzeOptions`` or ``PlanOptions`` fields, at each rate, and prints how many outputs are
the same bit for bit and which are not (with their durations): the check that a new default
leaves published rows as they were, or names the ones to re-run. Also prints the CPU seconds
each setting spent (analysis + compress, the two run one after the other on each recording, so
drift in the machine's speed falls on both alike).

    python benchmarks/option_effect.py --data ../shared/data --split test \\
        --datasets librispeech,commonvoice,nonspeech --set vad_reset_drop_db=0
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.bench.run import BenchOptions, load_utterances

_FIELDS = {
    cls: {f.name for f in dataclasses.fields(cls)} for cls in (sq.AnalyzeOptions, sq.PlanOptions)
}


def _override(spec: str) -> tuple[str, float]:
    name, _, value = spec.partition("=")
    if not any(name in names for names in _FIELDS.values()) or not value:
        raise argparse.ArgumentTypeError(
            f"expected NAME=VALUE of AnalyzeOptions or PlanOptions, got {spec!r}"
        )
    try:
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"VALUE must be a number, got {spec!r}") from None


def compare(
    utterances, other: sq.AnalyzeOptions, rates, plan: sq.PlanOptions | None = None
) -> tuple[int, list[str], list[float]]:
    """Outputs the same bit for bit, a line for each that is not, and the CPU seconds of the
    defaults and of ``other`` (with ``plan``), over ``utterances`` at each of ``rates``."""
    same, changed, cpu = 0, [], [0.0, 0.0]
    for u in utterances:
        x = u.load()
        outs = []
        for i, (o, p) in enumerate(((sq.AnalyzeOptions(), None), (other, plan))):
            t = time.process_time()
            a = sq.analyze(x, o, sample_rate=sq.SAMPLE_RATE)
            kw = {"analysis": a, "sample_rate": sq.SAMPLE_RATE, "plan_options": p}
            outs.append([sq.compress(x, r, **kw) for r in rates])
            cpu[i] += time.process_time() - t
        for rate, ra, rb in zip(rates, *outs, strict=True):
            if np.array_equal(ra.audio, rb.audio):
                same += 1
            else:
                changed.append(
                    f"{u.id} rate {rate:g}: {len(ra.audio) / 16000:.2f} s "
                    f"(defaults) vs {len(rb.audio) / 16000:.2f} s"
                )
    return same, changed, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("AUDIOSQUEEZE_DATA", "../shared/data"))
    ap.add_argument("--split", default="test", choices=("dev", "test"))
    ap.add_argument("--datasets", default="librispeech,commonvoice,nonspeech")
    ap.add_argument("--set", dest="overrides", type=_override, action="append", required=True)
    ap.add_argument("--rates", default="0.5,0.75,1.0")
    ap.add_argument("--longform-count", type=whole(1), default=6)
    args = ap.parse_args()
    try:
        given = dict(args.overrides)
        other, plan = (
            cls(**{k: v for k, v in given.items() if k in _FIELDS[cls]}) for cls in _FIELDS
        )
        rates = [float(r) for r in args.rates.split(",")]
    except (sq.AudiosqueezeError, ValueError) as e:
        ap.error(str(e))
    opts = BenchOptions(
        data=Path(args.data),
        out=Path(tempfile.gettempdir()) / "option_effect",  # where long-form sets are described
        split=args.split,
        datasets=tuple(args.datasets.split(",")),
        longform_count=args.longform_count,
    )
    label = " ".join(f"{k}={v:g}" for k, v in args.overrides)
    print(f"defaults against {label}; split {args.split}; rates {args.rates}")
    t0 = time.perf_counter()
    for ds, utts in load_utterances(opts).items():
        same, changed, cpu = compare(utts, other, rates, plan)
        print(
            f"{ds}: {same} of {len(utts) * len(rates)} outputs the same bit for bit; CPU "
            f"{cpu[0]:.2f} s (defaults) vs {cpu[1]:.2f} s ({cpu[0] / max(cpu[1], 1e-9):.3f}x)"
        )
        for line in changed:
            print(f"  changed: {line}")
        sys.stdout.flush()
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    run_script(main)
