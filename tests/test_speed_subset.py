"""benchmarks/speed_subset.py: the SUBSET of the speed tables, rebuilt from a data manifest."""

from __future__ import annotations

import json
import sys

import pytest

from audiosqueeze.errors import AudioFileNotFoundError
from conftest import load_script


def _row(i: int, dataset: str, split: str) -> dict:
    return {"id": f"{split}-{i}", "path": f"{dataset}/{split}/{i}.flac", "text": "x",
            "dataset": dataset, "split": split, "duration_s": 2.0}  # fmt: skip


def test_the_subset_is_all_test_clips_and_the_first_60_of_each_dev_part(tmp_path, monkeypatch):
    rows = []
    for i in range(70):  # interleaved, as a manifest may be
        rows += [_row(i, "librispeech", "train-clean-5"), _row(i, "commonvoice", "cv-valid-dev")]
    rows += [_row(i, "librispeech", "test-other") for i in range(3)]
    rows += [_row(i, "commonvoice", "validated") for i in range(2)]
    rows += [_row(i, "librispeech", "dev-clean") for i in range(4)]  # not part of it
    rows += [_row(i, "other", "test-clean") for i in range(2)]  # another dataset's split name
    data = tmp_path / "data"
    data.mkdir()
    (data / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    script = load_script("benchmarks/speed_subset.py")
    out = tmp_path / "subset"
    monkeypatch.setattr(sys, "argv", ["speed_subset.py", "--data", str(data), "--out", str(out)])
    script.main()
    got = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    ids = [r["id"] for r in got]
    assert len(got) == 60 + 60 + 3 + 2
    assert ids[:4] == ["train-clean-5-0", "cv-valid-dev-0", "train-clean-5-1", "cv-valid-dev-1"]
    assert "train-clean-5-59" in ids and "train-clean-5-60" not in ids
    assert not any(i.startswith("dev-clean") for i in ids)
    root = data.resolve()
    for r in got:
        assert r["path"] == str(root / r["dataset"] / r["split"] / r["id"].split("-")[-1]) + ".flac"


def test_a_bad_data_folder_is_an_error(tmp_path, monkeypatch):
    script = load_script("benchmarks/speed_subset.py")
    argv = ["speed_subset.py", "--data", str(tmp_path / "no"), "--out", str(tmp_path / "o")]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(AudioFileNotFoundError, match="does not exist"):
        script.main()
