"""audiosqueeze: make speech audio shorter before a speech model hears it.

>>> import audiosqueeze as sq
>>> sq.tokens(60.0, model="gemini")
1920

``sq.compress(src, rate=0.5)`` returns a :class:`Compressed` (audio, timemap, plan, stats);
``sq.analyze(src)`` the segments; ``sq.tokens(x, model=...)`` the audio-token count.
"""

from .analyze import Analysis, AnalyzeOptions, Analyzer, Segment, analyze
from .audio import Audio, duration_s, load, save
from .errors import (
    AudioError,
    AudioFileNotFoundError,
    AudiosqueezeError,
    DecodeError,
    EmptyAudioError,
    InvalidAudioError,
    InvalidSampleRateError,
    MissingDependencyError,
    ModelNotFoundError,
    OptionsError,
    TimeMapError,
    TooManyChannelsError,
    UnsupportedFormatError,
)
from .pipeline import Compressed, Stats, compress, compress_file
from .plan import Edit, Plan, PlanOptions, TargetNotReachedWarning, plan, plan_for_target
from .render import render, timemap_of
from .timemap import TimeMap
from .tokens import PROFILES, TokenProfile, token_table, tokens
from .units import SAMPLE_RATE, to_samples, to_seconds

__version__ = "0.1.0"

__all__ = [
    "SAMPLE_RATE",
    "PROFILES",
    "Analysis",
    "AnalyzeOptions",
    "Analyzer",
    "Audio",
    "AudioError",
    "AudioFileNotFoundError",
    "AudiosqueezeError",
    "Compressed",
    "DecodeError",
    "Edit",
    "EmptyAudioError",
    "InvalidAudioError",
    "InvalidSampleRateError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "OptionsError",
    "Plan",
    "PlanOptions",
    "Segment",
    "Stats",
    "TargetNotReachedWarning",
    "TimeMap",
    "TimeMapError",
    "TokenProfile",
    "TooManyChannelsError",
    "UnsupportedFormatError",
    "analyze",
    "compress",
    "compress_file",
    "duration_s",
    "load",
    "plan",
    "plan_for_target",
    "render",
    "save",
    "timemap_of",
    "to_samples",
    "to_seconds",
    "token_table",
    "tokens",
]
