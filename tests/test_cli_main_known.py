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
