"""The evaluation harness: datasets x methods x recognisers, one JSON row per transcript.

``run_bench`` transcribes every utterance after every method, scores it (see
:mod:`audiosqueeze.evaluate`) and streams rows to ``OUT/results.jsonl`` as it goes, so an
interrupted run keeps what it did. Rows of earlier runs into the same folder that this run
does not redo (other methods, recognisers or recordings) are kept, at the top of the file.
Transcripts are cached under ``OUT/cache`` by a hash of the samples and the recogniser's
config (:mod:`audiosqueeze.bench.cache`), so a rerun only does new work. ``OUT/longform.json``
describes the generated long-form recordings (``OUT/longform-hard.json`` the harder set).
:mod:`audiosqueeze.bench.report` turns rows into tables and plots.

Datasets: ``librispeech``, ``commonvoice`` (the manifest's fixed splits), ``longform``
(generated from them), ``nonspeech`` (the non-speech clips' own dev/test half, every
reference empty) and ``longform-hard`` (10-60 s stretches of that half's non-speech clips
between utterances, room tone at the end; see
:func:`~audiosqueeze.datasets.longform.make_hard_longform`).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import evaluate as ev
from ..asr import asr_name, load_asr
from ..audio import Audio
from ..datasets import SPLITS, Utterance, split_utterances
from ..errors import OptionsError
from ..tokens import tokens
from ..transcript import Transcript, Word
from ..units import SAMPLE_RATE
from .cache import TranscriptCache
from .methods import DEFAULT_METHODS, METHODS, MethodOutput, apply, is_method

DATASETS = ("librispeech", "commonvoice", "longform", "nonspeech", "longform-hard")
#: What ``bench`` runs when no ``--datasets`` is given (those of the first evaluation).
DEFAULT_DATASETS = ("librispeech", "commonvoice", "longform")
#: Datasets from elsewhere: ``librispeech:DIR`` (a LibriSpeech folder), ``commonvoice:DIR[:TSV]``
#: (a Common Voice folder; TSV defaults to the split name) and ``hf:NAME[:CONFIG[:SPLIT]]``.
EXTERNAL = ("librispeech", "commonvoice", "hf")

#: Every row of results.jsonl has exactly these fields (None where one does not apply:
#: ``gaps`` outside the long-form sets; region errors and ``ts_error_ms`` without a time map;
#: ``category`` outside the non-speech set; ``no_speech`` for methods other than ours;
#: ``parts_cut`` outside the long-form sets or without a time map).
ROW_FIELDS = (
    "asr", "dataset", "split", "id", "method", "asr_s", "cached", "asr_config",
    "input_s", "output_s", "gemini_before", "gemini_after", "ref", "hyp", "words", "chars",
    "loop_words", "method_s", "gaps", "edited_s", "errors_edited", "errors_untouched",
    "base_errors_edited", "base_errors_untouched", "ts_error_ms", "category", "no_speech",
    "parts_cut",
)  # fmt: skip


@dataclass(frozen=True)
class BenchOptions:
    """What to run. ``limit``: at most this many utterances per dataset (manifest order);
    ``longform_count``/``seed``: the generated long-form set."""

    data: Path
    out: Path
    split: str = "test"
    datasets: tuple[str, ...] = DEFAULT_DATASETS
    asr: tuple = ("whisper-tiny.en",)  #: names, or loaded objects with ``transcribe``
    methods: tuple[str, ...] = DEFAULT_METHODS
    limit: int | None = None
    longform_count: int = 6
    seed: int = 0
    asr_options: dict = field(default_factory=dict)
    jobs: int = 1  #: recordings worked on at once, each in its own process with its own models

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise OptionsError(f"unknown split {self.split!r}; choose one of {', '.join(SPLITS)}")
        for d in self.datasets:  # an empty DIR or NAME would read the current folder
            if d not in DATASETS and (d.split(":")[0] not in EXTERNAL or not d.split(":")[1]):
                raise OptionsError(
                    f"unknown dataset {d!r}; choose from {', '.join(DATASETS)}, "
                    "librispeech:DIR, commonvoice:DIR[:TSV] or hf:NAME[:CONFIG[:SPLIT]]"
                )
        for m in self.methods:
            if not is_method(m):
                raise OptionsError(
                    f"unknown method {m!r}; choose from {', '.join(METHODS)} "
                    "(each may end in @d1 ... @d9: run on the original plus that dither)"
                )
        if self.limit is not None and self.limit < 1:
            raise OptionsError(f"limit must be >= 1, got {self.limit}")
        for name, low in (("longform_count", 1), ("seed", 0)):
            v = getattr(self, name)  # a count of 0 or a negative seed would fail mid-run
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise OptionsError(f"{name} must be a whole number >= {low}, got {v!r}")
        whole = isinstance(self.jobs, int) and not isinstance(self.jobs, bool)
        if not whole or not 1 <= self.jobs <= 64:
            raise OptionsError(f"jobs must be a whole number from 1 to 64, got {self.jobs!r}")
        for a in self.asr:  # an unknown name fails here, before any work or worker
            if isinstance(a, str) or not hasattr(a, "transcribe"):
                asr_name(a)


def load_utterances(opts: BenchOptions) -> dict[str, list[Utterance]]:
    """The utterances of each requested dataset (long-form generated from the split's clips)."""
    out: dict[str, list[Utterance]] = {}
    for name in opts.datasets:
        if name == "longform":
            from ..datasets.longform import describe, longform_set

            recs = longform_set(opts.data, opts.split, seed=opts.seed, count=opts.longform_count)
            opts.out.mkdir(parents=True, exist_ok=True)
            (opts.out / "longform.json").write_text(json.dumps(describe(recs), indent=1))
            out[name] = recs
        elif name == "nonspeech":
            from ..datasets.nonspeech import from_nonspeech

            out[name] = from_nonspeech(opts.data, opts.split)
        elif name == "longform-hard":
            out[name] = _hard_longform(opts)
        elif ":" in name:
            out[name] = _external(name, opts.split)
        else:
            out[name] = split_utterances(opts.data, opts.split, name)
        if opts.limit is not None:
            out[name] = out[name][: opts.limit]
    return out


def _hard_longform(opts: BenchOptions) -> list[Utterance]:
    from ..datasets.longform import describe, make_hard_longform
    from ..datasets.nonspeech import from_nonspeech

    clips = [u for d in ("librispeech", "commonvoice")
             for u in split_utterances(opts.data, opts.split, d)]  # fmt: skip
    nonspeech = from_nonspeech(opts.data, opts.split)
    recs = make_hard_longform(
        clips, nonspeech, count=opts.longform_count, seed=opts.seed, split=opts.split
    )
    opts.out.mkdir(parents=True, exist_ok=True)
    (opts.out / "longform-hard.json").write_text(json.dumps(describe(recs), indent=1))
    return recs


def _external(spec: str, split: str) -> list[Utterance]:
    from ..datasets import from_commonvoice, from_huggingface, from_librispeech

    kind, _, rest = spec.partition(":")
    if kind == "librispeech":
        return from_librispeech(rest)
    if kind == "commonvoice":
        folder, _, tsv = rest.partition(":")
        return from_commonvoice(folder, tsv or split)
    name, config, hf_split = (rest.split(":") + [None, None])[:3]
    return list(from_huggingface(name, hf_split or split, config or None))


def _where(ref: str, words: Sequence[Word], edited_s: np.ndarray) -> tuple[int, int]:
    """(errors inside ``edited_s`` intervals, errors outside), errors placed by word times."""
    hyp, times = ev.word_times(words)
    pos = ev.error_positions(ref, hyp, times)
    inside = ev.in_intervals(np.array([t for _, t in pos]), edited_s)
    return int(inside.sum()), int(len(pos) - inside.sum())


def _parts_cut(gaps, timemap) -> list[float]:
    """Share of each planted utterance (the audio between two stretches) that the method cut
    out: where its time map is flat. A kept utterance gives 0 (or a little: the clip's own
    leading and trailing silence may be shortened); a missed one gives near 1."""
    cut = ev.flat_spans(timemap.original, timemap.compressed)
    parts = [(a.end, b.start) for a, b in zip(gaps[:-1], gaps[1:], strict=True) if b.start > a.end]
    return [round(ev.overlap(cut, np.array([p])) / (p[1] - p[0]), 3) for p in parts]


def score(
    utt: Utterance, n_in: int, out: MethodOutput, t: Transcript, base: Transcript | None
) -> dict:
    """One result row's scores (no identifiers): ``n_in`` input samples became ``out``, which
    ``t`` transcribes; ``base`` is the transcript of the original audio, if known."""
    ref = utt.reference if utt.reference is not None else ev.normalize(utt.text)
    hyp = ev.normalize(t.text)
    c = ev.word_counts(ref, hyp, normalized=True)
    cc = ev.char_counts(ref, hyp, normalized=True)
    row = {
        "input_s": round(n_in / SAMPLE_RATE, 4),
        "output_s": round(len(out.samples) / SAMPLE_RATE, 4),
        "gemini_before": tokens(n_in / SAMPLE_RATE, "gemini"),
        "gemini_after": tokens(len(out.samples) / SAMPLE_RATE, "gemini"),
        "ref": ref,
        "hyp": hyp,
        "words": list(c.astuple()),
        "chars": list(cc.astuple()),
        "loop_words": ev.loop_words(ref, hyp),
        "method_s": round(out.seconds, 4),
        "gaps": None,
        "edited_s": round(float(np.sum(np.diff(out.edited, axis=1))) / SAMPLE_RATE, 4),
        "errors_edited": None,
        "errors_untouched": None,
        "base_errors_edited": None,
        "base_errors_untouched": None,
        "ts_error_ms": None,
        "category": utt.category,
        "no_speech": out.no_speech,
        "parts_cut": None,
    }
    if utt.gaps:
        ins = ev.insertions_at(ref, hyp, [g.word_index for g in utt.gaps])
        row["gaps"] = [
            [g.kind, round((g.end - g.start) / SAMPLE_RATE, 3), k]
            for g, k in zip(utt.gaps, ins, strict=True)
        ]
        if out.timemap is not None:
            row["parts_cut"] = _parts_cut(utt.gaps, out.timemap)
    if out.timemap is not None and t.words:
        mapped = out.timemap.remap_words(t.words)
        edited_s = out.edited / SAMPLE_RATE
        row["errors_edited"], row["errors_untouched"] = _where(ref, mapped, edited_s)
        if base is not None and base.words:
            row["base_errors_edited"], row["base_errors_untouched"] = _where(
                ref, base.words, edited_s
            )
            if out.method != "none":
                err = ev.matched_start_errors(base.words, mapped)
                row["ts_error_ms"] = [int(round(e * 1000)) for e in err]
    return row


def _transcribe(cache: TranscriptCache, asr, samples: np.ndarray) -> tuple[Transcript, float, bool]:
    """(transcript, seconds it took, whether it came from the cache). Empty audio (a method
    that kept nothing, or a call our method skips) is not sent: its transcript is empty."""
    if len(samples) == 0:
        return Transcript(""), 0.0, False
    key = cache.key(samples, asr.config)
    hit = cache.get(key)
    if hit is not None:
        return hit[0], hit[1], True
    t0 = time.perf_counter()
    t = asr.transcribe(samples)
    sec = time.perf_counter() - t0
    cache.put(key, t, sec)
    return t, sec, False


def row_key(row: dict) -> tuple:
    """What a row is of: recogniser, dataset, split, recording and method."""
    return (row["asr"], row["dataset"], row["split"], row["id"], row["method"])


def earlier_rows(results: Path, planned: set[tuple]) -> list[str]:
    """The lines of an earlier run's ``results.jsonl`` that this run does not redo (another
    method, recogniser or recording), so runs into one folder add up instead of the last
    one erasing the others. A line that does not parse (the torn end of a run that was
    killed) is dropped."""
    if not results.is_file():
        return []
    kept = []
    with results.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                redone = row_key(json.loads(line)) in planned
            except (ValueError, KeyError, TypeError, RecursionError):  # not JSON, not a row...
                continue
            if not redone:
                kept.append(line if line.endswith("\n") else line + "\n")
    return kept


def run_bench(opts: BenchOptions, progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Run everything ``opts`` names; returns the path of ``results.jsonl``.

    Each recording is processed by every method once, then heard by every recogniser.
    ``progress(label, done, total)`` is called after every recording (``done`` counts rows).
    """
    opts.out.mkdir(parents=True, exist_ok=True)
    cache = TranscriptCache(opts.out / "cache")
    # with jobs > 1 only the workers load the recognisers: here their names are enough
    asrs = [load_asr(a, **opts.asr_options) if isinstance(a, str) and opts.jobs == 1 else a
            for a in opts.asr]  # fmt: skip
    names = [asr_name(a) if isinstance(a, str) else a.name for a in asrs]
    data = load_utterances(opts)
    methods = ("none",) + tuple(m for m in opts.methods if m != "none")
    total = len(asrs) * len(methods) * sum(len(v) for v in data.values())
    done = 0
    results = opts.out / "results.jsonl"
    planned = {
        (name, dataset, opts.split, utt.id, m)
        for name in names
        for dataset, utts in data.items()
        for utt in utts
        for m in methods
    }
    earlier = earlier_rows(results, planned)
    tasks = [(d, utt, methods, opts.split) for d, utts in data.items() for utt in utts]
    with results.open("w", encoding="utf-8") as f, _workers(opts, asrs, cache) as rows_of:
        f.writelines(earlier)
        f.flush()
        for rows in rows_of(tasks):  # in the order of tasks, whatever the number of jobs
            for row in rows:
                f.write(json.dumps(row) + "\n")
                done += 1
            f.flush()
            if progress and rows:
                last = rows[-1]
                progress(f"{last['asr']} · {last['dataset']} · {last['method']}", done, total)
    return results


def _rows(task, asrs, cache: TranscriptCache) -> list[dict]:
    """Every row of one recording: each method once, heard by each recogniser."""
    from ..pipeline import analyze

    dataset, utt, methods, split = task
    x = utt.load()
    ours = any(m.startswith("sq-") and "@" not in m for m in methods)
    analysis = analyze(Audio(x, SAMPLE_RATE)) if ours else None
    outputs = [apply(m, x, analysis=analysis) for m in methods]
    rows = []
    for asr in asrs:
        base = None
        for out in outputs:
            t, sec, cached = _transcribe(cache, asr, out.samples)
            base = t if out.method == "none" else base
            row = {"asr": asr.name, "dataset": dataset, "split": split, "id": utt.id,
                   "method": out.method, "asr_s": round(sec, 4), "cached": cached,
                   "asr_config": asr.config}  # fmt: skip
            row.update(score(utt, len(x), out, t, base))
            rows.append(row)
    return rows


_WORKER: tuple = ()  # a worker process's recognisers and cache, or the error loading them


def _start_worker(asr_specs, asr_options: dict, cache_folder: Path) -> None:
    """Load the recognisers once per worker. An error is kept, not raised: raised here it would
    break the pool (a bare ``BrokenProcessPool`` in the parent); raised by the first task it
    reaches the parent as itself, message and all (a missing model, a missing extra)."""
    global _WORKER
    try:
        asrs = [load_asr(a, **asr_options) if isinstance(a, str) else a for a in asr_specs]
        _WORKER = (asrs, TranscriptCache(cache_folder))
    except Exception as e:  # noqa: BLE001 - handed to the parent by _worker_rows
        _WORKER = (e,)


def _worker_rows(task) -> list[dict]:
    if len(_WORKER) == 1:
        raise _WORKER[0]
    return _rows(task, *_WORKER)


@contextlib.contextmanager
def _workers(opts: BenchOptions, asrs, cache: TranscriptCache):
    """A function from tasks to their rows, in order: here, one recording after another, or
    with ``opts.jobs`` > 1 in that many fresh processes (spawned: the recognisers' native
    thread pools do not survive a fork), each loading its own models once."""
    if opts.jobs == 1:
        yield lambda tasks: (_rows(t, asrs, cache) for t in tasks)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(
        opts.jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(opts.asr, opts.asr_options, cache.folder),
    )
    try:
        yield lambda tasks: pool.map(_worker_rows, tasks)
    finally:
        pool.shutdown(cancel_futures=True)
