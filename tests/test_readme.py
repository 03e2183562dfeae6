"""README.md's examples, run, so that they cannot rot.

The fenced blocks are read from README.md itself (nothing is copied here). In a temporary
folder whose placeholder files (``talk.flac``, ``long.flac``, ``quiet.flac``, ``clips/*.wav``,
``mic.s16le``) are made from the bundled demo clip:

- each ```python block is executed, or named in :data:`PY_SKIP` with the reason; what is
  external to this package is stood in for (``microphone_chunks()``/``send()``, and the
  recogniser that ``verify="whisper-tiny.en"`` loads, which is a small fake here);
- each ``audiosqueeze ...`` line of a ```bash block is run by bash as written (with the few
  rewrites of :data:`CLI_RUN`, each with its reason) and its outputs are checked, or it is
  named in :data:`CLI_SKIP` with the reason.

A block or command line that is neither run nor skipped fails the test, and so does every
``sq.NAME``, ``audiosqueeze`` import, subcommand, option or choice of a README example that
the package does not have, skipped examples included.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
import pytest
import soundfile as sf

import audiosqueeze as sq
from conftest import REPO, needs_silero

README = REPO / "README.md"
CLIP = Path(sq.__file__).parent / "data" / "demo_common_voice_en_73.flac"
CLIP_FRAMES = sf.info(CLIP).frames


@dataclass(frozen=True)
class Block:
    lang: str
    line: int  # README line of the block's first code line
    code: str


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced code block of ``text`` (top-level ``` fences), in order."""
    blocks, lang, start, body = [], None, 0, []
    for no, line in enumerate(text.splitlines(), 1):
        fence = re.fullmatch(r"```(\S*)\s*", line)
        if lang is None and fence:
            lang, start, body = fence.group(1), no + 1, []
        elif lang is not None and line.rstrip() == "```":
            blocks.append(Block(lang, start, "\n".join(body) + "\n"))
            lang = None
        elif lang is not None:
            body.append(line)
    assert lang is None, "README.md: a code fence is never closed"
    return blocks


BLOCKS = fenced_blocks(README.read_text(encoding="utf-8"))
PY_BLOCKS = [b for b in BLOCKS if b.lang == "python"]
BASH_BLOCKS = [b for b in BLOCKS if b.lang == "bash"]


def command_lines(block: Block) -> list[tuple[int, str]]:
    """The logical lines of a bash block (``\\`` continuations joined), with README lines."""
    out, pending, first = [], "", 0
    for i, line in enumerate(block.code.splitlines()):
        if not pending:
            first = block.line + i
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        text = (pending + line).strip()
        pending = ""
        if text and not text.startswith("#"):
            out.append((first, text))
    return out


AUDIOSQUEEZE = re.compile(r"(?:^|[\s|;&(/])audiosqueeze(?=\s|$)")
CLI_LINES = [(no, t) for b in BASH_BLOCKS for no, t in command_lines(b) if AUDIOSQUEEZE.search(t)]

# --- Python blocks -------------------------------------------------------------------------

#: a substring of a README Python block -> why that block is not executed here
PY_SKIP = {
    "from openai import OpenAI": "needs a running `audiosqueeze serve` ([server] extra), its "
    "$KEY and the openai SDK (the proxy is tested in tests/server/test_server_transcribe.py)",
    "websockets.connect(": "needs a running `audiosqueeze serve` ([server] extra) and its $KEY "
    "(/v1/stream is tested in tests/server)",
    "compress_dataset(": "needs ../shared/data/other/jfk and starts a Ray cluster ([ray] extra; "
    "the stage is tested in tests/test_corpus_ray.py)",
}
#: a substring of the README Python block that is executed
PY_RUN = 'sq.compress("talk.flac", rate=0.5)'


def _classify_py(block: Block) -> str:
    keys = [k for k in [*PY_SKIP, PY_RUN] if k in block.code]
    assert len(keys) == 1, (
        f"README.md:{block.line}: a Python block must be run (PY_RUN) or skipped with a reason "
        f"(PY_SKIP) by exactly one key; matched {keys}"
    )
    return keys[0]


def _module_names(module: str) -> set[str]:
    """Top-level names an ``audiosqueeze`` module defines, read from its source (so a module
    whose optional extra is absent is checked too)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"no module {module}"
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.ImportFrom, ast.Import)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


@pytest.mark.parametrize("block", PY_BLOCKS, ids=lambda b: f"README.md:{b.line}")
def test_python_block_names_exist(block):
    """Every block, skipped ones too: it compiles, every ``sq.NAME`` exists and every name
    imported from ``audiosqueeze`` is defined there."""
    _classify_py(block)
    tree = ast.parse(block.code, f"README.md:{block.line}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "sq"
        ):
            assert hasattr(sq, node.attr), f"README.md:{block.line}: no sq.{node.attr}"
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("audiosqueeze"):
            missing = {a.name for a in node.names} - _module_names(node.module)
            assert not missing, f"README.md:{block.line}: {node.module} has no {missing}"


def _placeholders(folder: Path) -> Path:
    """The files README's examples name, made from the bundled clip."""
    x, sr = sf.read(CLIP, dtype="float32")
    for name in ("talk.flac", "long.flac"):
        shutil.copyfile(CLIP, folder / name)
    sf.write(folder / "quiet.flac", x * 10 ** (-40 / 20), sr)  # 40 dB too quiet
    (folder / "clips").mkdir()
    for name in ("a.wav", "b.wav"):
        sf.write(folder / "clips" / name, x, sr)
    pcm = np.clip(np.round(x[: 2 * sr] * 32768), -32768, 32767).astype("<i2")
    (folder / "mic.s16le").write_bytes(pcm.tobytes())  # 2 s: `stream -` runs in real time
    return folder


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(_placeholders(tmp_path))
    return tmp_path


class FakeRecogniser:
    """Stands in for Whisper tiny.en (absent offline): one sure word per half second."""

    name, config = "fake-whisper-tiny.en", {}

    def __init__(self):
        self.calls = 0

    def transcribe(self, samples):
        self.calls += 1
        n = int(len(samples) / 8000)
        words = tuple(sq.Word(f"w{i}", i / 2, i / 2 + 0.3, 0.9) for i in range(n))
        return sq.Transcript(" ".join(w.text for w in words), words)


@needs_silero
@pytest.mark.parametrize("block", PY_BLOCKS, ids=lambda b: f"README.md:{b.line}")
def test_python_block_runs(block, workdir, monkeypatch, capsys):
    key = _classify_py(block)
    if key in PY_SKIP:
        pytest.skip(f"README.md:{block.line}: {PY_SKIP[key]}")
    fake, loaded = FakeRecogniser(), []

    def load_asr(name, **options):
        from audiosqueeze.asr import asr_name

        loaded.append(asr_name(name))  # the real check: a name no backend takes raises
        return fake

    monkeypatch.setattr("audiosqueeze.asr.load_asr", load_asr)  # only the recogniser is faked
    sent = []

    def microphone_chunks():
        """The clip at 48 kHz, stereo int16, in uneven chunks."""
        import soxr

        x = soxr.resample(sf.read(CLIP, dtype="float32")[0], 16000, 48000)
        pcm = np.round(np.stack([x, x], axis=1) * 32767).astype(np.int16)
        i, sizes = 0, [480, 1001, 4803]
        while i < len(pcm):
            yield pcm[i : i + sizes[i % 3]]
            i += sizes[i % 3]

    ns = {"__name__": "__readme__", "microphone_chunks": microphone_chunks, "send": sent.append}
    code = compile("\n" * (block.line - 1) + block.code, str(README), "exec")  # README lines
    exec(code, ns)

    out = ns["out"]
    assert out.stats.input_s == pytest.approx(CLIP_FRAMES / 16000)
    assert 0 < out.stats.output_s < out.stats.input_s
    printed = capsys.readouterr().out.split()
    assert [float(v) for v in printed] == [
        out.stats.input_s,
        out.stats.output_s,
        out.stats.tokens_after["gemini"],
    ]
    # compress_file wrote short.flac and map.json last: the same clip at the same rate
    assert sf.info("short.flac").frames == round(out.stats.output_s * 16000)
    tm = json.loads(Path("map.json").read_text())
    assert tm["compressed"][-1] == sf.info("short.flac").frames
    assert loaded == ["whisper-tiny.en"] and fake.calls >= 2  # verify= really checked
    streamed = np.concatenate(sent)
    assert streamed.ndim == 1 and 0 < len(streamed) < CLIP_FRAMES
    assert ns["stream"].timemap is not None
    assert ns["a"].intervals("speech").shape[1] == 2


# --- bash blocks: the `audiosqueeze ...` lines ----------------------------------------------


def _frames(path) -> int:
    return sf.info(path).frames


@functools.cache
def _compressed_frames() -> int:
    """The clip's length after ``sq.compress`` with every default."""
    return len(sq.compress(CLIP).audio)


def _check_compress_timemap(d: Path, p) -> None:
    assert 0 < _frames(d / "short.flac") < CLIP_FRAMES
    tm = json.loads((d / "map.json").read_text())
    assert tm["compressed"][-1] == _frames(d / "short.flac")
    assert tm["original"][-1] == CLIP_FRAMES


def _check_many(d: Path, p) -> None:
    rows = [json.loads(line) for line in p.text.splitlines()]
    assert [Path(r["output"]).name for r in rows] == ["a.flac", "b.flac"]
    for name in ("a.flac", "b.flac"):
        assert 0 < _frames(d / "out" / name) < CLIP_FRAMES
    assert all(r["reduction"] == pytest.approx(0.3, abs=0.02) for r in rows)


def _check_raw_stdout_file(d: Path, p) -> None:
    n = (d / "short.s16le").stat().st_size
    assert n % 2 == 0 and n // 2 == _compressed_frames()  # FLAC on stdin: what compress() gives


def _check_stream_file(d: Path, p) -> None:
    assert _frames(d / "short.flac") == _compressed_frames()  # Stream = compress()
    assert "latency" in p.stderr + p.text


def _check_stream_raw(d: Path, p) -> None:
    n_in = (d / "mic.s16le").stat().st_size
    assert len(p.stdout) % 2 == 0 and 0 < len(p.stdout) < n_in
    assert "latency" in p.stderr


def _check_latency(d: Path, p) -> None:
    assert "latency" in p.stderr + p.text


def _check_analyze(d: Path, p) -> None:
    if "--json" in p.command:
        kinds = {s["kind"] for s in json.loads(p.text)["segments"]}
    else:
        kinds = {k for k in ("speech", "silence", "noise") if k in p.text}
    assert "speech" in kinds


def _check_quiet(d: Path, p) -> None:
    assert 0 < _frames(d / "short.flac") < CLIP_FRAMES


def _check_tokens(d: Path, p) -> None:
    assert "gemini" in p.text and "whisper" in p.text


def _check_demo(d: Path, p) -> None:
    assert "demo clip" in p.text and "0.50" in p.text


FAST = (r"$", " --fast", "real-time pace only sleeps: --fast pushes the same chunks at once")

#: a README command line (a regex found in it) -> (check, rewrites: (regex, by, reason) ...)
CLI_RUN = {
    r"^audiosqueeze demo$": (_check_demo,),
    r"compress talk\.flac -o short\.flac .*--timemap map\.json": (_check_compress_timemap,),
    r"compress clips/\*\.wav -o out/": (_check_many,),
    r"^ffmpeg .*\| audiosqueeze compress - -o - .*> short\.s16le$": (
        _check_raw_stdout_file,
        (r"^ffmpeg [^|]*\|", "cat talk.flac |", "no FFmpeg offline: the clip is already FLAC"),
    ),
    r"stream talk\.flac -o short\.flac": (_check_stream_file, FAST),
    r"stream - --input-rate 16000 -o - < mic\.s16le": (_check_stream_raw,),
    r"stream talk\.flac --max-segment-ms": (_check_latency, FAST),
    r"analyze talk\.flac": (_check_analyze,),
    r"compress quiet\.flac -o short\.flac": (_check_quiet,),
    r"tokens talk\.flac": (_check_tokens,),
}

_DATA = "needs the real data in ../shared/data"
#: a README command line (a unique substring of it) -> why it is not run here
CLI_SKIP = {
    "python3 -m venv .venv": "installs from the network; the `audiosqueeze demo` it ends with "
    "is run from the Command line block",
    "bench --data ../shared/data --split test": f"{_DATA}, FFmpeg and Whisper weights "
    "([whisper,whisper-base,asr,bench] extras)",
    "report results/ results-hama/": "needs the result folders of `audiosqueeze bench` runs",
    "--datasets nonspeech,longform-hard": f"{_DATA} and Whisper weights",
    "keys create --name me": "needs the [server] extra and writes into the user's data dir "
    "(keys are tested in tests/server)",
    "audiosqueeze serve &": "starts a server in the background ([server] extra; tests/server)",
    "corpus ../shared/data/librispeech/dev-clean": _DATA,
    "corpus '../shared/data/commonvoice": _DATA,
    "corpus ../shared/data/other -o corpus-ray --ray": f"{_DATA} and starts a Ray cluster",
}


def _clean(text: str) -> str:
    return re.sub(r"\s+#.*$", "", text).strip()  # the README's trailing comments


def _keys(text: str) -> list[str]:
    return [k for k in CLI_RUN if re.search(k, _clean(text))] + [k for k in CLI_SKIP if k in text]


def _classify_cli(text: str) -> str:
    keys = _keys(text)
    assert len(keys) == 1, (
        f"README command {text!r} must be run (CLI_RUN) or skipped with a reason (CLI_SKIP) "
        f"by exactly one key; matched {keys}"
    )
    return keys[0]


def _variants(line: str) -> list[str]:
    """A synopsis' concrete commands: none of its ``[...]`` parts, then all of them with each
    alternative of ``a|b|c`` in turn."""
    groups = re.findall(r"\[([^\]]*)\]", line)
    if not groups:
        return [line]
    n = max(len(g.split()[-1].split("|")) for g in groups)
    out = [re.sub(r"\s*\[[^\]]*\]", "", line)]
    for i in range(n):

        def pick(m, i=i):
            *opt, alts = m.group(1).split()
            alts = alts.split("|")
            return " ".join([*opt, alts[min(i, len(alts) - 1)]])

        out.append(re.sub(r"\[([^\]]*)\]", pick, line))
    return out


def _invocations(text: str) -> list[list[str]]:
    """The argument lists given to ``audiosqueeze`` in a shell command line."""
    lex = shlex.shlex(_clean(text), posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    tokens, out = list(lex), []
    for i, tok in enumerate(tokens):
        if re.fullmatch(r"(?:.*/)?audiosqueeze", tok):
            args = []
            for t in tokens[i + 1 :]:
                if t in {"|", ">", "<", "&&", ";", "&", ")", "||"}:
                    break
                args.append(t)
            out.append(args)
    return out


def _command(args: list[str]) -> tuple[click.Command, list[str]]:
    from audiosqueeze.cli import cli

    cmd, i = cli, 0
    while isinstance(cmd, click.Group):  # (get_command: the group loads some commands lazily)
        sub = cmd.get_command(click.Context(cmd), args[i]) if i < len(args) else None
        assert sub is not None, f"no subcommand {args[i : i + 1]}"
        cmd, i = sub, i + 1
    return cmd, args[i:]


@pytest.mark.parametrize("no_text", CLI_LINES, ids=lambda t: f"README.md:{t[0]}")
def test_cli_line_names_exist(no_text):
    """Every ``audiosqueeze`` line, skipped ones too: its subcommand, each option, and each
    value of an option with choices exist; and its ``--help`` works."""
    no, text = no_text
    _check_names(no, text)
    _classify_cli(text)


def _check_names(no: int, text: str) -> None:
    from click.testing import CliRunner

    from audiosqueeze.cli import cli

    for args in (a for variant in _variants(_clean(text)) for a in _invocations(variant)):
        cmd, rest = _command(args)
        opts = {o: p for p in cmd.params for o in (*p.opts, *p.secondary_opts)}
        for i, tok in enumerate(rest):
            if not tok.startswith("-") or tok == "-":
                continue
            param = opts.get(tok.split("=")[0])
            assert param is not None, f"README.md:{no}: {cmd.name} has no option {tok}"
            if isinstance(param.type, click.Choice) and not param.is_flag:
                value = rest[i + 1]
                assert value in param.type.choices, f"README.md:{no}: {tok} {value}"
        path = args[: len(args) - len(rest)]
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, result.output


def _shim(folder: Path) -> dict:
    """An environment whose ``audiosqueeze`` is this checkout's CLI, run by this Python."""
    bin_dir = folder / ".bin"
    bin_dir.mkdir()
    shim = bin_dir / "audiosqueeze"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m audiosqueeze.cli "$@"\n')
    shim.chmod(0o755)
    src = str(Path(sq.__file__).resolve().parents[1])
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


@dataclass(frozen=True)
class Ran:
    command: str
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout.decode(errors="replace")


@needs_silero
@pytest.mark.parametrize("no_text", CLI_LINES, ids=lambda t: f"README.md:{t[0]}")
def test_cli_line_runs(no_text, workdir):
    no, text = no_text
    _check_names(no, text)  # a renamed option says so, not just "exited 2"
    key = _classify_cli(text)
    if key in CLI_SKIP:
        pytest.skip(f"README.md:{no}: {CLI_SKIP[key]}")
    check, *rewrites = CLI_RUN[key]
    line = _clean(text)
    for pattern, by, _reason in rewrites:
        line, n = re.subn(pattern, by, line, count=1)
        assert n == 1, f"README.md:{no}: the rewrite {pattern!r} no longer applies to {text!r}"
    env = _shim(workdir)
    for command in _variants(line):
        p = subprocess.run(
            ["bash", "-c", command], cwd=workdir, env=env, capture_output=True, timeout=60
        )
        err = p.stderr.decode(errors="replace")
        assert p.returncode == 0, f"README.md:{no}: {command!r} exited {p.returncode}: {err}"
        assert "Traceback" not in err and "error:" not in err, err
        check(workdir, Ran(command, p.stdout, err))


def test_bash_blocks_name_files_that_exist():
    """Repository paths in the bash blocks (benchmarks, the demo clip) exist."""
    for block in BASH_BLOCKS:
        for path in re.findall(
            r"(?<![\w./])((?:benchmarks|scripts|src|docs)/[\w./-]+\w)", block.code
        ):
            assert (REPO / path).exists(), f"README.md (block at line {block.line}): {path}"


def test_every_block_is_covered():
    """The README has the blocks this file knows, and each skip key still matches a line."""
    assert {b.lang for b in BLOCKS} <= {"python", "bash", ""}
    assert PY_RUN in {_classify_py(b) for b in PY_BLOCKS}
    assert set(PY_SKIP) <= {_classify_py(b) for b in PY_BLOCKS}
    used = {_classify_cli(t) for _, t in CLI_LINES}
    unused = (set(CLI_RUN) | set(CLI_SKIP)) - used
    assert not unused, f"keys that name no README command (stale): {unused}"
