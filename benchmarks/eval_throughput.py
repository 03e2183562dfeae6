"""How fast the evaluation itself runs: utterances per minute per recogniser, and what a full
``audiosqueeze bench`` over the test split would cost on this machine.

Each recogniser transcribes the first N LibriSpeech test utterances (original audio; one
warm-up call first, not timed), on the CPU threads given. The full-run estimate multiplies the
measured real-time factor by the test split's audio after every method a plain ``bench``
runs (``bench.methods.DEFAULT_METHODS``; ours and the baselines shorten it, which the estimate
counts by each method's measured output length).

    pip install -e ".[whisper,whisper-base,asr,bench]"
    taskset -c 0 python benchmarks/eval_throughput.py --data ../shared/data \\
        --asr whisper-tiny.en,whisper-base,hama,pocketsphinx --utterances 10
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from _script import run_script, whole
from audiosqueeze.asr import load_asr
from audiosqueeze.bench.methods import DEFAULT_METHODS, apply
from audiosqueeze.datasets import split_utterances
from audiosqueeze.errors import ManifestError


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("AUDIOSQUEEZE_DATA", "../shared/data"))
    ap.add_argument("--asr", default="whisper-tiny.en,whisper-base,hama,pocketsphinx")
    ap.add_argument("--utterances", type=whole(1), default=10)
    args = ap.parse_args()
    root = Path(args.data)
    utts = split_utterances(root, "test", "librispeech")[: args.utterances]
    if not utts:
        raise ManifestError(f"no LibriSpeech test clips in {str(root)!r}")
    audio = [u.load() for u in utts]
    seconds = sum(len(x) for x in audio) / 16000
    # audio each method of a plain `audiosqueeze bench` leaves, as a share of the input
    # (measured on the same utterances); bench.methods.METHODS also holds every probe
    methods = DEFAULT_METHODS
    share = {m: sum(len(apply(m, x).samples) for x in audio) / 16000 / seconds for m in methods}
    split_s = sum(
        u.duration_s or 0.0
        for d in ("librispeech", "commonvoice")
        for u in split_utterances(root, "test", d)
    )
    per_run = split_s * sum(share.values())
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"{len(utts)} LibriSpeech test utterances, {seconds:.1f} s of audio")
    print("audio left by each method: " + ", ".join(f"{m} {v:.2f}" for m, v in share.items()))
    print(
        f"test split (LibriSpeech + Common Voice, long-form set excluded): {split_s / 60:.1f} min;"
        f" after all {len(methods)} methods: {per_run / 60:.1f} min to transcribe per recogniser"
    )
    print()
    print("| recogniser | utterances / min | real-time factor | full test-split run (est.) |")
    print("| --- | ---: | ---: | ---: |")
    for name in args.asr.split(","):
        asr = load_asr(name)
        asr.transcribe(audio[0][:16000])  # warm-up
        t0 = time.perf_counter()
        for x in audio:
            asr.transcribe(x)
        dt = time.perf_counter() - t0
        rtf = dt / seconds
        print(f"| {name} | {60 * len(audio) / dt:.1f} | {rtf:.3f} | {per_run * rtf / 60:.0f} min |")


if __name__ == "__main__":
    run_script(main)
