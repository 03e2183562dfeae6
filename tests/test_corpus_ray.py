"""Ray: one real local cluster (``ray.init(num_cpus=2)``) shared by every test in this file.

The ``corpus --ray`` job must write what the single-process job writes, and the Ray Data stage
must read ``read_binary_files``, a parquet audio column and a Hugging Face dataset.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from corpus_helpers import CORRUPT, assert_same_outputs, make_folder, pick_clips

import audiosqueeze as sq
from audiosqueeze.cli import main
from audiosqueeze.corpus import CorpusOptions, run_corpus
from conftest import has_module, needs_silero

pytestmark = [
    needs_silero,
    pytest.mark.skipif(not has_module("ray"), reason="needs the [ray] extra"),
]
RATE = 0.75


@pytest.fixture(scope="module")
def cluster():
    import ray

    from audiosqueeze.ray import connect

    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 * 2**20,
             log_to_driver=False, logging_level="ERROR")  # fmt: skip
    connect()  # quiet Ray Data (no progress bars); the cluster above is reused
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def data(shared_data, tmp_path_factory):
    """Real clips (and a corrupted file) plus the single-process job's outputs over them."""
    base = tmp_path_factory.mktemp("ray")
    clips = pick_clips(shared_data, n_libri=2, n_cv=2)
    src = make_folder(base / "in", clips)
    run_corpus(src, base / "single", CorpusOptions(rate=RATE), jobs=1)
    return clips, src, base


def _reference(path: str) -> tuple[np.ndarray, dict]:
    """What ``sq.compress`` gives for one file: 16-bit samples (as FLAC stores them), map."""
    out = sq.compress(path, RATE)
    buf = io.BytesIO()
    sf.write(buf, out.audio, 16000, format="FLAC")
    buf.seek(0)
    return sf.read(buf, dtype="int16")[0], out.timemap.to_dict()


def _check_rows(rows: list[dict], by_path: dict[str, dict]) -> None:
    assert len(rows) == len(by_path)
    for row in rows:
        want = by_path[row["_path"]]
        if want is None:  # the corrupted file: an error in its row, nothing else
            assert row["error"] and row["compressed"] == b"" and np.isnan(row["output_s"])
            continue
        assert row["error"] == ""
        samples, rate = sf.read(io.BytesIO(row["compressed"]), dtype="int16")
        np.testing.assert_array_equal(samples, want["samples"])
        assert rate == 16000 and json.loads(row["timemap"]) == want["timemap"]
        stats = json.loads(row["stats"])
        assert stats["output_s"] == row["output_s"] == pytest.approx(len(samples) / 16000)


def _expected(clips, src: Path) -> dict[str, dict | None]:
    out: dict[str, dict | None] = {str(src / "broken.flac"): None}
    for c in clips:
        samples, timemap = _reference(c["abs"])
        out[str(src / f"{c['id']}.flac")] = {"samples": samples, "timemap": timemap}
    return out


def test_corpus_on_ray_writes_what_one_process_writes(cluster, data, capsys):
    clips, src, base = data
    out = base / "ray-out"
    args = ["corpus", str(src), "-o", str(out), "--rate", str(RATE), "--ray", "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["ok"], summary["failed"], summary["processed"]) == (4, 1, 5)
    assert "broken.flac" in summary["failures"][0]["source"]
    assert_same_outputs(base / "single", out)
    assert main(args) == 0  # a rerun on Ray resumes too: nothing left but the bad file
    assert json.loads(capsys.readouterr().out)["skipped"] == 4


def test_stage_on_read_binary_files(cluster, data):
    from audiosqueeze.ray import compress_dataset

    clips, src, _ = data
    ds = cluster.data.read_binary_files(str(src), include_paths=True)
    rows = compress_dataset(ds, rate=RATE, batch_size=2).take_all()
    assert "bytes" not in rows[0]  # the input audio is dropped unless keep_input=True
    _check_rows([{**r, "_path": r["path"]} for r in rows], _expected(clips, src))


def test_stage_on_parquet_audio_column(cluster, data, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from audiosqueeze.ray import compress_dataset

    clips, src, _ = data
    files = sorted(src.iterdir())
    table = pa.table({"audio": [f.read_bytes() for f in files], "file": [str(f) for f in files],
                      "text": [f.stem.upper() for f in files]})  # fmt: skip
    pq.write_table(table, tmp_path / "audio.parquet")
    ds = cluster.data.read_parquet(str(tmp_path / "audio.parquet"))
    rows = compress_dataset(ds, rate=RATE, column="audio", concurrency=1).take_all()
    assert sorted(r["text"] for r in rows) == sorted(f.stem.upper() for f in files)
    _check_rows([{**r, "_path": r["file"]} for r in rows], _expected(clips, src))


def test_stage_on_a_hugging_face_dataset(cluster, data, monkeypatch):
    datasets = pytest.importorskip("datasets", reason="needs the [hf] extra")
    from audiosqueeze.ray import compress_dataset

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # built here; nothing may be fetched
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    clips, src, _ = data
    files = sorted(src.iterdir())
    hf = datasets.Dataset.from_dict(
        {
            "audio": [{"bytes": f.read_bytes(), "path": str(f)} for f in files],
            "id": [f.stem for f in files],
        }  # fmt: skip
    ).cast_column("audio", datasets.Audio(decode=False))
    rows = compress_dataset(cluster.data.from_huggingface(hf), rate=RATE).take_all()
    _check_rows([{**r, "_path": str(src / f"{r['id']}.flac")} for r in rows], _expected(clips, src))


def test_stage_takes_arrays_with_a_sampling_rate_column(cluster, data):
    from audiosqueeze.ray import CompressBatch

    clips, _, _ = data
    samples, rate = sf.read(clips[0]["abs"], dtype="float32")
    stage = CompressBatch(RATE)  # the class runs without Ray too: one batch per call
    batch = {
        "array": np.array([samples, np.zeros(0, np.float32), 7], dtype=object),
        "sampling_rate": np.array([rate, rate, rate]),
    }
    out = stage({**batch, "x": np.arange(3)})
    assert list(out["x"]) == [0, 1, 2] and "array" not in out
    want, timemap = _reference(clips[0]["abs"])
    np.testing.assert_array_equal(sf.read(io.BytesIO(out["compressed"][0]), dtype="int16")[0], want)
    assert json.loads(out["timemap"][0]) == timemap
    assert "zero samples" in out["error"][1]
    assert "int" in out["error"][2] and out["compressed"][2] == b""
    with pytest.raises(sq.OptionsError, match="no audio column"):
        stage({"other": np.array([CORRUPT], dtype=object)})
