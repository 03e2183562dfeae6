"""Does a recogniser miss a quiet utterance in the shortened audio because it is quiet? A probe.

For one utterance of one generated long-form recording (by default the quietest: the lowest
90th-percentile frame level, which is its speech's), compresses the recording at each
``--rates`` value and transcribes it with each ``--asr``: as compressed, and with the
utterance's samples raised by each of ``--gains-db`` (10-ms ramps at both ends; clipped to
[-1, 1]). As controls it also transcribes the original, and the compressed audio with the
original's second of pause before the utterance put back in front of it (is it the lost
context rather than the level?). Prints, per setting, how many of the utterance's reference
words the recogniser got right (aligned against the words it wrote within 0.3 s of the
utterance), and those words. ``--attenuate-db`` first makes the utterance quieter: the dev
set has no utterance as quiet as the test set's one, so the condition is made there.

This changes nothing in the product: it tells whether a speech gain is worth building.

    python benchmarks/quiet_gain_probe.py --data ../shared/data --split test --id longform-0-03 \\
        --asr whisper-tiny.en,whisper-base --rates 0.5,0.75 --gains-db 10,20,30
"""

from __future__ import annotations

import argparse

import numpy as np

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.asr import load_asr
from audiosqueeze.datasets import data_root, split_utterances
from audiosqueeze.datasets.longform import load_noises, make_longform
from audiosqueeze.evaluate import word_counts
from audiosqueeze.features import level_db
from audiosqueeze.units import FRAME_SAMPLES, SAMPLE_RATE

RAMP = SAMPLE_RATE // 100  # 10 ms


def percentile_db(x: np.ndarray, q: float) -> float:
    n = len(x) // FRAME_SAMPLES * FRAME_SAMPLES
    return float(np.percentile(level_db(x[:n].reshape(-1, FRAME_SAMPLES)), q))


def with_gain(y: np.ndarray, a: int, b: int, db: float) -> np.ndarray:
    """``y`` with ``[a, b)`` raised by ``db``, ramped in and out over 10 ms (over half the
    span each where it is shorter than 20 ms), clipped to [-1, 1]."""
    g = np.ones(len(y), np.float32)
    g[a:b] = 10 ** (db / 20)
    r = min(RAMP, (b - a) // 2)
    ramp = np.linspace(1.0, 10 ** (db / 20), r + 1, dtype=np.float32)[:r]
    g[a : a + r], g[b - r : b] = ramp, ramp[::-1]
    return np.clip(y * g, -1.0, 1.0)


def heard(asr, y: np.ndarray, a: int, b: int, ref: str) -> tuple[int, str]:
    """Reference words right, and the recogniser's words within 0.3 s of ``[a, b)``."""
    lo, hi = a / SAMPLE_RATE - 0.3, b / SAMPLE_RATE + 0.3
    words = [w.text for w in asr.transcribe(y).words if w.end_s > lo and w.start_s < hi]
    text = " ".join(words)
    return word_counts(ref, text).hits, text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help="the shared data folder (or $AUDIOSQUEEZE_DATA)")
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--id", default="longform-0-00", help="which recording (longform-SEED-NN)")
    ap.add_argument("--part", default=None, help="which utterance (clip id; default the quietest)")
    ap.add_argument("--seed", type=whole(0), default=0)
    ap.add_argument("--count", type=whole(1), default=6, help="recordings in the set (as bench)")
    ap.add_argument("--asr", default="whisper-tiny.en", help="comma-separated recognisers")
    ap.add_argument("--rates", default="0.5", help="comma-separated rates")
    ap.add_argument("--gains-db", default="10,20,30", help="comma-separated gains (dB)")
    ap.add_argument(
        "--attenuate-db",
        type=float,
        default=0.0,
        help="make the utterance this much quieter first (a quiet speaker, made on dev)",
    )
    args = ap.parse_args()
    try:
        rates = [float(r) for r in args.rates.split(",")]
        gains = [float(g) for g in args.gains_db.split(",")]
    except ValueError as e:
        ap.error(f"--rates and --gains-db take comma-separated numbers: {e}")
    root = data_root(args.data)
    clips = {
        u.id: u
        for d in ("librispeech", "commonvoice")
        for u in split_utterances(root, args.split, d)
    }
    recs = {
        r.id: r
        for r in make_longform(
            list(clips.values()), load_noises(root / "noise"), count=args.count, seed=args.seed
        )
    }
    if args.id not in recs:
        ap.error(f"no recording {args.id!r}; the set has {', '.join(recs)}")
    rec = recs[args.id]
    x, gaps = rec.samples.copy(), rec.gaps
    spans = [(gaps[i].end, gaps[i + 1].start) for i in range(len(rec.parts))]
    levels = [percentile_db(x[a:b], 90) for a, b in spans]
    if args.part is not None and args.part not in rec.parts:
        ap.error(f"no utterance {args.part!r} in {rec.id}; it has {', '.join(rec.parts)}")
    i = int(np.argmin(levels)) if args.part is None else rec.parts.index(args.part)
    a, b = spans[i]
    if args.attenuate_db:
        x[a:b] *= np.float32(10 ** (-abs(args.attenuate_db) / 20))
        levels[i] = percentile_db(x[a:b], 90)
    ref = clips[rec.parts[i]].text
    before = percentile_db(x[gaps[i].start : gaps[i].end], 50)
    print(
        f"{rec.id} ({args.split}), utterance {i} {rec.parts[i]}: {a / SAMPLE_RATE:.1f}-"
        f"{b / SAMPLE_RATE:.1f} s, 90th percentile {levels[i]:.1f} dBFS, after {gaps[i].kind} at "
        f"{before:.1f} dBFS; {len(ref.split())} reference words: {ref!r}"
    )
    print("| recogniser | audio | rate | gain (dB) | words right | words written there |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for name in args.asr.split(","):
        asr = load_asr(name)
        hits, text = heard(asr, x, a, b, ref)
        print(f"| {name} | original | | | {hits} | {text} |")
        for rate in rates:
            out = sq.compress(x, sample_rate=SAMPLE_RATE, rate=rate)
            y = np.asarray(out.audio, np.float32)
            ca, cb = (int(out.timemap.to_compressed_samples(t)) for t in (a, b))
            for db in [0.0, *gains]:
                hits, text = heard(asr, with_gain(y, ca, cb, db) if db else y, ca, cb, ref)
                print(f"| {name} | compressed | {rate:g} | {db:g} | {hits} | {text} |")
            pause = x[max(a - SAMPLE_RATE, 0) : a]
            z = np.concatenate([y[:ca], pause, y[ca:]])
            hits, text = heard(asr, z, ca + len(pause), cb + len(pause), ref)
            print(
                f"| {name} | compressed, 1 s of the original pause back | {rate:g} | 0 | "
                f"{hits} | {text} |"
            )


if __name__ == "__main__":
    run_script(main)
