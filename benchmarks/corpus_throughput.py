"""Corpus throughput: one process, a pool of 2, and Ray with 2 CPUs on the same clips.

Prints files/s and x real time (seconds of input audio per second of wall time) for each way,
Ray's start-up, and Ray's per-item overhead: the same Ray Data pipeline (one item per block,
actor pool of 2) with a stage that does nothing, timed per item. Every run starts from an
empty output folder, and the three output folders are checked to hold the same samples.

    python benchmarks/corpus_throughput.py --data ../shared/data --clips 60
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from _script import run_script, whole
from audiosqueeze.corpus import CorpusOptions, run_corpus

DEV = ("train-clean-5", "cv-valid-dev")


def clips(data: Path, n: int) -> list[Path]:
    """The first ``n`` dev clips, alternating LibriSpeech and Common Voice."""
    rows = [json.loads(line) for line in (data / "manifest.jsonl").read_text().splitlines()]
    by_split = [[data / r["path"] for r in rows if r["split"] == s] for s in DEV]
    mixed = [p for pair in zip(*by_split, strict=False) for p in pair]
    return mixed[:n]


def same_outputs(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in (a / "audio").iterdir())
    if names != sorted(p.name for p in (b / "audio").iterdir()):
        return False
    for name in names:
        x = sf.read(a / "audio" / name, dtype="int16")[0]
        if not np.array_equal(x, sf.read(b / "audio" / name, dtype="int16")[0]):
            return False
    return True


class _Noop:
    def __call__(self, batch):
        return {"record": np.array([json.dumps({"ok": True}) for _ in batch["task"]], object)}


def _noop_pipeline(n: int) -> float:
    import ray

    rows = [{"task": json.dumps({"key": str(i)})} for i in range(n)]
    start = time.perf_counter()
    ds = ray.data.from_items(rows, override_num_blocks=n)
    ds = ds.map_batches(_Noop, batch_size=1, compute=ray.data.ActorPoolStrategy(size=2),
                        num_cpus=1)  # fmt: skip
    assert sum(1 for _ in ds.iter_rows()) == n
    return time.perf_counter() - start


def ray_overhead(n: int) -> tuple[float, float]:
    """``(per item s, fixed s)`` of the corpus job's Ray Data pipeline around a stage doing
    nothing: the slope and intercept of its wall time over ``n`` and ``2 n`` items."""
    once, twice = _noop_pipeline(n), _noop_pipeline(2 * n)
    per_item = (twice - once) / n
    return per_item, once - n * per_item


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (the pool's workers)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("AUDIOSQUEEZE_DATA",
                    Path(__file__).resolve().parents[2] / "shared" / "data")))  # fmt: skip
    ap.add_argument("--clips", type=whole(1), default=60)
    ap.add_argument("--rate", type=float, default=0.5)
    args = ap.parse_args()
    files = clips(args.data, args.clips)
    audio_s = sum(sf.info(str(f)).duration for f in files)
    options = CorpusOptions(rate=args.rate)
    print(f"{len(files)} clips, {audio_s / 60:.1f} min of audio; rate {args.rate}; "
          f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
          f"load average before: {os.getloadavg()[0]:.2f}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        for f in files:
            shutil.copy(f, src / f.name)
        rows = []
        for label, kwargs in (("1 process (--jobs 1)", {"jobs": 1}),
                              ("process pool (--jobs 2)", {"jobs": 2})):  # fmt: skip
            out = Path(tmp) / label.split()[0]
            cpu, t = _cpu_s(), time.perf_counter()
            summary = run_corpus(src, out, options, **kwargs)
            rows.append((label, summary.ok, time.perf_counter() - t, out, _cpu_s() - cpu))
        from audiosqueeze.ray import connect

        t = time.perf_counter()
        ray, _ = connect("local", 2)
        startup = time.perf_counter() - t
        out = Path(tmp) / "ray"
        t = time.perf_counter()
        summary = run_corpus(src, out, options, jobs=2, ray="local")
        rows.append(
            ("Ray, 2 CPUs (--ray --jobs 2)", summary.ok, time.perf_counter() - t, out, None)
        )
        per_item, fixed = ray_overhead(len(files))
        ray.shutdown()
        print("\n| way | files ok | wall s | files/s | x real time | CPU s (all processes) |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for label, ok, wall, _, cpu in rows:
            shown = "n/a (Ray workers)" if cpu is None else f"{cpu:.2f}"
            print(f"| {label} | {ok} | {wall:.2f} | {ok / wall:.2f} | {audio_s / wall:.0f} "
                  f"| {shown} |")  # fmt: skip
        print(f"\nRay start-up (ray.init, local, 2 CPUs; not in the Ray row): {startup:.2f} s")
        print(f"Ray overhead (same pipeline, a stage doing nothing, {len(files)} and "
              f"{2 * len(files)} items): {per_item * 1000:.1f} ms per item + {fixed:.2f} s "
              "per run (actor pool start-up)")  # fmt: skip
        same = all(same_outputs(rows[0][3], r[3]) for r in rows[1:])
        print(f"outputs identical across the three ways: {same}")
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    run_script(main)
