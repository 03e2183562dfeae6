"""audiosqueeze: make speech audio shorter before a speech model hears it.

>>> import audiosqueeze as sq
>>> sq.tokens(60.0, model="gemini")
1920

``sq.compress(src, rate=0.5)`` returns a :class:`Compressed` (audio, timemap, plan, stats);
``sq.compress_file(src, dst)`` writes it in bounded memory; ``sq.Stream`` does it in real time
(``push`` / ``flush``); ``sq.analyze(src)`` gives the segments; ``sq.tokens(x, model=...)`` the
audio-token count.
"""

from .analyze import Analysis, AnalyzeOptions, Analyzer, Segment
from .audio import Audio, duration_s, encode, load
from .errors import (
    AudioError,
    AudioFileNotFoundError,
    AudiosqueezeError,
    AudiosqueezeWarning,
    AudioTooLongError,
    DecodeError,
    EmptyAudioError,
    InvalidAudioError,
    InvalidSampleRateError,
    ManifestError,
    MissingDependencyError,
    ModelNotFoundError,
    OptionsError,
    PathError,
    QuietInputWarning,
    ResultsFileError,
    TargetNotReachedWarning,
    TimeMapError,
    TooManyChannelsError,
    UnsupportedFormatError,
)
from .output import save
from .pipeline import analyze, compress, compress_file
from .plan import Edit, Plan, PlanOptions, plan
from .plan_search import plan_for_budget, plan_for_target
from .render import RenderOptions, render, timemap_of
from .results import Compressed, Stats, Written
from .segments import SegmentStore
from .stream import Stream
from .timemap import TimeMap
from .tokens import PROFILES, TokenProfile, token_table, tokens
from .transcript import Transcript, Word
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
    "AudiosqueezeWarning",
    "AudioTooLongError",
    "Compressed",
    "DecodeError",
    "Edit",
    "EmptyAudioError",
    "InvalidAudioError",
    "InvalidSampleRateError",
    "ManifestError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "OptionsError",
    "PathError",
    "ResultsFileError",
    "Plan",
    "PlanOptions",
    "RenderOptions",
    "Segment",
    "SegmentStore",
    "Stats",
    "Stream",
    "QuietInputWarning",
    "TargetNotReachedWarning",
    "TimeMap",
    "TimeMapError",
    "TokenProfile",
    "TooManyChannelsError",
    "Transcript",
    "UnsupportedFormatError",
    "Word",
    "Written",
    "analyze",
    "compress",
    "compress_file",
    "duration_s",
    "encode",
    "load",
    "plan",
    "plan_for_budget",
    "plan_for_target",
    "render",
    "save",
    "timemap_of",
    "to_samples",
    "to_seconds",
    "token_table",
    "tokens",
]
