"""Does Silero hear a quiet recording? Its speech frames at lower input levels, with and without
the VAD's input gain (``vad.LevelGain``), on dev clips only. No recogniser is run.

For each setting it prints: Silero's speech frames (probability > 0.5) at the recording's own
level, how many frame labels differ from no gain there (fewer is safer: the gain is meant for
quiet recordings), the share of those speech frames still found when the input is 20 and 40 dB
quieter, and the share of frames of the dev non-speech clips called speech.

    python benchmarks/vad_level.py --data ../shared/data --clips 240
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from _script import run_script, whole
from audiosqueeze.audio import load
from audiosqueeze.datasets import data_root
from audiosqueeze.features import level_db
from audiosqueeze.units import FRAME_SAMPLES
from audiosqueeze.vad import LevelGain, NoiseFloorTracker, SileroVAD

#: (label, LevelGain arguments or None for no gain); a floor of +200 dBFS never binds
SETTINGS = (
    ("no gain", None),
    ("-35 dBFS, 30 dB, no floor bound (first version)", (-35.0, 30.0, 200.0)),
    ("-35 dBFS, 30 dB, floor -55", (-35.0, 30.0, -55.0)),
    ("-35 dBFS, 30 dB, floor -60", (-35.0, 30.0, -60.0)),
    ("-35 dBFS, 30 dB, floor -65 (vad_max_gain_db=30)", (-35.0, 30.0, -65.0)),
    ("-45 dBFS, 30 dB, floor -65", (-45.0, 30.0, -65.0)),
    ("-45 dBFS, 30 dB, floor -70", (-45.0, 30.0, -70.0)),
    ("-50 dBFS, 30 dB, floor -65", (-50.0, 30.0, -65.0)),
)


def frames_of(path) -> np.ndarray:
    """A clip as whole 32-ms frames (the last partial frame dropped)."""
    x = load(path).samples
    return x[: len(x) // FRAME_SAMPLES * FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)


def speech_frames(vad: SileroVAD, frames: np.ndarray, setting) -> np.ndarray:
    """Silero's frame labels, hearing ``frames`` through the gain as the analyzer wires it."""
    if setting is not None:
        level = level_db(frames)
        floor = NoiseFloorTracker().update(level)
        frames = LevelGain(*setting).process(frames, level, floor)
    vad.reset()
    return vad.process(frames) > 0.5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help="the shared data folder (or $AUDIOSQUEEZE_DATA)")
    ap.add_argument("--clips", type=whole(1), default=240, help="dev speech clips, manifest order")
    args = ap.parse_args()
    root = data_root(args.data)
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]
    dev = [
        r
        for r in rows
        if r["split"] == "train-clean-5"
        or (r["dataset"] == "commonvoice" and r["split"] == "cv-valid-dev")
    ]
    dev = dev[: args.clips]  # in manifest order
    ns_root = root / "nonspeech"
    ns_rows = [json.loads(line) for line in (ns_root / "manifest.jsonl").read_text().splitlines()]
    speech = [frames_of(root / r["path"]) for r in dev]
    nonspeech = [frames_of(ns_root / r["path"]) for r in ns_rows if r["split"] == "dev"]
    vad = SileroVAD()
    print(f"{len(speech)} dev speech clips, {len(nonspeech)} dev non-speech clips")
    print(
        "| VAD input | speech frames | labels changed vs no gain | kept at -20 dB | kept at -40 dB "
        "| non-speech called speech |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    plain = [speech_frames(vad, f, None) for f in speech]
    for label, setting in SETTINGS:
        own = [speech_frames(vad, f, setting) for f in speech]
        n = sum(int(x.sum()) for x in own)
        changed = sum(int((a != b).sum()) for a, b in zip(plain, own, strict=True))
        kept = {
            g: sum(
                int(speech_frames(vad, f * np.float32(10 ** (g / 20)), setting).sum())
                for f in speech
            )
            / n
            for g in (-20, -40)
        }
        ns = sum(int(speech_frames(vad, f, setting).sum()) for f in nonspeech)
        ns_share = ns / max(1, sum(len(f) for f in nonspeech))
        print(f"| {label} | {n} | {changed} | {kept[-20]:.1%} | {kept[-40]:.1%} | {ns_share:.2%} |")


if __name__ == "__main__":
    run_script(main)
