"""benchmarks/digital_silence.py on a planted data folder and planted bench rows."""

from __future__ import annotations

import json
import sys

import numpy as np
import soundfile as sf

from conftest import load_script


def test_zero_runs_split_the_clips_and_their_wer(tmp_path, monkeypatch, capsys):
    ds = load_script("benchmarks/digital_silence.py")
    assert ds.longest_zero_run(np.array([1.0, 0.0, 0.0, 2.0, 0.0])) == 2
    assert ds.longest_zero_run(np.ones(5)) == 0
    rng = np.random.default_rng(0)
    noise = lambda n: (0.01 * rng.standard_normal(n)).astype(np.float32)  # noqa: E731
    clips = {
        "z1": np.concatenate([noise(8000), np.zeros(1600, np.float32), noise(8000)]),  # 100 ms
        "z2": np.concatenate([np.zeros(960, np.float32), noise(16000)]),  # 60 ms
        "n1": np.concatenate([noise(8000), np.zeros(640, np.float32), noise(8000)]),  # 40 ms
        "n2": noise(16000),
    }
    manifest = []
    for uid, x in clips.items():
        sf.write(tmp_path / f"{uid}.flac", x, 16000, subtype="PCM_16")
        manifest.append({"id": uid, "path": f"{uid}.flac", "text": "a", "dataset": "cv",
                         "split": "dev"})  # fmt: skip
    (tmp_path / "manifest.jsonl").write_text("".join(json.dumps(m) + "\n" for m in manifest))
    words = {  # ref, hits, S, D, I: dither helps only the zero-run clips
        ("z1", "none"): [10, 8, 2, 0, 0], ("z1", "dither-1"): [10, 10, 0, 0, 0],
        ("z2", "none"): [10, 9, 1, 0, 0], ("z2", "dither-1"): [10, 10, 0, 0, 0],
        ("n1", "none"): [10, 10, 0, 0, 0], ("n1", "dither-1"): [10, 9, 0, 1, 0],
        ("n2", "none"): [10, 10, 0, 0, 0], ("n2", "dither-1"): [10, 10, 0, 0, 0],
    }  # fmt: skip
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(
        json.dumps({"asr": "tiny", "dataset": "cv", "id": i, "method": m, "words": w}) + "\n"
        for (i, m), w in words.items()
    ))  # fmt: skip
    argv = ["digital_silence.py", "--data", str(tmp_path), "--resamples", "50", str(rows)]
    monkeypatch.setattr(sys, "argv", argv)
    ds.main()
    out = capsys.readouterr().out
    assert "| cv | dev | 4 | " in out and " | 2 |" in out  # two clips with a run >= 50 ms
    # 3 errors fewer in the 20 words of the zero-run clips; one more in the other 20
    assert "| dither-1 | 2 clips, 20 words: -15.00" in out
    assert "| 2 clips, 20 words: +5.00" in out
