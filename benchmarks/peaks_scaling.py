"""How ``features.peaks`` (syllable nuclei) scales with the length of what it reads.

A speech segment's band envelope has one value per 32-ms frame, so ``max_segment_ms`` of one
hour (the largest allowed) hands it 112,500 values. Prints milliseconds per call on a smoothed
random envelope of each length, and ``scipy.signal.find_peaks`` (the same peaks) for scale.

    python benchmarks/peaks_scaling.py --lengths 313,2000,20000,112500
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _script import number_list, run_script, whole
from audiosqueeze.errors import OptionsError
from audiosqueeze.features import peaks


def _ms_per_call(fn, x: np.ndarray, seconds: float = 0.5) -> float:
    calls, t0 = 0, time.perf_counter()
    while True:
        fn(x)
        calls += 1
        if (elapsed := time.perf_counter() - t0) >= seconds:
            return 1000 * elapsed / calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lengths", type=number_list("313,2000"), default=[313, 2000, 20000, 112500])
    ap.add_argument("--seed", type=whole(0), default=0)
    args = ap.parse_args()
    if any(n < 1 or n != int(n) for n in args.lengths):
        raise OptionsError(f"--lengths must be whole numbers >= 1, got {args.lengths}")
    from scipy.signal import find_peaks

    rng = np.random.default_rng(args.seed)
    print("| values | peaks | features.peaks ms | scipy find_peaks ms |")
    print("| ---: | ---: | ---: | ---: |")
    for n in args.lengths:
        n = int(n)
        x = np.convolve(rng.normal(0, 5, n), np.ones(3) / 3, mode="same")
        got = peaks(x, 4.0, 3)
        assert got.tolist() == find_peaks(x, prominence=4.0, distance=3)[0].tolist()
        ours = _ms_per_call(lambda v: peaks(v, 4.0, 3), x)
        ref = _ms_per_call(lambda v: find_peaks(v, prominence=4.0, distance=3), x)
        print(f"| {n} | {len(got)} | {ours:.3f} | {ref:.3f} |")


if __name__ == "__main__":
    run_script(main)
