"""Does Whisper give the same words for the same audio? Decode one recording several times.

Transcribes one recording of the split's long-form sets (or, with ``--rate``, its compressed
version) ``--repeats`` times in this one process, from the same array, with faster-whisper's
temperature fallback (its default: windows that look like loops or are unlikely are decoded
again by sampling) and without it (temperature 0 only), and prints each decode's word count
and a short hash of its text. With the fallback, ``ctranslate2.set_random_seed`` is called
before every decode with ``--seed``: if the words still differ, no seed reaches the sampling.

    python benchmarks/decode_repeat.py --data ../shared/data --split test --id longform-1-03
"""

from __future__ import annotations

import argparse
import hashlib

import numpy as np

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.asr import load_asr
from audiosqueeze.datasets import data_root
from audiosqueeze.datasets.longform import longform_set


def parse_id(text: str) -> tuple[int, int]:
    """``(seed, k)`` of a long-form id ``longform-SEED-K``."""
    parts = text.split("-")
    if len(parts) != 3 or parts[0] != "longform" or not (parts[1].isdigit() and parts[2].isdigit()):
        raise sq.OptionsError(f"--id must look like longform-SEED-K, got {text!r}")
    return int(parts[1]), int(parts[2])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="data folder (else $AUDIOSQUEEZE_DATA or ../shared/data)")
    ap.add_argument("--split", default="dev", choices=("dev", "test"))
    ap.add_argument("--id", required=True, help="a long-form id: longform-SEED-K")
    ap.add_argument("--rate", type=float, help="decode the compressed recording instead")
    ap.add_argument("--asr", default="whisper-tiny.en")
    ap.add_argument("--repeats", type=whole(1), default=3)
    ap.add_argument("--seed", type=whole(0), default=0, help="set_random_seed before each")
    args = ap.parse_args()
    seed, k = parse_id(args.id)
    recs = longform_set(data_root(args.data), args.split, seed=seed)
    if k >= len(recs):
        raise sq.OptionsError(f"no recording {args.id!r}: the set has {len(recs)}")
    rec = recs[k]
    x = np.ascontiguousarray(rec.samples, np.float32)
    if args.rate is not None:
        x = sq.compress(x, sample_rate=sq.SAMPLE_RATE, rate=args.rate).audio
    print(f"{args.id}, {'rate ' + str(args.rate) if args.rate is not None else 'original'}, "
          f"{len(x) / sq.SAMPLE_RATE:.1f} s, {args.asr}\n")  # fmt: skip
    print("| decoding | words of each decode (text hash) | distinct |")
    print("| --- | --- | ---: |")
    for fallback in (True, False):
        asr = load_asr(args.asr, **({} if fallback else {"temperature_fallback": False}))
        texts = []
        for _ in range(args.repeats):
            if fallback:
                import ctranslate2  # faster-whisper's: there once a Whisper model loaded

                ctranslate2.set_random_seed(args.seed)
            texts.append(asr.transcribe(x).text)
        cells = ", ".join(
            f"{len(t.split())} ({hashlib.sha1(t.encode()).hexdigest()[:6]})" for t in texts
        )
        name = f"fallback on, seed {args.seed} each time" if fallback else "temperature 0 only"
        print(f"| {name} | {cells} | {len(set(texts))} |")


if __name__ == "__main__":
    run_script(main)
