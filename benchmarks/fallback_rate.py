"""How often faster-whisper's temperature fallback fires on the split's clips, before and after
compressing them.

A window decoded again by sampling (faster-whisper's default when the text looks like a loop or
is unlikely) can come out differently from call to call (``decode_repeat.py``), so a
recogniser that falls back is not a function of the audio. This counts, per dataset, the clips
where any window of the original or of ``compress(rate=R)``'s output was decoded at a
temperature above 0, with the bench's decoding settings (beam 5, English, word timestamps).
Verify mode transcribes both, so this is how often its decisions can move between runs.

    python benchmarks/fallback_rate.py --data ../shared/data --split dev --clips 200 \\
        --asr whisper-tiny.en --rates 0.75
"""

from __future__ import annotations

import argparse
import collections

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.asr.whisper import FasterWhisperASR
from audiosqueeze.datasets import data_root, split_utterances
from audiosqueeze.units import SAMPLE_RATE


def temperatures(asr: FasterWhisperASR, samples) -> list[float]:
    """The temperature each window of ``samples`` was finally decoded at."""
    return [float(s.temperature) for s in asr.segments(samples)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="data folder (else $AUDIOSQUEEZE_DATA or ../shared/data)")
    ap.add_argument("--split", default="dev", choices=("dev", "test"))
    ap.add_argument("--clips", type=whole(1), default=200, help="first N clips of each dataset")
    ap.add_argument("--asr", default="whisper-tiny.en")
    ap.add_argument("--rates", default="0.75", help="comma-separated rates")
    args = ap.parse_args()
    if args.clips < 1:
        ap.error(f"--clips must be at least 1, got {args.clips}")
    root = data_root(args.data)
    asr = FasterWhisperASR(args.asr)
    rates = [float(r) for r in args.rates.split(",")]
    fired: collections.Counter = collections.Counter()
    count: collections.Counter = collections.Counter()
    for ds in ("librispeech", "commonvoice"):
        for u in split_utterances(root, args.split, ds)[: args.clips]:
            x = u.load()
            versions = [("original", x)]
            for r in rates:
                versions.append(
                    (f"rate {r:g}", sq.compress(x, sample_rate=SAMPLE_RATE, rate=r).audio)
                )
            for name, y in versions:
                temps = temperatures(asr, y)
                count[ds, name] += 1
                if any(t > 0 for t in temps):
                    fired[ds, name] += 1
                    print(f"{ds} {u.id} {name}: temperatures {temps}", flush=True)
    print(f"\n{args.asr}, {args.split}\n\n| dataset | audio | clips | fallback fired |")
    print("| --- | --- | ---: | ---: |")
    for (ds, name), n in count.items():
        print(f"| {ds} | {name} | {n} | {fired[ds, name]} |")


if __name__ == "__main__":
    run_script(main)
