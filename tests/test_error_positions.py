"""benchmarks/error_positions.py: where a method's extra word errors fall, on planted rows."""

from __future__ import annotations

import doctest
import gzip
import json
import subprocess
import sys

import pytest

from conftest import REPO, load_script

# the script aligns and normalises words with the [bench] extra's jiwer and whisper-normalizer
pytest.importorskip("jiwer", reason="needs jiwer: pip install 'audiosqueeze[bench]'")
pytest.importorskip(
    "whisper_normalizer", reason="needs whisper-normalizer: pip install 'audiosqueeze[bench]'"
)


@pytest.fixture(scope="module")
def ep():
    return load_script("benchmarks/error_positions.py")


def test_its_examples_hold(ep):
    assert doctest.testmod(ep).failed == 0


@pytest.mark.parametrize(
    ("ref", "hyp", "want"),
    [
        ("a b c d e f", "a b c d e f", [0] * 6),
        ("a b c d e f", "b c d e f", [1, 0, 0, 0, 0, 0]),  # the first word dropped
        ("a b c d e f", "a b x d e f", [0, 0, 1, 0, 0, 0]),
        ("a b c d e f", "a b c d e f g h", [0, 0, 0, 0, 0, 2]),  # after the last: the last's
        ("a b c", "", [1, 1, 1]),
        ("", "a b", []),
    ],
)
def test_word_errors_charges_each_reference_word(ep, ref, hyp, want):
    assert ep.word_errors(ref, hyp) == want


def test_places_of_short_and_long_clips(ep):
    assert [ep.place(i, 3, 2) for i in range(3)] == ["first", "first", "last"]
    assert [ep.place(i, 6, 1) for i in range(6)] == ["first"] + ["middle"] * 4 + ["last"]


def _row(uid, method, ref, hyp, ds="commonvoice", asr="whisper-tiny.en"):
    # (the word counts are what bench writes; this script reads the texts)
    words = [len(ref.split()), 0, 0, 0, 0]
    return {"dataset": ds, "asr": asr, "id": uid, "method": method, "ref": ref, "hyp": hyp,
            "words": words}  # fmt: skip


SIX = "alpha bravo charlie delta echo foxtrot"
FIVE = "golf hotel india juliet kilo"
ROWS = [
    _row("1", "base", SIX, SIX),
    _row("1", "fast", SIX, "bravo charlie dealt echo foxtrot"),  # the 1st dropped, the 4th wrong
    _row("2", "base", FIVE, "golf hotel india juliet kite"),  # the base's own error at the end
    _row("2", "fast", FIVE, "golf hotel india juliet kilo lima"),  # fixed; one inserted after
    _row("3", "fast", "never in base", "x"),  # no base row: left out
    _row("1", "base", "mike november", "mike", ds="librispeech"),
    _row("1", "fast", "mike november", "mike november", ds="librispeech"),
]


def test_tally_sums_extra_errors_by_place(ep):
    t = ep.tally(ROWS, "base", "fast", 2)
    cv = t[("whisper-tiny.en", "commonvoice")]
    assert cv == {"first": [4, 1], "middle": [3, 1], "last": [4, 0]}  # clip 2's last: 1 -> 1
    # two words, two at each edge: both are first words (first before last)
    lib = t[("whisper-tiny.en", "librispeech")]
    assert lib == {"first": [2, -1], "middle": [0, 0], "last": [0, 0]}


def test_the_script_prints_the_table_from_a_gzipped_row_file(tmp_path):
    f = tmp_path / "rows.jsonl.gz"
    f.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in ROWS).encode()))
    script = REPO / "benchmarks" / "error_positions.py"
    cmd = [sys.executable, str(script), str(f), "--base", "base", "--methods", "fast"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("| recogniser | dataset | method | first 2 words |")
    assert "| whisper-tiny.en | commonvoice | fast | +1 in 4 (+25.00 %) | +1 in 3 (+33.33 %) |" in (
        r.stdout
    )
    want = "| whisper-tiny.en | librispeech | fast | -1 in 2 (-50.00 %) | +0 in 0 (+0.00 %) |"
    assert want in r.stdout
    missing = subprocess.run([*cmd[:2], str(tmp_path / "no.jsonl"), "--methods", "fast"],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert missing.returncode != 0 and "no.jsonl" in missing.stderr
    assert "Traceback" not in missing.stderr
