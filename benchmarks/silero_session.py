"""Can ONNX Runtime's session options, or a rewritten graph, make Silero faster without changing
what it says?

Runs the analyzer's Silero model (``vad.SileroVAD``, one thread) over the first ``--limit``
clips of a manifest with each session setting below, ``--rounds`` times each (the settings
taking turns, the first of a round a different one each round: run first, a setting came out
slower in stop 26), and prints whether its probabilities are the same bit for bit as the default
session's and its best speed (CPU time); then where the default session spends its time, by
operator type (ONNX Runtime's own profiler).

    taskset -c 1 python benchmarks/silero_session.py --data SUBSET --limit 60
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze import onnx_model, silero_graph
from audiosqueeze.datasets import from_manifest
from audiosqueeze.units import FRAME_SAMPLES
from audiosqueeze.vad import SileroVAD, find_silero_model


def session(rewritten: bool = False, **settings):
    """``(session, feeds)`` on the model as it is, or on ``silero_graph``'s rewrite of it."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads, so.log_severity_level = 1, 1, 3
    for name, value in settings.items():
        if name == "spinning":
            so.add_session_config_entry("session.intra_op.allow_spinning", value)
        elif name == "denormals":
            so.add_session_config_entry("session.set_denormal_as_zero", value)
        else:
            setattr(so, name, value)
    path, feeds = str(find_silero_model()), {}
    if rewritten:
        model, feeds = silero_graph.rewrite(onnx_model.load(path))
        path = model.SerializeToString()
    sess = ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])
    return sess, feeds


def probabilities(built, frames: np.ndarray) -> tuple[np.ndarray, float]:
    vad = SileroVAD()
    vad._session, vad._feeds = built  # the analyzer's batching and context, this session
    vad.reset()
    t = time.process_time()
    return vad.process(frames), time.process_time() - t


def main() -> None:
    import onnxruntime as ort

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("AUDIOSQUEEZE_DATA", "../shared/data"))
    ap.add_argument("--limit", type=whole(1), default=60)
    ap.add_argument("--rounds", type=whole(1), default=8, help="runs of each setting, taking turns")
    args = ap.parse_args()
    clips = from_manifest(args.data)[: args.limit]
    x = np.concatenate([u.load() for u in clips])
    frames = x[: len(x) // FRAME_SAMPLES * FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
    audio_s = len(frames) * FRAME_SAMPLES / sq.SAMPLE_RATE
    level = ort.GraphOptimizationLevel
    settings = {
        "default": {},
        "graph optimisation: basic": {"graph_optimization_level": level.ORT_ENABLE_BASIC},
        "graph optimisation: extended": {"graph_optimization_level": level.ORT_ENABLE_EXTENDED},
        "graph optimisation: off": {"graph_optimization_level": level.ORT_DISABLE_ALL},
        "no memory arena": {"enable_cpu_mem_arena": False},
        "no memory pattern": {"enable_mem_pattern": False},
        "no spinning": {"spinning": "0"},
        # not the process's first session (the reference is), so it leaves the calling
        # thread's floating-point mode alone, as a library must
        "subnormals flushed to zero": {"denormals": "1"},
        # the analyzer's default where the result is the same (audiosqueeze.silero_graph)
        "first convolutions as matrix products": {"rewritten": True},
    }
    reference, _ = probabilities(session(), frames)
    print(f"{len(clips)} clips, {audio_s:.0f} s; Silero {find_silero_model().name}")
    print(f"| session | probabilities | best of {args.rounds} |")
    print("| --- | --- | ---: |")
    sessions = {name: session(**kw) for name, kw in settings.items()}
    runs = collections.defaultdict(list)
    names = list(sessions)
    for r in range(args.rounds):  # the settings take turns, so drift falls on all alike,
        for name in names[r % len(names) :] + names[: r % len(names)]:  # each first in turn
            runs[name].append(probabilities(sessions[name], frames))
    for name, done in runs.items():
        same = all(np.array_equal(p, reference) for p, _ in done)
        best = min(t for _, t in done)
        print(f"| {name} | {'the same' if same else 'DIFFERENT'} | {audio_s / best:.0f}x |")
    with tempfile.TemporaryDirectory() as tmp:
        built = session(enable_profiling=True, profile_file_prefix=os.path.join(tmp, "silero"))
        probabilities(built, frames)
        events = json.loads(Path(built[0].end_profiling()).read_text())
    spent = collections.Counter()
    for e in events:
        if e.get("cat") == "Node":
            spent[e["args"].get("op_name", "?")] += e["dur"]
    total = sum(spent.values())
    print("| operator | share of the model's time |")
    print("| --- | ---: |")
    for op, us in spent.most_common(8):
        print(f"| {op} | {100 * us / total:.1f} % |")


if __name__ == "__main__":
    run_script(main)
