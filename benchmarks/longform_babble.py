"""How much of each planted stretch of the generated long-form recordings the output keeps, and
whether the analysis' own cues could tell planted babble from the utterances. No recogniser.

For each recording of the split's long-form sets (the recordings ``audiosqueeze bench
--datasets longform --seed S`` makes), compresses it at each ``--rates`` value and adds up, per
kind of planted stretch (silence, noise, hum, babble), the planted seconds and the seconds of
output they became (through the time map). With ``--cues``, also compares the frames the
analysis calls speech inside planted babble with those inside the utterances: Silero's
probability, the frame level against the recording's 90th-percentile speech-frame level, and
the frame's periodicity (the highest normalised autocorrelation at a pitch lag of 62-400 Hz),
as percentiles.

    python benchmarks/longform_babble.py --data ../shared/data --split test --seeds 0,1,2,3 \\
        --rates 0.5,0.75 --cues
"""

from __future__ import annotations

import argparse
import collections

import numpy as np

import audiosqueeze as sq
from _script import run_script
from audiosqueeze.datasets import data_root
from audiosqueeze.datasets.longform import KINDS, longform_set
from audiosqueeze.units import FRAME_SAMPLES, SAMPLE_RATE


def kept_seconds(recording, timemap) -> dict[str, tuple[float, float]]:
    """Per planted kind: (planted seconds, output seconds they became)."""
    out: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])
    for g in recording.gaps:
        a, b = g.start / SAMPLE_RATE, g.end / SAMPLE_RATE
        out[g.kind][0] += b - a
        out[g.kind][1] += float(timemap.to_compressed(b) - timemap.to_compressed(a))
    return {k: (v[0], v[1]) for k, v in out.items()}


def periodicity(frames: np.ndarray) -> np.ndarray:
    """Per ``(n, FRAME_SAMPLES)`` frame, the highest normalised autocorrelation at lags of
    2.5-16 ms (pitch 62.5-400 Hz), each lag's sum scaled to the whole frame's length.

    >>> t = np.arange(2 * FRAME_SAMPLES) / SAMPLE_RATE
    >>> x = np.sin(2 * np.pi * 200 * t).reshape(2, FRAME_SAMPLES)
    >>> bool(periodicity(x).min() > 0.95)
    True
    """
    f = np.asarray(frames, np.float64)
    f = f - f.mean(axis=1, keepdims=True)
    ac = np.fft.irfft(np.abs(np.fft.rfft(f, 2 * FRAME_SAMPLES)) ** 2)[:, :FRAME_SAMPLES]
    lags = np.arange(SAMPLE_RATE // 400, SAMPLE_RATE * 16 // 1000 + 1)
    r = ac[:, lags] / (ac[:, :1] + 1e-12) * (FRAME_SAMPLES / (FRAME_SAMPLES - lags))
    return r.max(axis=1)


def cues(recording) -> dict[str, np.ndarray]:
    """``{"utterance": (n, 3), "babble": (m, 3)}``: probability, relative level (dB) and
    periodicity of the frames the analysis calls speech, inside utterances and planted babble."""
    x = recording.samples
    a = sq.analyze(x, sample_rate=SAMPLE_RATE)
    n = len(x) // FRAME_SAMPLES
    label = np.full(n, "utterance", object)
    for g in recording.gaps:
        label[g.start // FRAME_SAMPLES : g.end // FRAME_SAMPLES] = g.kind
    rows, where = [], []
    for s in a.segments:
        if s.kind != "speech" or s.frames is None:
            continue
        first = s.start // FRAME_SAMPLES
        prob, level = np.asarray(s.frames["prob"]), np.asarray(s.frames["level"])
        k = min(len(prob), n - first)
        rows.append(np.c_[prob[:k], level[:k]])
        where.append(np.arange(first, first + k))
    if not rows:
        return {}
    v, idx = np.concatenate(rows), np.concatenate(where)
    lab = label[idx]
    if not np.any(lab == "utterance"):
        return {}
    v[:, 1] -= np.percentile(v[lab == "utterance", 1], 90)
    per = periodicity(x[: n * FRAME_SAMPLES].reshape(n, FRAME_SAMPLES)[idx])
    v = np.c_[v, per]
    return {k: v[lab == k] for k in ("utterance", "babble")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="data folder (else $AUDIOSQUEEZE_DATA or ../shared/data)")
    ap.add_argument("--split", default="dev", choices=("dev", "test"))
    ap.add_argument("--seeds", default="0", help="comma-separated long-form seeds")
    ap.add_argument("--rates", default="0.75", help="comma-separated rates")
    ap.add_argument("--cues", action="store_true", help="also compare the analysis' cues")
    args = ap.parse_args()
    root = data_root(args.data)
    rates = [float(r) for r in args.rates.split(",")]
    recs = [r for s in args.seeds.split(",") for r in longform_set(root, args.split, seed=int(s))]
    total = {rate: collections.defaultdict(lambda: [0.0, 0.0]) for rate in rates}
    seconds = {rate: [0.0, 0.0] for rate in rates}  # input, output
    found: dict[str, list] = collections.defaultdict(list)
    for r in recs:
        for rate in rates:
            out = sq.compress(r.samples, sample_rate=SAMPLE_RATE, rate=rate)
            seconds[rate][0] += len(r.samples) / SAMPLE_RATE
            seconds[rate][1] += len(out.audio) / SAMPLE_RATE
            for kind, (planted, kept) in kept_seconds(r, out.timemap).items():
                total[rate][kind][0] += planted
                total[rate][kind][1] += kept
        if args.cues:
            for k, v in cues(r).items():
                found[k].append(v)
    print(f"{args.split}, seeds {args.seeds}: {len(recs)} recordings\n")
    head = " | ".join(f"{k}: planted s, kept s (share)" for k in KINDS)
    print(f"| rate | input s | output s | {head} |")
    print("| ---: | ---: | ---: |" + " --- |" * len(KINDS))
    for rate, kinds in total.items():
        cells = []
        for k in KINDS:
            planted, kept = kinds[k]
            cells.append(f"{planted:.0f}, {kept:.1f} ({100 * kept / max(planted, 1e-9):.1f} %)")
        into, out_s = seconds[rate]
        print(f"| {rate:g} | {into:.0f} | {out_s:.0f} | " + " | ".join(cells) + " |")
    if args.cues:
        print("\n| speech frames in | frames | probability p10 / p50 / p90 | "
              "level vs speech p10 / p50 / p90 (dB) | periodicity p10 / p50 / p90 |")  # fmt: skip
        print("| --- | ---: | --- | --- | --- |")
        for k in ("utterance", "babble"):
            v = np.concatenate(found[k]) if found[k] else np.zeros((0, 3))
            if not len(v):
                continue
            p = [np.percentile(v[:, j], [10, 50, 90]) for j in range(3)]
            cells = [" / ".join(f"{q:.2f}" for q in p[0]), " / ".join(f"{q:.1f}" for q in p[1]),
                     " / ".join(f"{q:.2f}" for q in p[2])]  # fmt: skip
            print(f"| {k} | {len(v)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    run_script(main)
