"""An upper bound: what the long-form set would cost if planted babble were cut like noise.

The analysis keeps planted babble as speech (``benchmarks/longform_babble.py``). This asks what
that costs the recogniser: each recording of the split's long-form sets (the recordings
``audiosqueeze bench --datasets longform --seed S`` makes) is compressed as it is (``sq-R``)
and, as an oracle no real analysis has, with its planted babble stretches replaced by digital
silence first (``sq-R-nobabble``: the planner then shortens them like any pause). Both are
transcribed and scored as ``audiosqueeze bench`` scores them, against the original; the rows
are written in the bench's format, so ``benchmarks/bench_table.py`` reads them.

    python benchmarks/babble_oracle.py --data ../shared/data --split dev --seeds 0,1 \\
        --rates 0.5,0.75 --out oracle-dev.jsonl

With ``--detector-seeds 0,1`` the frames that ``babble_cue.py``'s classifier (fitted on those
dev long-form seeds) flags are zeroed too, as ``sq-R-detected``: what that cue would buy, had
the analysis acted on it. Judge it on other seeds or on test.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from _script import run_script, whole
from audiosqueeze.asr import load_asr
from audiosqueeze.bench.methods import apply
from audiosqueeze.bench.run import score
from audiosqueeze.datasets import data_root
from audiosqueeze.datasets.longform import longform_set


def without_babble(recording) -> np.ndarray:
    """The recording's samples with every planted babble stretch set to 0."""
    x = np.array(recording.samples, np.float32)
    for g in recording.gaps:
        if g.kind == "babble":
            x[g.start : g.end] = 0.0
    return x


def without_flagged(x: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """``x`` with every flagged 32-ms frame set to 0."""
    from audiosqueeze.units import FRAME_SAMPLES

    x = np.array(x, np.float32)
    mask = np.repeat(np.asarray(flagged, bool), FRAME_SAMPLES)
    x[: len(mask)][mask[: len(x)]] = 0.0
    return x


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="data folder (else $AUDIOSQUEEZE_DATA or ../shared/data)")
    ap.add_argument("--split", default="dev", choices=("dev", "test"))
    ap.add_argument("--seeds", default="0", help="comma-separated long-form seeds")
    ap.add_argument("--rates", default="0.5,0.75", help="comma-separated rates (bench sq-R)")
    ap.add_argument("--asr", default="whisper-tiny.en")
    ap.add_argument("--out", type=Path, required=True, help="rows (JSON lines), appended to")
    ap.add_argument(
        "--no-temperature-fallback",
        action="store_true",
        help="decode at temperature 0 only (the same audio then gives the same words)",
    )
    ap.add_argument("--detector-seeds", help="also zero what babble_cue.py flags (fitted on "
                    "these dev long-form seeds)")  # fmt: skip
    ap.add_argument("--threshold", type=float, default=0.9, help="the detector's threshold")
    ap.add_argument("--min-run", type=whole(1), default=8, help="the run filter (frames)")
    ap.add_argument("--max-below-peak-db", type=float, help="the detector flags only this far "
                    "under the loudest speech so far")  # fmt: skip
    args = ap.parse_args()
    root = data_root(args.data)
    if args.min_run < 1:
        ap.error(f"--min-run must be at least 1, got {args.min_run}")
    model = None
    if args.detector_seeds:
        import babble_cue

        try:
            seeds = [int(s) for s in args.detector_seeds.split(",")]
        except ValueError:
            ap.error(
                f"--detector-seeds must be comma-separated integers, got {args.detector_seeds!r}"
            )
        model = babble_cue.fit(root, "dev", seeds)
    asr = load_asr(
        args.asr, **({"temperature_fallback": False} if args.no_temperature_fallback else {})
    )
    methods = [f"sq-{float(r):g}" if float(r) != 1 else "sq-1.0" for r in args.rates.split(",")]
    with args.out.open("a", encoding="utf-8") as f:
        for seed in args.seeds.split(","):
            for rec in longform_set(root, args.split, seed=int(seed)):
                x, quiet = rec.samples, without_babble(rec)
                outs = [apply("none", x)]
                if model is not None:
                    hot = babble_cue.flags(
                        model, x, args.threshold, args.min_run, args.max_below_peak_db
                    )
                for m in methods:
                    outs.append(apply(m, x))
                    outs.append(dataclasses.replace(apply(m, quiet), method=f"{m}-nobabble"))
                    if model is not None:
                        out = apply(m, without_flagged(x, hot))
                        outs.append(dataclasses.replace(out, method=f"{m}-detected"))
                base = None
                for out in outs:
                    t = asr.transcribe(out.samples)
                    base = t if out.method == "none" else base
                    row = {"asr": asr.name, "dataset": "longform", "split": args.split,
                           "id": rec.id, "method": out.method}  # fmt: skip
                    row.update(score(rec, len(x), out, t, base))
                    f.write(json.dumps(row) + "\n")
                    f.flush()
                print(rec.id, flush=True)


if __name__ == "__main__":
    run_script(main)
