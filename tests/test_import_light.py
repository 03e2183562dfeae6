"""The core imports and runs with no extra installed: heavy packages are blocked outright."""

import subprocess
import sys

CODE = r"""
import sys, importlib.abc
BLOCKED = {"torch", "faster_whisper", "fastapi", "ctranslate2", "transformers", "av", "pedalboard",
           "scipy", "jiwer", "matplotlib", "sqlalchemy", "ray"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"blocked: {name}")
sys.meta_path.insert(0, Block())
import numpy as np
import audiosqueeze as sq
tone = np.sin(np.arange(16000) / 5) * 0.3
x = np.concatenate([np.zeros(16000), tone, np.zeros(32000)]).astype(np.float32)
out = sq.compress(x, 1.0, sample_rate=16000, analyze_options=sq.AnalyzeOptions(vad="energy"))
assert len(out.audio) < len(x)
assert not BLOCKED & set(m.split(".")[0] for m in sys.modules), BLOCKED & set(sys.modules)
print("ok", len(out.audio))
"""


def test_core_runs_without_extras():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok ")
