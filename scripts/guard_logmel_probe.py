"""Would log-mel statistics make the quality guard rank risk better? (dev labels only)

The issue asks for the guard's features to include log-mel statistics. This adds, to each
labelled window of ``scripts/guard_labels.py``, statistics of the log-mel spectrogram that
Whisper itself computes (faster-whisper's ``FeatureExtractor``: 80 bands, 10 ms hop, on the
original clip), and scores the same held-out folds as ``scripts/train_guard.py`` with and
without them: ROC-AUC of the risk against the label, per recogniser and speed.

    python scripts/guard_logmel_probe.py --data ../shared/data \\
        guard-labels/whisper-tiny.en.jsonl guard-labels/whisper-base.jsonl

Needs the ``[train]`` and ``[whisper]`` extras. Nothing is written: it prints a table.

The statistics of a window (its frames of the clip's log-mel, in Whisper's scale):
level (mean over bands and frames) relative to the clip's speech; the spread of the frame
level; spectral tilt (high half of the bands minus the low half); the mean absolute change
from frame to frame (how fast the spectrum moves); the share of cells at Whisper's floor
(the clip's maximum minus 8); and the mean of eight groups of ten bands relative to the
window's level (a coarse spectral shape).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import numpy as np

HOP_S = 0.01
NAMES = (
    "mel_level_rel",
    "mel_level_std",
    "mel_tilt",
    "mel_delta",
    "mel_floor_share",
    *(f"mel_band{i}" for i in range(8)),
)


def logmel(samples: np.ndarray) -> np.ndarray:
    """``(80, frames)`` Whisper log-mel of 16 kHz samples (before Whisper's rescaling)."""
    from faster_whisper.feature_extractor import FeatureExtractor

    return FeatureExtractor()(samples, padding=0)


def window_stats(mel: np.ndarray, start_s: float, end_s: float, clip_level: float) -> list:
    a = max(0, int(start_s / HOP_S))
    b = min(mel.shape[1], max(a + 2, int(np.ceil(end_s / HOP_S))))
    w = mel[:, a:b]
    frame = w.mean(axis=0)
    level = float(frame.mean())
    bands = w.reshape(8, 10, -1).mean(axis=(1, 2)) - level
    return [
        level - clip_level,
        float(frame.std()),
        float(w[40:].mean() - w[:40].mean()),
        float(np.abs(np.diff(w, axis=1)).mean()) if w.shape[1] > 1 else 0.0,
        float((w <= mel.max() - 8.0 + 1e-6).mean()),
        *bands.tolist(),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("labels", nargs="+")
    ap.add_argument("--data", default=None)
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    import audiosqueeze as sq
    from audiosqueeze.datasets import data_root

    spec = importlib.util.spec_from_file_location(
        "train_guard", Path(__file__).with_name("train_guard.py")
    )
    tg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tg)
    rows, x, y, group = tg.load(args.labels)
    root = data_root(args.data)
    where = {
        r["id"]: r["path"]
        for r in map(json.loads, (root / "manifest.jsonl").read_text().splitlines())
    }
    mels: dict[str, tuple[np.ndarray, float]] = {}
    extra = []
    for r in rows:
        if r["id"] not in mels:
            mel = logmel(sq.load(root / where[r["id"]]).samples)
            frame = mel.mean(axis=0)
            mels[r["id"]] = (mel, float(np.percentile(frame, 90)))
        mel, clip_level = mels[r["id"]]
        extra.append(window_stats(mel, r["start_s"], r["end_s"], clip_level))
    extra = np.asarray(extra, np.float32)
    # the speed stays the last column, as train_guard expects
    x_mel = np.hstack([x[:, :-1], extra, x[:, -1:]])
    x_only = np.hstack([extra, x[:, -1:]])
    print(f"{len(y)} windows, {y.mean():.3f} positive, {len(mels)} clips")
    runs = {
        "cues (today)": tg.evaluate(rows, x, y, group, args.folds, "gbt"),
        "cues + log-mel": _evaluate(tg, rows, x_mel, y, group, args.folds),
        "log-mel only": _evaluate(tg, rows, x_only, y, group, args.folds),
    }
    print("| recogniser | speed | " + " | ".join(runs) + " |")
    print("| --- | --- |" + " ---: |" * len(runs))
    first = next(iter(runs.values()))
    for asr, part in first.items():
        pooled = [str(r[asr]["guard"]["auc"]) for r in runs.values()]
        print(f"| {asr} | all | " + " | ".join(pooled) + " |")
        for s in part["per_speed"]:
            cells = [str(r[asr]["per_speed"][s]["guard"]["auc"]) for r in runs.values()]
            print(f"| {asr} | {s} | " + " | ".join(cells) + " |")


def _evaluate(tg, rows, x, y, group, folds):
    """train_guard.evaluate's guard scores for features other than the analysis cues (its
    complexity baseline reads a fixed column, so it is not scored here)."""
    from sklearn.model_selection import GroupKFold

    guard = np.zeros(len(y))
    for tr, te in GroupKFold(folds).split(x, y, group):
        guard[te] = tg.model("gbt").fit(x[tr], y[tr]).predict_proba(x[te])[:, 1]
    asr = np.array([r["asr"] for r in rows])
    speed = x[:, -1]
    out = {}
    for name in sorted(set(asr)):
        m = asr == name
        out[name] = {"guard": tg.scores(y[m], guard[m]), "per_speed": {}}
        for s in sorted(set(speed[m])):
            k = m & (speed == s)
            out[name]["per_speed"][str(s)] = {"guard": tg.scores(y[k], guard[k])}
    return out


if __name__ == "__main__":
    main()
