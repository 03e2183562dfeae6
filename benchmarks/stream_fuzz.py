"""Random configurations on real clips: the stream, ``compress`` and ``compress(analysis=)``
must give the same samples, and nothing may raise.

Each round takes a random clip (sometimes after 1-11 s of hiss), a random ``max_segment_ms``,
rate, speed policy and within-window rule, and pushes the clip through a ``Stream`` in random
chunks. Prints every mismatch or error and a count; exits 1 if there was any.

    python benchmarks/stream_fuzz.py --data ../shared/data --rounds 120 --seed 7
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.datasets import data_root, split_utterances

SEGMENT_MS = (64.0, 100.0, 256.0, 700.0, 1000.0, 10_000.0)
RATES = (0.3, 0.5, 0.75, 0.9, 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help="the shared data folder (or $AUDIOSQUEEZE_DATA)")
    ap.add_argument("--split", default="test", choices=("dev", "test"))
    ap.add_argument("--rounds", type=whole(1), default=120)
    ap.add_argument("--seed", type=whole(0), default=7)
    args = ap.parse_args()
    root = data_root(args.data)
    clips = [
        u for d in ("librispeech", "commonvoice") for u in split_utterances(root, args.split, d)
    ]
    if not clips:
        where = f"{args.split} clips in {str(root)!r}"
        raise sq.ManifestError(f"no LibriSpeech or Common Voice {where}")
    rng = np.random.default_rng(args.seed)
    bad = 0
    for _ in range(args.rounds):
        u = clips[int(rng.integers(len(clips)))]
        x = u.load()
        if rng.random() < 0.3:
            hiss = rng.normal(0, 0.02, int(rng.integers(1, 12)) * sq.SAMPLE_RATE)
            x = np.concatenate([hiss.astype(np.float32), x])
        longest, rate = float(rng.choice(SEGMENT_MS)), float(rng.choice(RATES))
        policy = str(rng.choice(["uniform", "cues", "guard"]))
        within = str(rng.choice(["flat", "stress", "transients"]))
        what = f"{u.id} max_segment_ms={longest:g} rate={rate} {policy} {within}"
        ao = sq.AnalyzeOptions(max_segment_ms=longest)
        po = sq.PlanOptions(speed_policy=policy, within_window=within)
        kw = {"sample_rate": sq.SAMPLE_RATE, "plan_options": po}
        try:
            ref = sq.compress(x, rate, analyze_options=ao, **kw)
            s = sq.Stream(rate, analyze_options=ao, plan_options=po)
            out, i = [], 0
            while i < len(x):
                n = int(rng.integers(1, 40_000))
                out.append(s.push(x[i : i + n]))
                i += n
            out.append(s.flush())
            again = sq.compress(x, rate, analysis=ref.analysis, **kw).audio
            if not (
                np.array_equal(np.concatenate(out), ref.audio) and np.array_equal(again, ref.audio)
            ):
                bad += 1
                print("differs:", what, flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure, keep going
            bad += 1
            print(f"error: {what}: {type(e).__name__}: {e}", flush=True)
    print(f"{args.rounds} rounds, {bad} failed")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    run_script(main)
