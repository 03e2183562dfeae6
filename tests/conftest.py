"""Shared fixtures. Real data comes from ../shared/data (or $AUDIOSQUEEZE_DATA); tests that need
it skip with the reason when it is absent."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def load_script(relpath: str):
    """A repository script (e.g. ``benchmarks/compare_runs.py``) imported as a module, so its
    functions can be tested; registered in ``sys.modules`` (dataclasses look their module up)."""
    import importlib.util
    import sys

    path = REPO / relpath
    if str(path.parent) not in sys.path:  # as when run: its folder's helpers (_script) import
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = mod
    spec.loader.exec_module(mod)
    return mod


def data_root() -> Path | None:
    env = os.environ.get("AUDIOSQUEEZE_DATA")
    for cand in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data"]:
        if (cand / "manifest.jsonl").is_file():
            return cand
    return None


def manifest() -> list[dict]:
    root = data_root()
    if root is None:
        return []
    with open(root / "manifest.jsonl") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = data_root()
    if root is None:
        pytest.skip("real data not found: set AUDIOSQUEEZE_DATA or check out ../shared/data")
    return root


@pytest.fixture(scope="session")
def real_clips(shared_data) -> list[dict]:
    """A few LibriSpeech and Common Voice clips (dev splits), with absolute paths."""
    rows = manifest()
    picks = [r for r in rows if r["split"] == "train-clean-5"][:3]
    picks += [r for r in rows if r["split"] == "cv-valid-dev"][:3]
    return [{**r, "abs": str(shared_data / r["path"])} for r in picks]


def has_module(name: str) -> bool:
    """Whether ``name`` imports (an optional extra is installed)."""
    try:
        __import__(name)
        return True
    except ImportError:
        return False


def silero_available() -> bool:
    from audiosqueeze.errors import ModelNotFoundError
    from audiosqueeze.vad import find_silero_model

    try:
        find_silero_model()
        return True
    except ModelNotFoundError:
        return False


needs_silero = pytest.mark.skipif(not silero_available(), reason="Silero VAD model not installed")


def tone(seconds: float, freq: float = 220.0, amp: float = 0.3, sr: int = 16000) -> np.ndarray:
    """A harmonic tone with a slow 4 Hz syllable-like envelope: 'speech' to the energy VAD."""
    t = np.arange(int(seconds * sr)) / sr
    x = sum(np.sin(2 * np.pi * freq * h * t) / h for h in range(1, 6))
    env = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)
    return (amp * env * x / 2).astype(np.float32)


def silence(seconds: float, sr: int = 16000) -> np.ndarray:
    return np.zeros(int(seconds * sr), np.float32)


def wsola_ready(w, x, limit: int, got: list) -> None:
    """Render what a fed ``CurveWSOLA`` can make from ``x`` up to ``limit`` (its input handed
    over from ``next_read()`` only), appending it to ``got``."""
    lo = w.next_read()
    if limit > lo:
        got.append(w.render(x[lo:limit], lo, limit, final=False))


def wsola_rest(w, x, got: list):
    """The final render of the rest of ``x``, joined with what ``got`` holds."""
    lo = w.next_read()
    got.append(w.render(x[lo:], lo, len(x), final=True))
    return np.concatenate(got)


def planted_speech(prob, level, start: int = 0, cues: dict | None = None):
    """A speech :class:`~audiosqueeze.analyze.Segment` from ``start`` (samples) of planted
    per-frame VAD probabilities and levels (dB); band level 1 dB over the level, flux 0.3,
    noise floor -70 dB."""
    from audiosqueeze.analyze import Segment
    from audiosqueeze.units import FRAME_SAMPLES

    prob, level = np.asarray(prob, np.float64), np.asarray(level, np.float64)
    frames = {
        "prob": prob,
        "level": level,
        "band": level + 1.0,
        "flux": np.full(len(prob), 0.3),
        "floor": np.full(len(prob), -70.0),
    }
    end = start + len(prob) * FRAME_SAMPLES
    return Segment("speech", start, end, 0.9, 0.2, None, dict(cues or {}), frames)


@pytest.fixture
def captured_figures(monkeypatch) -> dict:
    """``bench.report.save_figure`` (which the hallucination plots use too) replaced by a
    recorder: the returned dict maps each file name to its figure, so plots' data can be read.
    Needs matplotlib (the [bench] extra): a test asks for it after its own skip."""
    from audiosqueeze.bench import report

    figs: dict = {}

    def save(fig, path):
        figs[path.name] = fig
        return path

    monkeypatch.setattr(report, "save_figure", save)
    return figs


@pytest.fixture
def without_pyav(monkeypatch):
    """As where the [formats] extra (PyAV) is not installed: ``import av`` fails."""
    import builtins

    real_import = builtins.__import__

    def no_av(name, *a, **kw):
        if name == "av":
            raise ImportError("no av", name="av")
        return real_import(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_av)


def run_benchmark(tmp_path, script: str, *args: str, data=None):
    """``benchmarks/SCRIPT --data DATA ARGS`` in a subprocess (cwd ``tmp_path``)."""
    import subprocess
    import sys

    data = tmp_path if data is None else data
    cmd = [sys.executable, str(REPO / "benchmarks" / script), "--data", str(data), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
