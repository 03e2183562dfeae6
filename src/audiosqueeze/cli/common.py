"""Helpers shared by the command modules: consoles, printable paths, common options."""

from __future__ import annotations

import os
import sys

import click

from ..vad import VAD_NAMES


def console(stderr: bool = False):
    import shutil

    from rich.console import Console

    # rich assumes 80 columns when stdout is not a terminal; the tables need a little more
    width = max(shutil.get_terminal_size().columns, 120)
    return Console(highlight=False, width=width, stderr=stderr)


def shown(path) -> str:
    """A path as printable text (undecodable bytes replaced), for tables and messages."""
    return click.format_filename(os.fspath(path))


def vad_option(f):
    return click.option(
        "--vad",
        type=click.Choice(VAD_NAMES),
        default="silero",
        show_default=True,
        help="Voice activity detector: silero (ONNX model), webrtc, or energy (no model).",
    )(f)


def vad_gain_option(f):
    """``--vad-gain`` and ``--vad-reset-drop``: how the VAD hears quiet speech (both in dB,
    defaults from ``AnalyzeOptions``)."""
    import audiosqueeze as sq

    o = sq.AnalyzeOptions()
    for flag, dest, top, default, text in (
        ("--vad-reset-drop", "vad_reset_drop", 200.0, o.vad_reset_drop_db,
         "Where loud noise the VAD was sure of ends in a drop of DB decibels or more, the VAD "
         "and its gain start afresh, so quiet speech right after it is heard. 0 = off."),
        ("--vad-gain", "vad_gain", 60.0, o.vad_max_gain_db,
         "The VAD hears quiet audio raised by up to DB decibels, so a quiet recording's "
         "speech is not taken for silence (Silero misses speech below about -55 dBFS); only "
         "what the VAD hears is raised, never the output. 0 = off."),
    ):  # fmt: skip
        f = click.option(
            flag,
            dest,
            type=click.FloatRange(0.0, top),
            default=default,
            show_default=True,
            metavar="DB",
            help=text,
        )(f)
    return f


def rate_option(f):
    return click.option(
        "--rate",
        type=click.FloatRange(0.0, 1.0),
        default=0.5,
        show_default=True,
        help="0 = unchanged (bit-exact); up to 0.5 pauses are cut (0.5: all of them, speech "
        "untouched, the default); above 0.5 speech also speeds up, to 1.5x at 1.",
    )(f)


def analyze_options(vad: str, vad_gain: float, vad_reset_drop: float, **kw):
    import audiosqueeze as sq

    return sq.AnalyzeOptions(
        vad=vad, vad_max_gain_db=vad_gain, vad_reset_drop_db=vad_reset_drop, **kw
    )


def options(vad: str, tsm: str, vad_gain: float, vad_reset_drop: float):
    import audiosqueeze as sq

    return analyze_options(vad, vad_gain, vad_reset_drop), sq.RenderOptions(tsm=tsm)


def binary_stream(name: str):
    """``sys.stdin`` or ``sys.stdout`` as bytes (Click's ``get_binary_stream`` is deprecated
    since Click 8.5 and goes in 9.0)."""
    stream = getattr(sys, name)
    return getattr(stream, "buffer", stream)


def stdin():
    stream = binary_stream("stdin")
    if stream.isatty():
        raise click.UsageError(
            "stdin is a terminal: pipe audio in, e.g. ffmpeg -i talk.m4a -f flac - | "
            "audiosqueeze compress - -o short.flac"
        )
    return stream
