"""``audiosqueeze.cli.main`` turns each way a command can end into one line on stderr and the
exit code shells expect (130 for Ctrl-C, 141 for a closed pipe, 70 for a bug)."""

import io
import os
import sys

import click
import pytest

from audiosqueeze import cli as cli_module
from audiosqueeze.cli import main


def ending_with(monkeypatch, exc):
    def fake_main(*args, **kwargs):
        raise exc

    monkeypatch.setattr(cli_module.cli, "main", fake_main)


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (click.exceptions.Abort(), 130, "aborted"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
)
def test_an_interrupt_exits_130_with_one_line_on_stderr(monkeypatch, capsys, exc, code, line):
    ending_with(monkeypatch, exc)
    assert main([]) == code
    out, err = capsys.readouterr()
    assert (out, err) == ("", line + "\n")


def test_a_closed_pipe_exits_141_and_points_stdout_at_devnull(monkeypatch, capsys):
    ending_with(monkeypatch, BrokenPipeError())
    calls = []
    monkeypatch.setattr(os, "dup2", lambda fd, to: calls.append(to))
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO()))
    monkeypatch.setattr(sys.stdout, "fileno", lambda: 7)
    assert main([]) == 141
    assert calls == [7]  # stdout's descriptor, so the exit-time flush has nowhere to fail
    assert capsys.readouterr().err == ""


def test_a_bug_is_one_line_and_exit_70_and_debug_raises_it(monkeypatch, capsys):
    ending_with(monkeypatch, ZeroDivisionError("boom"))
    monkeypatch.delenv("AUDIOSQUEEZE_DEBUG", raising=False)
    assert main([]) == 70
    err = capsys.readouterr().err
    assert err.startswith("error: internal error (ZeroDivisionError: boom); rerun with")
    assert err.count("\n") == 1
    monkeypatch.setenv("AUDIOSQUEEZE_DEBUG", "1")
    with pytest.raises(ZeroDivisionError, match="boom"):
        main([])


@pytest.mark.parametrize(
    "module", ["audiosqueeze.corpus.cli", "audiosqueeze.bench.cli", "audiosqueeze.server.cli"]
)
def test_a_command_module_imported_first_imports(module):
    """corpus.cli imports cli.common, whose package once imported corpus.cli back while it
    was half made (ImportError: pytest src/audiosqueeze/corpus alone failed)."""
    import subprocess

    code = f"import {module}, audiosqueeze.cli as c; print(sorted(c.cli.list_commands(None)))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    names = [
        "analyze",
        "bench",
        "compress",
        "corpus",
        "demo",
        "keys",
        "report",
        "serve",
        "stream",
        "tokens",
    ]
    assert r.stdout.strip() == str(names)


def test_a_core_command_leaves_the_harness_service_and_corpus_unloaded():
    import subprocess

    code = (
        "import sys; from audiosqueeze.cli import main; rc = main(['tokens', '--help']); "
        "print(rc, sorted(m for m in sys.modules if m.split('.')[1:2] in "
        "(['bench'], ['server'], ['corpus'])))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "0 []"


def test_each_lazy_command_is_the_one_its_module_defines():
    import importlib

    for name, where in cli_module.ELSEWHERE.items():
        module, attr = where.split(":")
        got = cli_module.cli.get_command(None, name)
        assert got is getattr(importlib.import_module(module), attr) and got.name == name
    assert cli_module.cli.get_command(None, "nonesuch") is None
