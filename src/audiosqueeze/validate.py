"""Checks for values a user hands over (options, rates, sample rates).

Every check raises an :class:`~audiosqueeze.errors.AudiosqueezeError` subclass whose message
quotes the value received, before any work starts. Booleans are not numbers here, and neither
are strings that look like numbers: ``rate="0.5"`` is an error, not a silent conversion.
"""

from __future__ import annotations

import math
import numbers

from .errors import InvalidSampleRateError, OptionsError

#: Sample rates outside this range are rejected as absurd for speech audio.
MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 384_000


def number(
    name: str,
    value,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    error: type[Exception] = OptionsError,
) -> float:
    """``value`` as a finite float within ``[lo, hi]`` (ends open where asked), else ``error``.

    >>> number("rate", 0.5, 0, 1)
    0.5
    >>> number("rate", "0.5", 0, 1)
    Traceback (most recent call last):
    ...
    audiosqueeze.errors.OptionsError: rate must be a number in [0, 1], got '0.5' (str)
    """
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    span = (
        f" in {left}{_fmt(lo, '-inf')}, {_fmt(hi, 'inf')}{right}"
        if lo is not None or hi is not None
        else ""
    )
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        try:
            v = float(value)
        except OverflowError:  # an int past float range: out of any finite range
            v = math.inf
        ok = math.isfinite(v)
        ok = ok and (lo is None or (v > lo if lo_open else v >= lo))
        ok = ok and (hi is None or (v < hi if hi_open else v <= hi))
    if not ok:
        raise error(f"{name} must be a number{span}, got {shown(value)} ({type(value).__name__})")
    return v


def integer(name: str, value, lo: int | None = None, hi: int | None = None) -> int:
    """``value`` as an int within ``[lo, hi]`` (integral floats such as ``16000.0`` pass)."""
    v = number(name, value, lo, hi)
    if v != int(v):
        raise OptionsError(f"{name} must be a whole number, got {value!r}")
    return int(v)


def count(name: str, value, lo: int = 0, hi: int | None = None) -> int:
    """``value`` as an int within ``[lo, hi]``; only integers (``5.0`` is not a count of
    samples), not bools.

    >>> count("start", 5)
    5
    >>> count("start", 5.5)
    Traceback (most recent call last):
    ...
    audiosqueeze.errors.OptionsError: start must be a whole number >= 0, got 5.5 (float)
    """
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    ok = ok and value >= lo and (hi is None or value <= hi)
    if not ok:
        top = f" and <= {hi}" if hi is not None else ""
        raise OptionsError(
            f"{name} must be a whole number >= {lo}{top}, got {shown(value)} "
            f"({type(value).__name__})"
        )
    return int(value)


def sample_rate(
    value, what: str = "sample_rate", error: type[Exception] = InvalidSampleRateError
) -> int:
    """A sample rate in Hz: a whole number in [1 kHz, 384 kHz].

    >>> sample_rate(44100.0)
    44100
    """
    v = number(what, value, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE, error=error)
    if v != int(v):
        raise error(f"{what} must be a whole number of Hz, got {value!r}")
    return int(v)


def choice(name: str, value, options: tuple[str, ...]) -> str:
    """``value`` if it is one of ``options``, else an :class:`OptionsError` listing them."""
    if not isinstance(value, str) or value not in options:
        raise OptionsError(f"{name} must be one of {', '.join(options)}; got {shown(value)}")
    return value


def shown(value, limit: int = 80) -> str:
    """``repr(value)`` for a message, cut to about ``limit`` characters (an int of 10**400 is
    400 digits; past 4300, ``repr`` itself raises).

    >>> shown(0.5)
    '0.5'
    >>> shown(10**100)
    '10000000000000000000000000000000000000000000000000000000000000...(101 characters)'
    """
    try:
        text = repr(value)
    except ValueError:  # int too long for str(): sys.get_int_max_str_digits()
        bits = value.bit_length() if isinstance(value, int) else "?"
        return f"<{type(value).__name__} of {bits} bits>"
    return text if len(text) <= limit else f"{text[: limit - 18]}...({len(text)} characters)"


def _fmt(x: float | None, default: str) -> str:
    if x is None:
        return default
    return f"{x:g}"
