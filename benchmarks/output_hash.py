"""One hash of everything ``compress`` makes on real clips: run it on two commits to show that
a change left the output the same, bit for bit.

For the first ``--limit`` dev clips of LibriSpeech and of Common Voice, the analysis (each
segment's repr) and the compressed samples at rates 0.5, 0.75 and 1 under each speed policy
(uniform, cues, guard; or those of ``--policies``) are hashed; prints one SHA-1 over all.

    python benchmarks/output_hash.py --data ../shared/data --max-segment-ms 256
    git stash; python benchmarks/output_hash.py ...; git stash pop   # the same line
"""

from __future__ import annotations

import argparse
import hashlib
import os

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.datasets import split_utterances


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("AUDIOSQUEEZE_DATA", "../shared/data"))
    ap.add_argument("--limit", type=whole(1), default=20, help="clips per dataset")
    ap.add_argument("--max-segment-ms", type=float, default=256.0)
    ap.add_argument("--policies", default="uniform,cues,guard", help="speed policies to hash")
    args = ap.parse_args()
    policies = args.policies.split(",")
    opts = sq.AnalyzeOptions(max_segment_ms=args.max_segment_ms)
    total, n = hashlib.sha1(), 0
    for ds in ("librispeech", "commonvoice"):
        for u in split_utterances(args.data, "dev", ds)[: args.limit]:
            x = u.load()
            a = sq.analyze(x, opts, sample_rate=sq.SAMPLE_RATE)
            total.update(repr(tuple(a.segments)).encode())  # a tuple at any commit
            for rate in (0.5, 0.75, 1.0):
                for policy in policies:
                    po = sq.PlanOptions(speed_policy=policy)
                    r = sq.compress(x, rate, analysis=a, plan_options=po, sample_rate=16000)
                    total.update(r.audio.tobytes())
                    n += 1
    if not n:  # the hash of nothing would look like a result
        raise sq.ManifestError(f"no LibriSpeech or Common Voice dev clips in {args.data!r}")
    print(f"{total.hexdigest()}  ({n} outputs, max_segment_ms={args.max_segment_ms:g})")


if __name__ == "__main__":
    run_script(main)
