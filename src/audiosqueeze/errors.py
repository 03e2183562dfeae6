"""One error hierarchy: every problem audiosqueeze reports is an :class:`AudiosqueezeError`.

Messages quote the value that was received, so a one-line CLI message is enough to act on.
Warnings live here too (:class:`AudiosqueezeWarning`).
"""

from __future__ import annotations


class AudiosqueezeError(Exception):
    """Base class of every error raised on purpose by audiosqueeze."""


class AudioError(AudiosqueezeError):
    """The audio itself is unusable (base of the audio errors below)."""


class AudioFileNotFoundError(AudioError, FileNotFoundError):
    """The input path does not exist."""


class EmptyAudioError(AudioError):
    """The input decodes to zero samples."""


class DecodeError(AudioError):
    """The bytes are not audio, or are corrupt."""


class UnsupportedFormatError(AudioError):
    """The container or codec cannot be read (or written) with what is installed."""


class InvalidAudioError(AudioError, ValueError):
    """Samples contain NaN or infinity, or the array has an unusable shape or dtype."""


class InvalidSampleRateError(AudioError, ValueError):
    """The sample rate is outside what speech audio can sensibly have."""


class TooManyChannelsError(AudioError, ValueError):
    """More channels than audiosqueeze will down-mix (8)."""


class AudioTooLongError(AudioError):
    """The input is longer than the ``max_duration_s`` the caller allowed."""


class OptionsError(AudiosqueezeError, ValueError):
    """An option or argument is out of range."""


class ModelNotFoundError(AudiosqueezeError):
    """A model file (e.g. Silero VAD) is not on this machine; the message says how to get it."""


class MissingDependencyError(AudiosqueezeError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class TimeMapError(AudiosqueezeError, ValueError):
    """A time map is malformed (not monotone, or arrays of different lengths)."""


class PathError(AudiosqueezeError, OSError):
    """A path cannot be used: too long, not a regular file, not writable, or an unusable name."""


class ManifestError(AudiosqueezeError, ValueError):
    """A manifest cannot be read: not JSON lines, or a row without the fields it needs (a
    corpus input, or the evaluation data's ``manifest.jsonl``)."""


class ResultsFileError(AudiosqueezeError, ValueError):
    """A bench results file that is not bench rows (not JSON, or a row without its fields)."""


# -- warnings ------------------------------------------------------------------------------


class AudiosqueezeWarning(UserWarning):
    """Base class of every warning audiosqueeze issues."""


class TargetNotReachedWarning(AudiosqueezeWarning):
    """``target_reduction`` is more than rate 1 gives; the rate-1 plan is used."""


def warn(warning: AudiosqueezeWarning) -> None:
    """Issue ``warning`` at the first line outside this package: the line that called the
    library, however many of its own functions lie between (``compress`` runs
    ``compress_to_sink``, itself again with ``verify``, and the planner's search), as a reader of
    the message and a warning filter both expect."""
    import os
    import sys
    import warnings

    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    level, frame = 2, sys._getframe(1)  # stacklevel 2: the function that called warn
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        level, frame = level + 1, frame.f_back
    warnings.warn(warning, stacklevel=level)


class QuietInputWarning(AudiosqueezeWarning):
    """The recording is so quiet that the VAD, even through its input gain
    (``AnalyzeOptions.vad_max_gain_db``), may take its speech for silence (Silero misses speech
    under about -55 dBFS): raise its level, or the gain."""
