"""``audiosqueeze`` command line: a thin layer over the public API.

Bad input gives a one-line ``error: ...`` on stderr and exit code 1 (usage errors: 2), never a
traceback. ``--json`` prints machine-readable output on stdout. ``-`` reads stdin / writes
stdout, so the tool sits in a pipe: ``ffmpeg -i talk.m4a -f flac - | audiosqueeze compress - -o -
--format raw | ...``.
"""

from __future__ import annotations

import os
import sys

import click

import audiosqueeze as sq

#: Commands that live outside this package, imported only when asked for (``--help`` lists
#: them too): ``audiosqueeze compress`` does not load the harness, the service or the corpus
#: runner, and those modules may import :mod:`.common` first without an import cycle.
ELSEWHERE = {
    "bench": "audiosqueeze.bench.cli:bench",
    "report": "audiosqueeze.bench.cli:report",
    "serve": "audiosqueeze.server.cli:serve",
    "keys": "audiosqueeze.server.cli:keys",
    "corpus": "audiosqueeze.corpus.cli:corpus",  # (issue 11)
}


class _Group(click.Group):
    """The ``audiosqueeze`` group: its own commands plus :data:`ELSEWHERE`, loaded lazily."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *ELSEWHERE})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in ELSEWHERE and name not in self.commands:
            import importlib

            module, attr = ELSEWHERE[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return super().get_command(ctx, name)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(sq.__version__, prog_name="audiosqueeze")
def cli() -> None:
    """Make speech audio shorter before a speech model hears it.

    \b
    Examples:
      audiosqueeze demo
      audiosqueeze compress talk.flac -o short.flac --rate 0.5 --timemap map.json
      mkdir -p out && audiosqueeze compress *.wav -o out/ --target-reduction 0.3
      ffmpeg -i talk.m4a -f flac - | audiosqueeze compress - -o - --format raw > short.pcm
      audiosqueeze stream talk.flac -o short.flac
      audiosqueeze analyze talk.flac
      audiosqueeze tokens talk.flac --model gemini
    """


def _add_commands() -> None:
    from .compress import compress
    from .info import analyze, demo, tokens
    from .stream import stream

    for command in (compress, analyze, tokens, demo, stream):
        cli.add_command(command)


_add_commands()


def _safe(text: str) -> str:
    """``text`` printable on any terminal (undecodable file-name bytes shown escaped)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn errors into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="audiosqueeze", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as e:
        e.message = _safe(e.message)
        e.show()
        return e.exit_code
    except sq.AudiosqueezeError as e:
        click.echo(f"error: {_safe(str(e))}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `| head`); keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as e:  # the file system said no (a folder where a file goes, no space, ...)
        where = f" ({_safe(str(e.filename))})" if e.filename else ""
        click.echo(f"error: {_safe(e.strerror or str(e))}{where}", err=True)
        return 1
    except Exception as e:  # a bug: one line, and the details on request
        if os.environ.get("AUDIOSQUEEZE_DEBUG"):
            raise
        click.echo(
            f"error: internal error ({type(e).__name__}: {_safe(str(e))}); "
            "rerun with AUDIOSQUEEZE_DEBUG=1 for the traceback and please report it",
            err=True,
        )
        return 70
    return 0
