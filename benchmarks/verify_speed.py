"""Speed of verify mode against the plain core, on real clips (one core).

    taskset -c 0 python benchmarks/verify_speed.py --data ../shared/data --clips 20 [--scope window]

For the first ``--clips`` LibriSpeech and Common Voice test clips: wall time of
``compress(x)`` and of ``compress(x, verify=ASR)`` (Whisper on CPU, one thread, int8), in
times real time, plus how many verify rounds changed the plan and the tokens each kept.
"""

from __future__ import annotations

import argparse
import time

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.asr import load_asr
from audiosqueeze.datasets import data_root, split_utterances


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--clips", type=whole(1), default=20, help="per dataset")
    ap.add_argument("--asr", default="whisper-tiny.en")
    ap.add_argument("--rate", type=float, default=0.5)
    ap.add_argument(
        "--scope",
        choices=("utterance", "window"),
        default=None,
        help="verify_scope (default: the library's)",
    )
    args = ap.parse_args()
    root = data_root(args.data)
    asr = load_asr(args.asr)
    clips = [
        u.load()
        for ds in ("librispeech", "commonvoice")
        for u in split_utterances(root, "test", ds)[: args.clips]
    ]
    if not clips:
        raise sq.ManifestError(f"no LibriSpeech or Common Voice test clips in {str(root)!r}")
    audio_s = sum(len(x) for x in clips) / sq.SAMPLE_RATE
    asr.transcribe(clips[0])  # load the model before timing
    t0 = time.perf_counter()
    plain = [sq.compress(x, args.rate, sample_rate=sq.SAMPLE_RATE) for x in clips]
    t1 = time.perf_counter()
    kw = {} if args.scope is None else {"verify_scope": args.scope}
    checked = [
        sq.compress(x, args.rate, sample_rate=sq.SAMPLE_RATE, verify=asr, **kw) for x in clips
    ]
    t2 = time.perf_counter()
    red = [1 - sum(r.stats.output_s for r in rs) / audio_s for rs in (plain, checked)]
    changed = sum(a.plan != b.plan for a, b in zip(plain, checked, strict=True))
    scope = args.scope or "default scope"
    head = f"{len(clips)} test clips, {audio_s:.1f} s of audio, rate {args.rate}"
    print(f"{head}, verify {asr.name}, {scope}")
    print(f"core only:   {audio_s / (t1 - t0):7.1f} x real time, {100 * red[0]:.1f} % shorter")
    print(f"with verify: {audio_s / (t2 - t1):7.1f} x real time, {100 * red[1]:.1f} % shorter")
    print(f"plans changed by verify: {changed} of {len(clips)}")


if __name__ == "__main__":
    run_script(main)
