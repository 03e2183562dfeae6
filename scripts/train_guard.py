"""Train the quality guard on dev-split labels and export it as ONNX (``[train]`` extra).

    python scripts/train_guard.py guard-labels/whisper-tiny.en.jsonl \\
        guard-labels/whisper-base.jsonl --out src/audiosqueeze/data/guard.onnx \\
        --report docs/results/guard.json

The model (``--model gbt``, the default): scikit-learn's ``GradientBoostingClassifier`` (100
trees of depth 3) on the window features and the speed, fit on the rows of both recognisers
together (so the guard is not tuned to one model), exported with skl2onnx (about 56 kB).
``--model lr``: a logistic regression on the features, the speed and their products,
exported by hand as a few ONNX ops. On the held-out folds the trees rank risk better within
each speed (docs/RESULTS.md). Before the final fit it is
scored on held-out folds (``GroupKFold`` by speaker, or by clip where there is none) against
today's hand-weighted ``complexity()``: ROC-AUC and Spearman's rho of risk against the label,
pooled and per speed, for each recogniser. ``complexity()`` is scored raw (within a speed)
and as a logistic regression on (complexity, speed, complexity x speed) fit on the same folds.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np

from audiosqueeze.curve import FEATURES


def _text(path) -> str:
    """A labels file's text; ``.gz`` ones (as committed under docs/results) are unzipped."""
    p = Path(path)
    return gzip.decompress(p.read_bytes()).decode() if p.suffix == ".gz" else p.read_text()


def load(paths):
    rows = [json.loads(line) for p in paths for line in _text(p).splitlines() if line.strip()]
    x = np.array([r["features"] + [r["speed"]] for r in rows], np.float32)
    y = np.array([r["label"] for r in rows], np.int64)
    group = np.array(
        [r["id"].split("-")[0] if r["dataset"] == "librispeech" else r["id"] for r in rows]
    )
    return rows, x, y, group


def expand(x):
    """Window features f and speed s -> [f, s - 1, f x (s - 1)] (the model's inputs)."""
    f, ds = x[:, :-1], x[:, -1:] - 1.0
    return np.hstack([f, ds, f * ds])


class Guard:
    """Logistic regression on standardised :func:`expand` ed features: the risk's slope in
    speed depends on the window. Exported to ONNX by hand (a few ops)."""

    def __init__(self, c: float = 0.3):
        self.c = c

    def fit(self, x, y):
        from sklearn.linear_model import LogisticRegression

        z = expand(x)
        self.mean, self.std = z.mean(axis=0), z.std(axis=0) + 1e-6
        self.lr = LogisticRegression(C=self.c, max_iter=2000).fit((z - self.mean) / self.std, y)
        return self

    def predict_proba(self, x):
        return self.lr.predict_proba((expand(x) - self.mean) / self.std)


def model(kind: str = "gbt"):
    if kind == "lr":
        return Guard()
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(
        n_estimators=100,
        max_depth=3,
        learning_rate=0.05,
        subsample=0.8,
        min_samples_leaf=40,
        random_state=0,
    )


def baseline():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    c = FEATURES.index("complexity")

    def cols(x):
        return np.column_stack([x[:, c], x[:, -1], x[:, c] * x[:, -1]])

    return make_pipeline(FunctionTransformer(cols), StandardScaler(), LogisticRegression())


def scores(y, p):
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    if len(set(y)) < 2:
        return {"auc": None, "spearman": None, "n": int(len(y)), "positives": int(sum(y))}
    return {
        "auc": round(float(roc_auc_score(y, p)), 4),
        "spearman": round(float(spearmanr(p, y).statistic), 4),
        "n": int(len(y)),
        "positives": int(sum(y)),
    }


def evaluate(rows, x, y, group, folds, kind):
    from sklearn.model_selection import GroupKFold

    guard = np.zeros(len(y))
    base = np.zeros(len(y))
    for tr, te in GroupKFold(folds).split(x, y, group):
        guard[te] = model(kind).fit(x[tr], y[tr]).predict_proba(x[te])[:, 1]
        base[te] = baseline().fit(x[tr], y[tr]).predict_proba(x[te])[:, 1]
    raw = x[:, FEATURES.index("complexity")]
    asr = np.array([r["asr"] for r in rows])
    speed = x[:, -1]
    report = {}
    for name in sorted(set(asr)):
        m = asr == name
        part = {
            "guard": scores(y[m], guard[m]),
            "complexity_logistic": scores(y[m], base[m]),
            "per_speed": {},
        }
        for s in sorted(set(speed[m])):
            k = m & (speed == s)
            part["per_speed"][str(s)] = {
                "guard": scores(y[k], guard[k]),
                "complexity_raw": scores(y[k], raw[k]),
            }
        report[name] = part
    return report


def export(clf, out: Path) -> int:
    """Write ``clf`` as ONNX: skl2onnx for the tree ensemble, by hand for the logistic one."""
    if isinstance(clf, Guard):
        return export_lr(clf, out)
    from skl2onnx import to_onnx

    onx = to_onnx(
        clf,
        np.zeros((1, len(FEATURES) + 1), np.float32),
        options={id(clf): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    onx.doc_string = "audiosqueeze quality guard: " + ", ".join(FEATURES) + ", speed -> risk"
    data = onx.SerializeToString()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return len(data)


def export_lr(clf: Guard, out: Path) -> int:
    """risk = sigmoid(((expand(x) - mean) / std) . w + b), as ONNX ops on input ``x``."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nf = len(FEATURES)
    w = (clf.lr.coef_[0] / clf.std).astype(np.float32)
    b = np.float32(clf.lr.intercept_[0] - np.sum(clf.lr.coef_[0] * clf.mean / clf.std))
    consts = {
        "f_end": np.array([nf], np.int64),
        "zero": np.array([0], np.int64),
        "s_end": np.array([nf + 1], np.int64),
        "axis": np.array([1], np.int64),
        "one": np.array([1.0], np.float32),
        "w": w.reshape(-1, 1),
        "b": np.array([b], np.float32),
        "flat": np.array([-1], np.int64),
    }
    nodes = [
        helper.make_node("Slice", ["x", "zero", "f_end", "axis"], ["f"]),
        helper.make_node("Slice", ["x", "f_end", "s_end", "axis"], ["s"]),
        helper.make_node("Sub", ["s", "one"], ["ds"]),
        helper.make_node("Mul", ["f", "ds"], ["fds"]),
        helper.make_node("Concat", ["f", "ds", "fds"], ["z"], axis=1),
        helper.make_node("MatMul", ["z", "w"], ["zw"]),
        helper.make_node("Add", ["zw", "b"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["p"]),
        helper.make_node("Reshape", ["p", "flat"], ["risk"]),
    ]
    graph = helper.make_graph(
        nodes,
        "audiosqueeze_guard",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, nf + 1])],
        [helper.make_tensor_value_info("risk", TensorProto.FLOAT, [None])],
        [numpy_helper.from_array(v, k) for k, v in consts.items()],
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    m.doc_string = "audiosqueeze quality guard: " + ", ".join(FEATURES) + ", speed -> risk"
    onnx.checker.check_model(m)
    out.parent.mkdir(parents=True, exist_ok=True)
    data = m.SerializeToString()
    out.write_bytes(data)
    return len(data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("labels", nargs="+")
    ap.add_argument("--out", required=True, help="where to write the ONNX model")
    ap.add_argument("--report", help="write the held-out scores here (JSON)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument(
        "--model", choices=("gbt", "lr"), default="gbt", help="gradient-boosted trees or logistic"
    )
    args = ap.parse_args()
    rows, x, y, group = load(args.labels)
    print(f"{len(y)} windows, {y.mean():.3f} positive, {len(set(group))} groups")
    report = evaluate(rows, x, y, group, args.folds, args.model)
    for name, part in report.items():
        print(
            f"{name}: guard AUC {part['guard']['auc']} rho {part['guard']['spearman']}; "
            f"complexity (logistic with speed) AUC {part['complexity_logistic']['auc']} "
            f"rho {part['complexity_logistic']['spearman']}"
        )
        for s, v in part["per_speed"].items():
            print(
                f"  speed {s}: guard {v['guard']['auc']}  complexity {v['complexity_raw']['auc']}"
            )
    clf = model(args.model).fit(x, y)
    size = export(clf, Path(args.out))
    print(f"wrote {args.out} ({size} bytes)")
    if args.report:
        report["rows"] = len(y)
        report["model_bytes"] = size
        report["model"] = args.model
        Path(args.report).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
