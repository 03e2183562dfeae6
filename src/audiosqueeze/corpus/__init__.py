"""Compress corpora: many files, resumable, on a local process pool or on Ray.

::

    from audiosqueeze.corpus import CorpusOptions, run_corpus

    summary = run_corpus("clips/", "out/", CorpusOptions(rate=0.5), jobs=2)

See :mod:`audiosqueeze.corpus.run` for the output folder's layout and the resume rules,
:mod:`audiosqueeze.corpus.manifests` for the input and output manifest formats, and
:mod:`audiosqueeze.ray` for the Ray Data stage.
"""

from .manifests import ManifestError, read_input
from .run import Summary, load_records, run_corpus
from .work import BadItem, CorpusOptions, Item

__all__ = [
    "BadItem",
    "CorpusOptions",
    "Item",
    "ManifestError",
    "Summary",
    "load_records",
    "read_input",
    "run_corpus",
]
