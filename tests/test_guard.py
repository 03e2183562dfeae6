"""The quality guard: the shipped model loads and steers; the training script's export runs
in onnxruntime exactly as scikit-learn predicts."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from audiosqueeze.curve import FEATURES
from audiosqueeze.guard import Guard, bundled_path, load_guard

ROOT = Path(__file__).resolve().parents[1]


def test_bundled_guard_is_small_and_risk_rises_with_speed_on_average():
    assert bundled_path().stat().st_size < 1_000_000
    g = load_guard()
    rng = np.random.default_rng(0)
    x = np.column_stack(
        [
            rng.uniform(0.3, 1.5, 200),  # duration_s
            rng.uniform(0.6, 1.0, 200),
            rng.uniform(0.0, 0.9, 200),
            rng.uniform(20, 70, 200),
            rng.uniform(-10, 5, 200),
            rng.uniform(2, 15, 200),
            rng.uniform(1, 6, 200),
            rng.uniform(2, 5, 200),
            rng.uniform(0.05, 0.5, 200),
            rng.uniform(0.05, 0.3, 200),
            rng.uniform(-10, 5, 200),
            rng.uniform(0, 1, 200),
        ]
    ).astype(np.float32)
    slow, fast = g.risk(x, np.full(200, 1.0)), g.risk(x, np.full(200, 1.9))
    assert np.all((slow >= 0) & (slow <= 1)) and fast.mean() > slow.mean()
    s = g.speeds(x, 0.0, 1.8)
    assert np.all(s == 1.0)  # no budget: nothing is sped up
    s_small, s_big = g.speeds(x, 0.02, 1.8), g.speeds(x, 0.5, 1.8)
    assert np.all(s_small <= s_big) and s_big.max() == pytest.approx(1.8)


def test_training_script_exports_what_sklearn_predicts(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("skl2onnx")
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import train_guard
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(1)
    rows = []
    for i in range(600):
        f = rng.normal(0, 1, len(FEATURES)).tolist()
        speed = float(rng.choice([1.0, 1.3, 1.6, 1.9]))
        label = int(rng.random() < 0.05 + 0.3 * (speed - 1) * (f[6] > 0))  # planted
        rows.append(
            {"id": f"cv-{i % 40}", "dataset": "commonvoice", "asr": "a", "speed": speed,
             "features": f, "label": label}
        )  # fmt: skip
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps(r) + "\n" for r in rows))
    _, x, y, group = train_guard.load([labels])
    for kind in ("gbt", "lr"):
        clf = train_guard.model(kind).fit(x, y)
        out = tmp_path / f"{kind}.onnx"
        train_guard.export(clf, out)
        got = Guard(out).risk(x[:, :-1], x[:, -1])
        assert np.allclose(got, clf.predict_proba(x)[:, 1], atol=1e-5)
    report = train_guard.evaluate(rows, x, y, group, 4, "gbt")
    assert report["a"]["guard"]["auc"] > 0.6  # the planted feature x speed interaction
