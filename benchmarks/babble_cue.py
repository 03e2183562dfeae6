"""Could a small model tell planted babble from speech, from what the analysis already has?

A probe, not a product part. For every 32-ms frame the analysis calls speech, five features of
the window around it (the past 46 frames, the frame and 3 frames ahead, 1.6 s; 3 frames is
inside the analyser's label look-ahead, so a stream could compute them), all causal except
those 3 frames:

- ``range``: the 90th minus the 10th percentile of the frame levels (dB): one talker's
  syllables and gaps swing the level far more than six talkers at once;
- ``prob_mean``, ``prob_std``: Silero's probability over the window;
- ``level_step``: the mean absolute level change from frame to frame (dB);
- ``below_peak``: the window's median level under the loudest window's 95th percentile so far.

(A sixth, the window's 90th percentile of frame periodicity, flagged more real speech on
held-out dev and was dropped; docs/RESULTS.md.)

A gradient-boosted classifier (scikit-learn, the ``[train]`` extra) is fitted on long-form
recordings of some seeds (planted babble against the utterances; other planted stretches left
out) and judged on the other seeds, the split's LibriSpeech and Common Voice clips (speech only:
every flagged frame there is a false alarm) and, for the record, the test split. A frame is
flagged when the model's probability passes ``--threshold`` for ``--min-run`` frames in a row
(a causal run filter). The babble is reversed corpus speech (``datasets/longform.py``), so
what this finds is an upper bound on what the cue gives on real background talk.

    python benchmarks/babble_cue.py --data ../shared/data --train-split dev --train-seeds 0,1 \\
        --eval-seeds 2,3

``babble_oracle.py --mask detector`` uses :func:`fit` and :func:`flags` to zero the flagged
frames instead of the planted babble.
"""

from __future__ import annotations

import argparse
import collections

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import audiosqueeze as sq
from _script import run_script, whole
from audiosqueeze.datasets import data_root, split_utterances
from audiosqueeze.datasets.longform import longform_set
from audiosqueeze.units import FRAME_SAMPLES, SAMPLE_RATE

PAST, AHEAD = 46, 3
NAMES = ("range", "prob_mean", "prob_std", "level_step", "below_peak")
MONOTONE = (-1, 0, 0, -1, -1)


def _windows(v: np.ndarray, ahead: int) -> np.ndarray:
    p = np.pad(np.asarray(v, np.float64), (PAST, ahead), constant_values=np.nan)
    return sliding_window_view(p, PAST + ahead + 1)


def features(x: np.ndarray, ahead: int = AHEAD) -> tuple[np.ndarray, np.ndarray]:
    """``(X, speech)``: the ``(n, 5)`` features of every frame (its window: ``PAST`` frames
    before it, ``ahead`` after) and whether the analysis calls it speech with at least half a
    window of history (else it is never flagged)."""
    a = sq.analyze(x, sample_rate=SAMPLE_RATE)
    n = len(x) // FRAME_SAMPLES
    prob, speech = np.zeros(n), np.zeros(n, bool)
    for s in a.segments:
        if s.frames is None:
            continue
        i = s.start // FRAME_SAMPLES
        k = min(len(s.frames["prob"]), n - i)
        prob[i : i + k] = s.frames["prob"][:k]
        speech[i : i + k] = s.kind == "speech"
    f = np.asarray(x[: n * FRAME_SAMPLES], np.float64).reshape(n, FRAME_SAMPLES)
    db = 10 * np.log10(np.mean(f**2, axis=1) + 1e-10)
    w = _windows(db, ahead)
    with np.errstate(all="ignore"):
        q10, q50, q90, q95 = np.nanpercentile(w, [10, 50, 90, 95], axis=1)
        pw = _windows(prob, ahead)
        step = _windows(np.r_[0.0, np.abs(np.diff(db))], ahead)
        X = np.c_[
            q90 - q10,
            np.nanmean(pw, axis=1),
            np.nanstd(pw, axis=1),
            np.nanmean(step, axis=1),
            q50 - np.fmax.accumulate(q95),
        ]
    history = np.isnan(w).sum(axis=1) <= ahead + PAST // 2
    return np.nan_to_num(X), speech & history


def run_filter(hot: np.ndarray, min_run: int) -> np.ndarray:
    """True where ``hot`` has held for the last ``min_run`` frames (this one included).

    >>> run_filter(np.array([1, 1, 0, 1, 1, 1], bool), 2).astype(int).tolist()
    [0, 1, 0, 0, 1, 1]
    """
    out = np.zeros(len(hot), bool)
    count = 0
    for i, h in enumerate(hot):
        count = count + 1 if h else 0
        out[i] = count >= min_run
    return out


def labelled(recording, ahead: int = AHEAD) -> tuple[np.ndarray, np.ndarray]:
    """Features of a long-form recording's speech frames and their labels (1 babble, 0
    utterance, 2 another planted stretch)."""
    X, speech = features(recording.samples, ahead)
    label = np.zeros(len(X), int)
    for g in recording.gaps:
        label[g.start // FRAME_SAMPLES : g.end // FRAME_SAMPLES] = 1 if g.kind == "babble" else 2
    return X, np.where(speech, label, -1)


def fit(root, split: str, seeds: list[int], ahead: int = AHEAD):
    """The classifier, fitted on the babble and utterance speech frames of those seeds."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = [], []
    for seed in seeds:
        for rec in longform_set(root, split, seed=seed):
            f, lab = labelled(rec, ahead)
            keep = (lab == 0) | (lab == 1)
            X.append(f[keep])
            y.append(lab[keep])
    # Monotone where the physics says so: a wider level range, larger level steps and a level
    # nearer the loudest speech so far may only lower the babble score (an unconstrained fit
    # flagged a loud, steady reader at 7 dB under the peak; held-out dev).
    model = HistGradientBoostingClassifier(
        max_iter=100, max_depth=3, random_state=0, monotonic_cst=MONOTONE
    )
    return model.fit(np.concatenate(X), np.concatenate(y))


def hot(model, X: np.ndarray, threshold: float, max_below_peak_db: float | None) -> np.ndarray:
    """Frames the model is sure of; with ``max_below_peak_db``, only those whose window is at
    least that far under the loudest speech so far (a foreground voice is never flagged)."""
    out = model.predict_proba(X)[:, 1] > threshold
    if max_below_peak_db is not None:
        out &= X[:, NAMES.index("below_peak")] <= max_below_peak_db
    return out


def flags(
    model,
    x: np.ndarray,
    threshold: float,
    min_run: int,
    max_below_peak_db: float | None = None,
    ahead: int = AHEAD,
) -> np.ndarray:
    """Per frame of ``x``: flagged as babble (a speech frame the model is sure of, for
    ``min_run`` frames in a row); ``ahead`` must be the one the model was fitted with."""
    X, speech = features(x, ahead)
    return run_filter(speech & hot(model, X, threshold, max_below_peak_db), min_run)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="data folder (else $AUDIOSQUEEZE_DATA or ../shared/data)")
    ap.add_argument("--train-split", default="dev", choices=("dev", "test"))
    ap.add_argument("--train-seeds", default="0,1")
    ap.add_argument("--eval-seeds", default="2,3", help="long-form seeds judged, both splits")
    ap.add_argument("--clips", type=whole(1), default=200, help="LibriSpeech / Common Voice clips")
    ap.add_argument("--thresholds", default="0.5,0.7,0.9")
    ap.add_argument("--min-run", type=whole(1), default=8, help="frames in a row (32 ms each)")
    ap.add_argument("--max-below-peak-db", type=float, help="flag only this far under the peak")
    ap.add_argument("--ahead", type=whole(0), default=AHEAD, help="frames after the frame")
    args = ap.parse_args()
    if args.min_run < 1 or args.ahead < 0:
        ap.error(f"--min-run must be >= 1 and --ahead >= 0, got {args.min_run}, {args.ahead}")
    root = data_root(args.data)
    try:
        train = [int(s) for s in args.train_seeds.split(",")]
        [int(s) for s in args.eval_seeds.split(",")]
        thresholds = [float(t) for t in args.thresholds.split(",")]
    except ValueError as e:
        ap.error(f"seeds and thresholds are comma-separated numbers ({e})")
    model = fit(root, args.train_split, train, args.ahead)
    print(f"fitted on {args.train_split} long-form seeds {args.train_seeds}; "
          f"window {PAST}+1+{args.ahead} frames, run filter {args.min_run} frames, "
          f"at most {args.max_below_peak_db} dB under the peak\n")  # fmt: skip
    print("| split | set | recordings | threshold | babble frames flagged | "
          "speech frames flagged | recordings with a flagged speech frame |")  # fmt: skip
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for split in ("dev", "test"):
        sets = {"long-form": []}
        for seed in args.eval_seeds.split(","):
            if split == args.train_split and seed in args.train_seeds.split(","):
                continue
            recs = longform_set(root, split, seed=int(seed))
            sets["long-form"] += [labelled(r, args.ahead) for r in recs]
        for ds in ("librispeech", "commonvoice"):
            sets[ds] = []
            for u in split_utterances(root, split, ds)[: args.clips]:
                X, speech = features(u.load(), args.ahead)
                sets[ds].append((X, np.where(speech, 0, -1)))
        for name, recs in sets.items():
            for t in thresholds:
                c = collections.Counter()
                for X, lab in recs:
                    sure = hot(model, X, t, args.max_below_peak_db)
                    hit = run_filter((lab >= 0) & sure, args.min_run)
                    c["bab"] += int(hit[lab == 1].sum())
                    c["bab_n"] += int((lab == 1).sum())
                    c["sp"] += int(hit[lab == 0].sum())
                    c["sp_n"] += int((lab == 0).sum())
                    c["rec"] += bool(hit[lab == 0].any())
                bab = f"{100 * c['bab'] / c['bab_n']:.1f} %" if c["bab_n"] else "-"
                print(f"| {split} | {name} | {len(recs)} | {t:g} | {bab} | "
                      f"{100 * c['sp'] / max(c['sp_n'], 1):.2f} % | {c['rec']} |")  # fmt: skip


if __name__ == "__main__":
    run_script(main)
