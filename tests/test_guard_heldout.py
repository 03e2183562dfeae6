"""benchmarks/guard_heldout.py: dev clips the guard was not trained on."""

from __future__ import annotations

import json
import sys

import pytest

from audiosqueeze.datasets import sample_split
from conftest import load_script


def _row(i: int, dataset: str, split: str) -> dict:
    return {"id": f"{split}-{i}", "path": f"{dataset}/{split}/{i}.flac", "text": "x",
            "dataset": dataset, "split": split, "duration_s": 2.0}  # fmt: skip


def test_held_out_clips_are_dev_clips_the_labels_did_not_draw(tmp_path, monkeypatch):
    rows = []
    for i in range(30):
        rows += [_row(i, "librispeech", "train-clean-5"), _row(i, "commonvoice", "cv-valid-dev")]
    rows += [_row(i, "librispeech", "test-other") for i in range(5)]  # test: never
    data = tmp_path / "data"
    data.mkdir()
    (data / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    trained = {u.id for u in sample_split(data, "dev", 10, 9)}
    assert len(trained) == 20
    out = tmp_path / "heldout"
    argv = ["guard_heldout.py", "--data", str(data), "--out", str(out), "--take", "15"]
    argv += ["--per-dataset", "10", "--seed", "9"]
    monkeypatch.setattr(sys, "argv", argv)
    load_script("benchmarks/guard_heldout.py").main()
    got = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    ids = [r["id"] for r in got]
    assert len(ids) == 30 and not set(ids) & trained
    assert sum(r["dataset"] == "librispeech" for r in got) == 15
    assert not any(i.startswith("test-other") for i in ids)
    held = [r["id"] for r in rows if r["dataset"] == "commonvoice" and r["id"] not in trained]
    assert [i for i in ids if i.startswith("cv")] == held[:15]  # manifest order
    assert all(r["path"].startswith(str(data.resolve())) for r in got)


def test_a_bad_data_folder_is_an_error(tmp_path, monkeypatch):
    from audiosqueeze.errors import AudioFileNotFoundError

    argv = ["guard_heldout.py", "--data", str(tmp_path / "no"), "--out", str(tmp_path / "o")]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(AudioFileNotFoundError, match="does not exist"):
        load_script("benchmarks/guard_heldout.py").main()
