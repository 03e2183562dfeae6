"""kill -9 under load: the real `audiosqueeze serve` process is killed with SIGKILL while
clients post audio, then restarted on the same SQLite file. Every request that got a 200 (before
or after the kill) must have its usage record, and the database must pass its integrity check.
Runs benchmarks/server_load.py's driver, small: 6 clients for 6 s."""

from __future__ import annotations

import pytest

from conftest import load_script

from .srv_helpers import clip, wav_bytes

pytestmark = pytest.mark.slow


def load_benchmark():
    return load_script("benchmarks/server_load.py")


def test_kill_9_loses_no_record_of_a_200(tmp_path):
    bench = load_benchmark()
    clips = [wav_bytes(clip(p), fmt="FLAC") for p in (0.5, 1.0, 2.0, 3.0)]
    s = bench.run(clips, clients=6, seconds=6.0, crash_after=2.0, vad="energy", data_dir=tmp_path)
    assert s["crashed"] and s["statuses"].get("200", 0) >= 10, s
    assert s["server_errors_5xx"] == 0 and s["bad_inputs_answered_200"] == 0, s
    assert s["ok_without_record"] == 0, s
    assert s["integrity_check"] == "ok"


def test_load_on_postgresql_records_every_200(tmp_path):
    """The benchmark's record check covered SQLite only; with --db it checked nothing."""
    from .srv_helpers import postgres_url

    url = postgres_url()
    bench = load_benchmark()
    clips = [wav_bytes(clip(p), fmt="FLAC") for p in (0.5, 1.0)]
    s = bench.run(clips, clients=3, seconds=3.0, vad="energy", db=url, data_dir=tmp_path)
    assert s["statuses"].get("200", 0) >= 3 and s["server_errors_5xx"] == 0, s
    assert s["ok_without_record"] == 0, s
