"""JSON files a user hands over (or edits) that nest arrays thousands deep: ``json.loads``
raises RecursionError, which is not a ValueError, so each reader that caught ValueError alone
let it out as an internal error (exit 70). Now each gives the reader's own answer: a
TimeMapError, a ResultsFileError naming the line, or the torn-line treatment (skipped)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

import audiosqueeze as sq
from audiosqueeze.cli import main
from conftest import silence, tone

DEEP = "[" * 100_000 + "]" * 100_000


def test_a_deeply_nested_time_map_is_a_time_map_error():
    with pytest.raises(sq.TimeMapError, match="not a time map"):
        sq.TimeMap.from_json(DEEP)
    with pytest.raises(sq.TimeMapError, match="not a time map"):
        sq.TimeMap.from_json('{"original": ' + DEEP + ', "compressed": [0, 1]}')


def test_report_names_a_deeply_nested_results_line(tmp_path, capsys):
    (tmp_path / "results.jsonl").write_text(DEEP + "\n")
    assert main(["report", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "line 1 is not JSON" in err, err


def test_corpus_skips_a_deeply_nested_records_line(tmp_path):
    from audiosqueeze.corpus import CorpusOptions, load_records, run_corpus

    src = tmp_path / "in" / "a.wav"
    src.parent.mkdir()
    sf.write(src, np.concatenate([tone(0.5), silence(0.6), tone(0.4)]), 16000)
    out = tmp_path / "out"
    out.mkdir()
    (out / "records.jsonl").write_text(DEEP + "\n")
    assert load_records(out / "records.jsonl") == {}
    summary = run_corpus(src.parent, out, CorpusOptions(vad="energy"), jobs=1)
    assert summary.to_dict()["ok"] == 1


def test_bench_treats_a_deeply_nested_line_as_a_torn_one(tmp_path):
    pytest.importorskip("jiwer", reason="bench needs the [bench] extra")
    pytest.importorskip("whisper_normalizer", reason="bench needs the [bench] extra")
    from audiosqueeze.bench import TranscriptCache
    from audiosqueeze.bench.run import earlier_rows

    results = tmp_path / "results.jsonl"
    results.write_text(DEEP + "\n" + '{"x": 1}\n')
    assert earlier_rows(results, set()) == []  # the deep line is dropped, as a torn one
    cache = TranscriptCache(tmp_path)
    key = cache.key(np.zeros(10, np.float32), {"a": 1})
    (tmp_path / key[:2]).mkdir()
    (tmp_path / key[:2] / f"{key}.json").write_text(DEEP)
    assert cache.get(key) is None  # a miss, decoded again
