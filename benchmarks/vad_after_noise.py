"""Is quiet speech heard right after loud noise? The analysis of dev clips that follow a
stretch of loud noise, against the same clips analysed alone. No recogniser is run.

Each dev clip is put after ``--noise-s`` seconds of a recording from the data's ``noise/``
folder at ``--noise-dbfs`` (RMS), once at the clip's own level and once ``--quieter-db``
quieter. Prints, per setting of ``AnalyzeOptions.vad_reset_drop_db`` (``20-vadonly``: 20 with
only Silero's state reset, the probe of ``sq-drop20-vadonly``; ``20-sure``: only after a second
of VAD probabilities under 0.1, ``sq-drop20-sure``), the share of the clip's
speech (its samples that the default analysis of the clip alone, at its own level, calls
speech) still called speech after the noise, and the share of the noise called speech.

    python benchmarks/vad_after_noise.py --data ../shared/data --clips 100 --drop 0,20
"""

from __future__ import annotations

import argparse

import numpy as np

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.bench.probes import gain_restart_probe
from audiosqueeze.datasets import data_root, split_utterances
from audiosqueeze.datasets.longform import load_noises


def options_for(setting: str) -> sq.AnalyzeOptions:
    """The analysis options of a ``--drop`` setting: ``vad_reset_drop_db`` its number, the
    reset at any VAD probability (as ``sq-drop20``) unless it ends in ``-sure`` (only after a
    second of probabilities under 0.1, as ``sq-drop20-sure``)."""
    prob = 0.1 if setting.endswith("-sure") else 1.0
    db = float(setting.split("-")[0])
    return sq.AnalyzeOptions(vad_reset_drop_db=db, vad_reset_drop_max_prob=prob)


def speech_mask(x: np.ndarray, options: sq.AnalyzeOptions, setting: str = ""):
    """Which samples of ``x`` the analysis calls speech (with ``setting`` ending in
    ``-vadonly``, only Silero's state resets where loud non-speech ends, as
    ``sq-drop20-vadonly``)."""
    with gain_restart_probe(not setting.endswith("-vadonly")):
        a = sq.analyze(x, options, sample_rate=sq.SAMPLE_RATE)
    mask = np.zeros(len(x), bool)
    for s in a.segments:
        if s.kind == "speech":
            mask[s.start : s.end] = True
    return mask


def at_dbfs(x: np.ndarray, dbfs: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) or 1.0
    return (x * (10 ** (dbfs / 20) / rms)).astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help="the shared data folder (or $AUDIOSQUEEZE_DATA)")
    ap.add_argument("--clips", type=whole(1), default=100, help="dev clips per dataset")
    ap.add_argument("--drop", default="0,20", help="vad_reset_drop_db settings to compare")
    ap.add_argument("--noise-s", type=float, default=5.0)
    ap.add_argument("--noise-dbfs", type=float, default=-30.0)
    ap.add_argument("--quieter-db", type=float, default=35.0)
    args = ap.parse_args()
    root = data_root(args.data)
    noises = load_noises(root / "noise")
    n = int(args.noise_s * sq.SAMPLE_RATE)
    settings = args.drop.split(",")
    print(
        f"{args.noise_s:g} s of noise at {args.noise_dbfs:g} dBFS before each clip; the clip's "
        f"speech (analysed alone) still called speech, and the noise called speech"
    )
    print(
        "| dataset | clips | setting | own level | " + f"{args.quieter_db:g} dB quieter | noise |"
    )
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    pooled = {d: np.zeros(4) for d in settings}
    for ds in ("librispeech", "commonvoice", "both"):
        if ds == "both":
            report("both", 2 * args.clips, pooled)
            break
        clips = split_utterances(root, "dev", ds)[: args.clips]
        sums = {d: np.zeros(4) for d in settings}  # kept own, kept quiet, speech, noise called
        for i, u in enumerate(clips):
            x = u.load()
            ref = speech_mask(x, sq.AnalyzeOptions())
            pool = noises[i % len(noises)]
            noise = at_dbfs(np.resize(pool, n), args.noise_dbfs)
            for d in settings:
                o = options_for(d)
                own = speech_mask(np.concatenate([noise, x]), o, d)
                quiet_x = x * 10 ** (-args.quieter_db / 20)
                quiet = speech_mask(np.concatenate([noise, quiet_x]), o, d)
                sums[d] += (
                    (own[n:] & ref).sum(),
                    (quiet[n:] & ref).sum(),
                    ref.sum(),
                    own[:n].mean(),
                )
        for d in settings:
            pooled[d] += sums[d]
        report(ds, len(clips), sums)


def report(name: str, clips: int, sums: dict) -> None:
    """One row per setting: the speech kept at the clip's own level and quieter, and the mean
    share of the noise called speech (speech shares pooled over the clips' speech samples)."""
    for d, (own, quiet, total, noise_called) in sums.items():
        print(
            f"| {name} | {clips} | drop {d} dB | {own / total:.3f} | "
            f"{quiet / total:.3f} | {noise_called / clips:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    run_script(main)
