"""Make the quality guard's training labels on the **dev** split (never test).

For each dev clip: transcribe the original, then the clip with pauses cut (rate 1) and all
speech sped up uniformly by each of ``--speeds``; map the compressed words back to original
time through the time map; align them with the original's words; and label every speech
window (the planner's windows, :mod:`audiosqueeze.curve`) 1 when a word there was lost,
changed or inserted, else 0. One row per (clip, recogniser, speed, window): the window's
features (read from its speech run up to the window's end, as the planner reads them:
:mod:`audiosqueeze.context`), the speed, the label.

    python scripts/guard_labels.py --data ../shared/data --per-dataset 70 \\
        --asr whisper-tiny.en --out guard-labels/tiny.jsonl

Transcripts are cached under ``--cache`` (a rerun is cheap).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
from pathlib import Path

import numpy as np

import audiosqueeze as sq
from audiosqueeze import context, curve
from audiosqueeze.asr import load_asr
from audiosqueeze.bench.cache import TranscriptCache
from audiosqueeze.datasets import data_root, sample_split
from audiosqueeze.units import ms_to_samples

SPEEDS = (1.0, 1.3, 1.6, 1.9)
#: The analysis the labels are made with. Its segments run up to 10 s, as when the shipped
#: guard's labels were made: with the default 64-ms pieces no span reaches the planner's
#: ``min_stretch_ms`` and no window would be labelled.
ANALYZE = sq.AnalyzeOptions(max_segment_ms=10_000.0)


def norm(word: str) -> str:
    return re.sub(r"[^a-z0-9']", "", word.lower())


def transcribe(cache: TranscriptCache, asr, samples: np.ndarray) -> sq.Transcript:
    key = cache.key(samples, asr.config)
    hit = cache.get(key)
    if hit is not None:
        return hit[0]
    t = asr.transcribe(samples)
    cache.put(key, t, 0.0)
    return t


def changed_times(orig: tuple, comp: tuple) -> list[float]:
    """Original-time midpoints of every word lost, changed or inserted."""
    a = [norm(w.text) for w in orig]
    b = [norm(w.text) for w in comp]
    out = []
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        out += [(w.start_s + w.end_s) / 2 for w in orig[i1:i2]]
        out += [(w.start_s + w.end_s) / 2 for w in comp[j1:j2]]
    return out


def speech_windows(analysis, options) -> list[tuple]:
    """(run, [(start, end), ...]) for every speech span the planner would speed up, with the
    speech run it lies in (what :func:`audiosqueeze.context.context_features` reads)."""
    out = []
    min_n = ms_to_samples(options.min_stretch_ms)
    runs = context.speech_runs(analysis.segments)
    starts = np.array([r.start for r in runs], np.int64)
    for seg in analysis.segments:
        if seg.kind != "speech" or seg.frames is None:
            continue
        run = runs[int(np.searchsorted(starts, seg.start, side="right")) - 1]
        for kind, a, b in curve.layout(seg, options):
            if kind == "speech" and b - a >= min_n:
                out.append((run, curve.windows(a, b, options.window_ms)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--per-dataset", type=int, default=70)
    ap.add_argument("--asr", default="whisper-tiny.en")
    ap.add_argument("--speeds", default=",".join(map(str, SPEEDS)))
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--cache", default="guard-labels/cache")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    root = data_root(args.data)
    clips = sample_split(root, "dev", args.per_dataset, args.seed)
    asr = load_asr(args.asr)
    cache = TranscriptCache(Path(args.cache))
    speeds = [float(s) for s in args.speeds.split(",")]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with open(args.out, "w") as fh:
        for i, u in enumerate(clips):
            x = u.load()
            analysis = sq.analyze(x, ANALYZE, sample_rate=sq.SAMPLE_RATE)
            orig = transcribe(cache, asr, x).words
            for speed in speeds:
                opts = sq.PlanOptions(speed_policy="uniform", max_speed=speed)
                r = sq.compress(
                    x, 1.0, sample_rate=sq.SAMPLE_RATE, plan_options=opts, analysis=analysis
                )
                comp = r.timemap.remap_words(transcribe(cache, asr, r.audio).words)
                bad = np.array(changed_times(orig, comp))
                mids = np.array([(w.start_s + w.end_s) / 2 for w in orig])
                for run, spans in speech_windows(analysis, opts):
                    feats = context.context_features(run, spans, opts.window_ms)
                    for (a, b), f in zip(spans, feats, strict=True):
                        lo, hi = a / sq.SAMPLE_RATE, b / sq.SAMPLE_RATE
                        row = {
                            "id": u.id,
                            "dataset": u.dataset,
                            "asr": args.asr,
                            "speed": speed,
                            "start_s": lo,
                            "end_s": hi,
                            "words": int(np.sum((mids >= lo) & (mids < hi))),
                            "label": int(np.any((bad >= lo) & (bad < hi))),
                            "features": [round(float(v), 5) for v in f],
                        }
                        fh.write(json.dumps(row) + "\n")
                        rows += 1
            fh.flush()
            print(f"{i + 1}/{len(clips)} {u.id}", flush=True)
    if not rows:  # a labels file with nothing in it would train nothing, silently
        raise SystemExit(f"{args.out}: no speech window was long enough to label")
    print(f"{rows} windows -> {args.out}")


if __name__ == "__main__":
    main()
