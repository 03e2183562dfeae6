"""The evaluation harness: datasets x methods x recognisers, scored and reported.

- :mod:`~audiosqueeze.bench.run`: ``run_bench`` (one JSON row per transcript);
- :mod:`~audiosqueeze.bench.cache`: ``TranscriptCache``, transcripts on disk by samples and config;
- :mod:`~audiosqueeze.bench.methods`: every compared way of shortening audio, by name;
- :mod:`~audiosqueeze.bench.report`: tables and plots from result rows;
- :mod:`~audiosqueeze.bench.cli`: the ``audiosqueeze bench`` and ``report`` commands.

It sits around the core and is never imported by it.
"""

from .cache import TranscriptCache
from .run import (
    DATASETS,
    DEFAULT_DATASETS,
    ROW_FIELDS,
    BenchOptions,
    load_utterances,
    run_bench,
    score,
)

__all__ = [
    "DATASETS",
    "DEFAULT_DATASETS",
    "ROW_FIELDS",
    "BenchOptions",
    "TranscriptCache",
    "load_utterances",
    "run_bench",
    "score",
]
