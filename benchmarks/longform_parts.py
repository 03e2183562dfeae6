"""What the analysis keeps of each utterance of a generated long-form recording, and the level of
the stretch before it. No recogniser is run: this finds utterances cut as non-speech.

For one recording of the split's long-form set (the same recordings ``audiosqueeze bench
--datasets longform`` makes, by seed), prints per utterance: the planted stretch before it (its
kind and median frame level), the utterance's median and 90th-percentile frame level, and the
share of its samples the analysis calls speech, once per decay rate of the VAD gain's
envelope (``vad.LevelGain(decay_db_per_s=)``; 3 dB/s is the default). With ``--silero``, also
the share of its frames Silero calls speech (probability > 0.5) hearing the recording through
the default gain, and the same with Silero's recurrent state reset where the utterance starts
(an oracle no causal analyzer has: it shows what the state carried over from before costs).

    python benchmarks/longform_parts.py --data ../shared/data --split test --id longform-0-03 \\
        --decay 3,10,20
"""

from __future__ import annotations

import argparse
import functools
import importlib

import numpy as np

import audiosqueeze as sq
from _script import number_list, run_script, whole
from audiosqueeze.datasets import data_root
from audiosqueeze.datasets.longform import longform_set
from audiosqueeze.features import level_db
from audiosqueeze.units import FRAME_SAMPLES
from audiosqueeze.vad import LevelGain, NoiseFloorTracker, SileroVAD

_analyze = importlib.import_module("audiosqueeze.analyze")  # the module, not the function


def speech_mask(x: np.ndarray, decay_db_per_s: float) -> np.ndarray:
    """Samples the default analysis calls speech, its VAD gain's envelope decaying as given."""
    original = _analyze.LevelGain
    _analyze.LevelGain = functools.partial(LevelGain, decay_db_per_s=decay_db_per_s)
    try:
        a = sq.analyze(x, sq.AnalyzeOptions(), sample_rate=sq.SAMPLE_RATE)
    finally:
        _analyze.LevelGain = original
    mask = np.zeros(len(x), bool)
    for s in a.segments:
        if s.kind == "speech":
            mask[s.start : s.end] = True
    return mask


def silero_shares(x: np.ndarray, level: np.ndarray, parts: list[tuple[int, int]]):
    """Per utterance (frame ranges): Silero's speech-frame share through the default gain, as
    the analyzer wires it, and with its state reset at the utterance's first frame."""
    frames = x[: len(level) * FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
    floor = NoiseFloorTracker().update(level)
    heard = LevelGain().process(frames, level, floor)
    vad = SileroVAD()
    vad.reset()
    as_wired = vad.process(heard) > 0.5
    out = []
    for a, b in parts:
        vad.reset()  # as the analyzer's own reset (vad_reset_ms) does
        reset = vad.process(heard[a:b]) > 0.5
        out.append((as_wired[a:b].mean(), reset.mean()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help="the shared data folder (or $AUDIOSQUEEZE_DATA)")
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--id", default="longform-0-00", help="which recording (longform-SEED-NN)")
    ap.add_argument("--seed", type=whole(0), default=0)
    ap.add_argument("--count", type=whole(1), default=6, help="recordings in the set (as bench)")
    ap.add_argument(
        "--decay",
        type=number_list("3,10,20"),
        default=[3.0],
        help="comma-separated envelope decays, dB/s",
    )
    ap.add_argument("--silero", action="store_true", help="also Silero's own speech frames")
    args = ap.parse_args()
    if any(not d >= 0 for d in args.decay):  # a negative decay would raise the envelope
        raise sq.OptionsError(f"--decay must be numbers >= 0 dB/s, got {args.decay}")
    root = data_root(args.data)
    recs = longform_set(root, args.split, seed=args.seed, count=args.count)
    by_id = {r.id: r for r in recs}
    if args.id not in by_id:
        raise sq.OptionsError(f"no recording {args.id!r}; the set has {', '.join(by_id)}")
    rec = by_id[args.id]
    x, gaps = rec.samples, rec.gaps
    level = level_db(x[: len(x) // FRAME_SAMPLES * FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES))
    decays = args.decay
    masks = [speech_mask(x, d) for d in decays]
    print(f"{rec.id} ({args.split}): {len(x) / sq.SAMPLE_RATE:.1f} s, {len(rec.parts)} utterances")
    head = " | ".join(f"speech, {d:g} dB/s" for d in decays)
    spans = [
        (g.end // FRAME_SAMPLES, gaps[i + 1].start // FRAME_SAMPLES)
        for i, g in enumerate(gaps[:-1])
    ]
    extra = silero_shares(x, level, spans) if args.silero else None
    if extra:
        head += " | Silero frames | Silero frames, state reset at the start"
    print(f"| # | utterance | stretch before | its level | utterance level (p50 / p90) | {head} |")
    print("| ---: | --- | --- | ---: | --- |" + " ---: |" * (len(decays) + 2 * bool(extra)))
    for i, part in enumerate(rec.parts):
        g, a, b = gaps[i], gaps[i].end, gaps[i + 1].start
        lv = level[a // FRAME_SAMPLES : b // FRAME_SAMPLES]
        before = level[g.start // FRAME_SAMPLES : a // FRAME_SAMPLES]
        cells = " | ".join(f"{m[a:b].mean():.2f}" for m in masks)
        if extra:
            cells += f" | {extra[i][0]:.2f} | {extra[i][1]:.2f}"
        print(
            f"| {i} | {part} | {g.kind} | {np.median(before):.1f} dBFS | "
            f"{np.median(lv):.1f} / {np.percentile(lv, 90):.1f} dBFS | {cells} |"
        )


if __name__ == "__main__":
    run_script(main)
