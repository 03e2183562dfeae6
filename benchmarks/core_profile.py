"""Where the core's time goes: CPU seconds per stage of ``sq.compress`` on every clip of a data set.

Each stage's methods are wrapped with a CPU-time counter (``time.process_time``), so the
numbers are what this process spent, not wall time, and the stages nest: "analysis" holds
"Silero" and "segments"; "render" holds "WSOLA". Also times the variable-rate WSOLA alone on
a fixed synthetic signal (the best of five), which moves only when the renderer's code does.

    taskset -c 0 python benchmarks/core_profile.py --data ../shared/data --rate 0.75 [--limit N]

Run it pinned to one core; compare two commits by running it at each, alternating, since
this machine's speed drifts by about 15 % between runs.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import json
import os
import time
from pathlib import Path

import numpy as np

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.tsm import wsola_curve
from audiosqueeze.vad import SileroVAD

# (module, class, method, stage); the analyzer's submodule, not the function of the same name
STAGES = (
    ("audiosqueeze.analyze", "Analyzer", "push", "analysis"),
    ("audiosqueeze.analyze", "Analyzer", "flush", "analysis"),
    ("audiosqueeze.vad", "SileroVAD", "process", "  Silero (ONNX)"),
    ("audiosqueeze.analyze", "Analyzer", "_segment", "  segments (describe, store)"),
    ("audiosqueeze.plan", "Planner", "push", "plan"),
    ("audiosqueeze.plan", "Planner", "flush", "plan"),
    ("audiosqueeze.render", "Renderer", "pull", "render"),
    ("audiosqueeze.tsm", "CurveWSOLA", "render", "  WSOLA"),
)


def instrument(spent: dict):
    """Wrap each stage's methods so that they add their CPU time to ``spent[stage]``; returns
    a function that puts the original methods back."""
    originals = []
    for module, cls_name, method, stage in STAGES:
        cls = getattr(importlib.import_module(module), cls_name)
        original = cls.__dict__[method]
        originals.append((cls, method, original))

        def timed(*a, _f=original, _stage=stage, **k):
            t = time.process_time()
            try:
                return _f(*a, **k)
            finally:
                spent[_stage] += time.process_time() - t

        setattr(cls, method, timed)

    def restore() -> None:
        for cls, method, original in originals:
            setattr(cls, method, original)

    return restore


def wsola_alone() -> float:
    """x real time of the variable-rate WSOLA on 120 s of noise at speeds 1-1.8 (best of 5)."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(16000 * 120) * 0.1).astype(np.float32)
    ins = np.linspace(0, len(x), 600).round().astype(int)
    outs = np.concatenate([[0], np.cumsum(np.round(np.diff(ins) / rng.uniform(1, 1.8, 599)))])
    best = float("inf")
    for _ in range(5):
        t = time.process_time()
        wsola_curve(x, ins, outs.astype(int))
        best = min(best, time.process_time() - t)
    return 120.0 / best


def silero_alone(model_path) -> float:
    """x real time of Silero on 4.4 minutes of noise, one ONNX run (best of 5)."""
    vad = SileroVAD(model_path)
    frames = (np.random.default_rng(1).standard_normal((8192, 512)) * 0.05).astype(np.float32)
    best = float("inf")
    for _ in range(5):
        vad.reset()
        t = time.process_time()
        vad.process(frames)
        best = min(best, time.process_time() - t)
    return 8192 * 0.032 / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("AUDIOSQUEEZE_DATA", "../shared/data"))
    ap.add_argument("--rate", type=float, default=0.75)
    ap.add_argument("--limit", type=whole(0), default=0, help="clips (manifest order; 0 = all)")
    args = ap.parse_args()
    root = Path(args.data)
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r["dataset"] in ("librispeech", "commonvoice")]
    rows = rows[: args.limit] if args.limit else rows
    audio = [sq.load(root / r["path"]) for r in rows]
    seconds = sum(a.duration_s for a in audio)
    opts = sq.AnalyzeOptions(num_threads=1)
    sq.compress(audio[0], args.rate, analyze_options=opts)  # load the model before timing
    print(f"WSOLA alone: {wsola_alone():.0f}x real time (CPU)")
    print(f"Silero alone: {silero_alone(opts.vad_model_path):.0f}x real time (CPU)")
    spent: dict = collections.defaultdict(float)
    instrument(spent)
    t = time.process_time()
    for a in audio:
        sq.compress(a, args.rate, analyze_options=opts)
    total = time.process_time() - t
    print(
        f"\n{len(audio)} clips, {seconds / 60:.1f} min, rate {args.rate}: {total:.2f} s CPU, "
        f"{seconds / total:.0f}x real time (CPU)"
    )
    print("| stage | CPU s | share |\n| --- | ---: | ---: |")
    for stage in dict.fromkeys(s for *_, s in STAGES):
        print(f"| {stage} | {spent[stage]:.2f} | {spent[stage] / total:.0%} |")


if __name__ == "__main__":
    run_script(main)
