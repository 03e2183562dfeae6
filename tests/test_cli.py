import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from audiosqueeze.cli import main
from conftest import needs_silero, silence, tone


@pytest.fixture
def clip(tmp_path):
    p = tmp_path / "in.wav"
    sf.write(p, np.concatenate([tone(1.0), silence(2.0), tone(1.0)]), 16000)
    return p


def test_compress_writes_audio_timemap_and_json(clip, tmp_path, capsys):
    out, tm = tmp_path / "out.flac", tmp_path / "map.json"
    assert (
        main(
            [
                "compress",
                str(clip),
                "-o",
                str(out),
                "--rate",
                "1",
                "--vad",
                "energy",
                "--timemap",
                str(tm),
                "--json",
            ]
        )
        == 0
    )
    row = json.loads(capsys.readouterr().out)
    assert row["input_s"] == 4.0 and row["output_s"] < 2.5
    assert sf.info(out).frames == round(row["output_s"] * 16000)
    assert json.loads(tm.read_text())["compressed"][-1] == sf.info(out).frames


def test_compress_many_into_folder(clip, tmp_path, capsys):
    other = tmp_path / "two.wav"
    other.write_bytes(clip.read_bytes())
    outdir = tmp_path / "out"
    outdir.mkdir()
    assert main(["compress", str(clip), str(other), "-o", str(outdir), "--vad", "energy"]) == 0
    assert sorted(p.name for p in outdir.iterdir()) == ["in.flac", "two.flac"]
    assert "reduction" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "code", "quote"),
    [
        (["compress", "/no/such.wav", "-o", "x.flac"], 1, "error: no such file: '/no/such.wav'"),
        (["compress", "IN", "-o", "x.flac", "--rate", "2"], 2, "2"),
        (["compress", "IN", "IN", "-o", "notadir.flac"], 2, "existing folder"),
        (["tokens", "IN", "--model", "gpt-9"], 2, "gpt-9"),
        (
            ["compress", "IN", "-o", "x.flac", "--verify-min-probability", "0.5"],
            2,
            "need --verify",
        ),
        (
            ["compress", "IN", "-o", "x.flac", "--verify", "x", "--verify-min-probability", "1.5"],
            2,
            "1.5",
        ),
        (["compress", "IN", "-o", "x.flac", "--verify-rounds", "1"], 2, "need --verify"),
        (["compress", "IN", "-o", "x.flac", "--verify", "x", "--verify-rounds", "11"], 2, "11"),
        (["compress", "IN", "-o", "x.flac", "--verify-scope", "utterance"], 2, "need --verify"),
        (["compress", "IN", "-o", "x.flac", "--verify", "x", "--verify-scope", "word"], 2, "word"),
    ],
)
def test_bad_usage_is_one_line_and_nonzero(args, code, quote, clip, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [str(clip) if a == "IN" else a for a in args]
    assert main(args) == code
    err = capsys.readouterr().err
    assert quote in err and "Traceback" not in err
    assert not (tmp_path / "x.flac").exists()


def test_not_audio_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.wav"
    bad.write_text("hello")
    assert main(["compress", str(bad), "-o", str(tmp_path / "o.flac")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "not a readable audio file" in err[0]


def test_analyze_json(clip, capsys):
    assert main(["analyze", str(clip), "--vad", "energy", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [s["kind"] for s in d["segments"]] == ["speech", "silence", "speech"]


def test_tokens_json(clip, capsys):
    assert main(["tokens", str(clip), "--model", "gemini", "--model", "whisper", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[str(clip)] == {
        "seconds": 4.0,
        "gemini": 128,
        "whisper": 1500,
    }


def test_tokens_of_stdin(clip):
    """``-`` is stdin for ``tokens`` as for ``analyze`` and ``compress`` (it was 'no such file')."""
    r = subprocess.run(
        [sys.executable, "-m", "audiosqueeze.cli", "tokens", "-", "--model", "gemini", "--json"],
        input=clip.read_bytes(),
        capture_output=True,
        check=True,
    )
    assert json.loads(r.stdout) == {"-": {"seconds": 4.0, "gemini": 128}}


def test_tokens_of_a_file_whose_name_is_not_utf8(clip, capsys):
    # before: soundfile's sf.info(name) raised UnicodeEncodeError (surrogates not allowed):
    # "internal error", exit 70; now the duration comes from decoding, as for other files
    import os

    import audiosqueeze as sq

    odd = clip.with_name(os.fsdecode(b"caf\xe9.wav"))
    os.rename(clip, odd)
    assert sq.duration_s(odd) == 4.0
    assert main(["tokens", str(odd), "--model", "gemini", "--json"]) == 0
    assert list(json.loads(capsys.readouterr().out).values()) == [{"seconds": 4.0, "gemini": 128}]
    assert main(["tokens", str(odd), "--model", "gemini"]) == 0
    assert "4.00" in capsys.readouterr().out


@needs_silero
def test_demo_prints_table(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "demo_common_voice_en_73.flac" in out and "1.00" in out and "gemini" in out


@needs_silero
def test_demo_json_reduction_grows_with_rate(capsys):
    assert main(["demo", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["rate"] for r in rows] == [0.0, 0.25, 0.5, 0.75, 1.0]
    red = [r["reduction"] for r in rows]
    assert red[0] == 0.0 and red == sorted(red) and red[-1] > 0.2


def test_entry_point_help():
    r = subprocess.run(
        [sys.executable, "-m", "audiosqueeze.cli", "compress", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--target-reduction" in r.stdout and "--timemap" in r.stdout


@pytest.mark.parametrize(("rounds", "calls"), [(None, 2), ("0", 1), ("3", 2)])
def test_compress_verify_rounds_reach_the_library(rounds, calls, clip, tmp_path, monkeypatch):
    from audiosqueeze import verify
    from audiosqueeze.transcript import Transcript, Word

    class Steady:
        """Hears the same sure word in every input: the first check finds no change."""

        name, config, calls = "steady", {}, 0

        def transcribe(self, samples):
            Steady.calls += 1
            return Transcript("hi", (Word("hi", 0.1, 0.3, 0.99),))

    monkeypatch.setattr(verify, "resolve_asr", lambda name: Steady())
    out = tmp_path / "v.flac"
    args = ["compress", str(clip), "-o", str(out), "--rate", "1", "--vad", "energy"]
    args += ["--verify", "steady"] + ([] if rounds is None else ["--verify-rounds", rounds])
    assert main(args) == 0
    assert Steady.calls == calls  # the original, then one check that finds nothing (unless 0)
    assert sf.info(out).duration < 3.5


@pytest.mark.parametrize("scope", [None, "window", "utterance"])
def test_compress_verify_scope_reaches_the_library(scope, clip, tmp_path, monkeypatch):
    from audiosqueeze import verify
    from audiosqueeze.transcript import Transcript, Word

    class Steady:
        name, config = "steady", {}

        def transcribe(self, samples):
            return Transcript("hi", (Word("hi", 0.1, 0.3, 0.99),))

    seen, real = [], verify.verify

    def spy(*a, **k):
        seen.append(a[6] if len(a) > 6 else k.get("scope"))
        return real(*a, **k)

    monkeypatch.setattr(verify, "resolve_asr", lambda name: Steady())
    monkeypatch.setattr(verify, "verify", spy)
    args = ["compress", str(clip), "-o", str(tmp_path / "v.flac"), "--rate", "1"]
    args += ["--vad", "energy", "--verify", "steady"]
    args += [] if scope is None else ["--verify-scope", scope]
    assert main(args) == 0
    assert seen == [scope or "utterance"]  # the default scope


@pytest.mark.parametrize(
    "raised, code, says",
    [
        (IsADirectoryError(21, "Is a directory", "/out/results.jsonl"), 1,
         "error: Is a directory (/out/results.jsonl)"),
        (PermissionError(13, "Permission denied"), 1, "error: Permission denied"),
        (ValueError("a bug"), 70, "internal error (ValueError: a bug)"),
    ],
)  # fmt: skip
def test_file_system_errors_are_one_plain_line_and_bugs_say_so(
    monkeypatch, capsys, tmp_path, raised, code, says
):
    import audiosqueeze as sq

    def boom(*a, **k):
        raise raised

    monkeypatch.delenv("AUDIOSQUEEZE_DEBUG", raising=False)
    monkeypatch.setattr(sq, "analyze", boom)
    clip = tmp_path / "c.wav"
    sf.write(clip, tone(0.5), 16000)
    assert main(["analyze", str(clip), "--vad", "energy"]) == code
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert ("internal error" in err) == (code == 70)
