"""How every script in ``benchmarks/`` ends: a bad input is one line, never a traceback.

``run_script(main)`` calls the script's ``main()`` and turns what a user can get wrong -- a data
folder that does not exist, a rows file that is missing or not JSON, a model that is not
installed (every :class:`audiosqueeze.AudiosqueezeError`) -- into ``SCRIPT: error: MESSAGE`` on
stderr and exit status 2, as argparse does for a bad flag. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from audiosqueeze.errors import AudiosqueezeError


def _message(e: BaseException) -> str:
    if isinstance(e, OSError) and e.filename is not None:
        return f"{e.strerror or e}: {str(e.filename)!r}"
    return str(e)


def run_script(main: Callable[[], object]) -> None:
    """Run ``main`` and exit: its integer return value, or 2 with one line for a bad input."""
    prog = Path(sys.argv[0]).name
    try:
        rc = main()
    except (AudiosqueezeError, OSError, json.JSONDecodeError) as e:
        print(f"{prog}: error: {_message(e)}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(rc if isinstance(rc, int) else 0)


def number_list(example: str) -> Callable[[str], list[float]]:
    """An argparse ``type`` for comma-separated numbers (``example`` is shown when one is not
    a number); the options they go into check their ranges."""

    def parse(text: str) -> list[float]:
        try:
            return [float(v) for v in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError(f"need numbers like {example}, got {text!r}") from None

    return parse


def whole(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` for a count, a seed or the like: a whole number of at least
    ``minimum`` (a negative ``--limit`` would otherwise slice clips off the end of a list)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"need a whole number >= {minimum}, got {text!r}")
        return value

    return parse
