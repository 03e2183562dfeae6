"""The quality guard: the shipped model loads and steers; the training script's export runs
in onnxruntime exactly as scikit-learn predicts."""

import gzip
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import audiosqueeze as sq
from audiosqueeze.curve import FEATURES
from audiosqueeze.guard import Guard, bundled_path, load_guard
from conftest import load_script

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
    zipped = tmp_path / "labels.jsonl.gz"  # as committed under docs/results
    zipped.write_bytes(gzip.compress(labels.read_bytes()))
    _, xz, yz, gz = train_guard.load([zipped])
    assert np.array_equal(x, xz) and np.array_equal(y, yz) and np.array_equal(group, gz)
    for kind in ("gbt", "lr"):
        clf = train_guard.model(kind).fit(x, y)
        out = tmp_path / f"{kind}.onnx"
        train_guard.export(clf, out)
        got = Guard(out).risk(x[:, :-1], x[:, -1])
        assert np.allclose(got, clf.predict_proba(x)[:, 1], atol=1e-5)
    report = train_guard.evaluate(rows, x, y, group, 4, "gbt")
    assert report["a"]["guard"]["auc"] > 0.6  # the planted feature x speed interaction


class _CountingASR:
    """One word per 0.4 s of whatever audio it hears: a sped-up clip has fewer words, so
    windows there change, and the original's words are the same at every speed."""

    name, config = "counting", {"backend": "counting"}

    def transcribe(self, samples):
        n = int(len(samples) / sq.SAMPLE_RATE / 0.4)
        words = tuple(sq.Word(f"w{i}", 0.4 * i, 0.4 * i + 0.3) for i in range(n))
        return sq.Transcript(" ".join(w.text for w in words), words)


def _labels_script(monkeypatch, tmp_path, clip: Path):
    """guard_labels.py on a planted data folder: one LibriSpeech and one Common Voice dev
    clip, both ``clip``; its recogniser is :class:`_CountingASR`."""
    data = tmp_path / "data"
    data.mkdir()
    rows = [("librispeech", "train-clean-5"), ("commonvoice", "cv-valid-dev")]
    for ds, _ in rows:
        shutil.copy(clip, data / f"{ds}.flac")
    (data / "manifest.jsonl").write_text("".join(
        json.dumps({"id": ds, "path": f"{ds}.flac", "text": "x", "dataset": ds, "split": split})
        + "\n" for ds, split in rows))  # fmt: skip
    script = load_script("scripts/guard_labels.py")
    monkeypatch.setattr(script, "load_asr", lambda name: _CountingASR())
    out = tmp_path / "labels.jsonl"
    argv = ["guard_labels.py", "--data", str(data), "--per-dataset", "1", "--speeds", "1.0,1.6",
            "--cache", str(tmp_path / "cache"), "--out", str(out)]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    return script, out


def test_the_labels_script_labels_the_windows_of_real_speech(monkeypatch, tmp_path):
    # with the default 64-ms analysis pieces it wrote an empty file and said nothing
    script, out = _labels_script(monkeypatch, tmp_path, ROOT / "src/audiosqueeze/data" /
                                 "demo_common_voice_en_73.flac")  # fmt: skip
    script.main()
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert {r["dataset"] for r in rows} == {"librispeech", "commonvoice"}
    assert {r["speed"] for r in rows} == {1.0, 1.6}
    assert all(len(r["features"]) == len(FEATURES) and r["end_s"] > r["start_s"] for r in rows)
    at = {s: [r["label"] for r in rows if r["speed"] == s] for s in (1.0, 1.6)}
    assert sum(at[1.6]) > sum(at[1.0])  # fewer words heard where the speech is sped up


def test_the_labels_script_says_so_when_nothing_is_labelled(monkeypatch, tmp_path):
    clip = tmp_path / "quiet.flac"
    sf.write(clip, np.zeros(3 * sq.SAMPLE_RATE, np.float32), sq.SAMPLE_RATE)
    script, _ = _labels_script(monkeypatch, tmp_path, clip)
    with pytest.raises(SystemExit, match="no speech window was long enough"):
        script.main()
