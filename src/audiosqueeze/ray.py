"""audiosqueeze as a Ray Data stage (``pip install 'audiosqueeze[ray]'``).

::

    import ray
    from audiosqueeze.ray import compress_dataset

    ds = ray.data.read_binary_files("s3://bucket/calls/", include_paths=True)
    out = compress_dataset(ds, rate=0.5)  # + compressed, timemap, stats, ..., error columns

:class:`CompressBatch` is the callable class behind it: each actor loads the VAD (one ONNX
session, ``num_threads`` threads) once in ``__init__`` and compresses a batch of rows per
call. A row's audio may be bytes (``read_binary_files``, a parquet binary column), a path,
a Hugging Face ``Audio`` value (``{"bytes", "path"}`` or ``{"array", "sampling_rate"}``), or
an array with a ``sampling_rate``/``sample_rate`` column. A row that fails gets its message
in ``error`` and empty outputs; the batch goes on.

:func:`corpus_records` runs the ``audiosqueeze corpus --ray`` job: the actors write the files
exactly as the local process pool does, and return one record per item.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

import audiosqueeze as sq

from .corpus.work import CorpusOptions, Item, process, warm
from .deps import require

#: Columns looked for, in order, when ``column`` is not given.
AUDIO_COLUMNS = ("bytes", "audio", "array", "path", "audio_filepath")
_RATE_COLUMNS = ("sampling_rate", "sample_rate")
OUTPUT_COLUMNS = ("compressed", "timemap", "stats", "input_s", "output_s", "error")


class CompressBatch:
    """``ds.map_batches(CompressBatch, fn_constructor_kwargs={...}, concurrency=N)``.

    Adds ``compressed`` (encoded audio bytes, ``audio_format``), ``timemap`` (JSON),
    ``stats`` (JSON), ``input_s``, ``output_s`` and ``error`` ("" when the row worked) to
    each row; the input audio column is dropped unless ``keep_input``.
    """

    def __init__(
        self,
        rate: float = 0.5,
        *,
        target_reduction: float | None = None,
        vad: str = "silero",
        audio_format: str = "flac",
        num_threads: int = 1,
        column: str | None = None,
        keep_input: bool = False,
    ):
        self.options = CorpusOptions(rate, target_reduction, vad, audio_format, num_threads)
        self.column, self.keep_input = column, keep_input
        self._analyzer = sq.Analyzer(self.options.analyze_options())  # the actor's one session

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        column = self.column or next((c for c in AUDIO_COLUMNS if c in batch), None)
        if column not in batch:
            raise sq.OptionsError(
                f"no audio column {column or AUDIO_COLUMNS!r} in the batch; it has {list(batch)}"
            )
        rates = next((batch[c] for c in _RATE_COLUMNS if c in batch), None)
        rows = [
            self.compress_row(value, None if rates is None else rates[i])
            for i, value in enumerate(batch[column])
        ]
        out = {k: v for k, v in batch.items() if self.keep_input or k != column}
        for i, name in enumerate(OUTPUT_COLUMNS):
            values = [r[i] for r in rows]
            kind = np.float64 if name.endswith("_s") else object
            out[name] = np.array(values, dtype=kind)
        return out

    def compress_row(self, value, sample_rate=None) -> tuple:
        """``(compressed, timemap, stats, input_s, output_s, error)`` for one row."""
        try:
            audio = sq.load(*_source(value, sample_rate))
            self._analyzer.reset()
            self._analyzer.push(audio.samples)
            self._analyzer.flush()
            o = self.options
            out = sq.compress(
                audio,
                o.rate,
                target_reduction=o.target_reduction,
                analyze_options=o.analyze_options(),
                analysis=self._analyzer.result(),
            )
            data = sq.encode(out.audio, format=o.audio_format)
            s = out.stats
            stats = json.dumps(s.to_dict())
            return data, out.timemap.to_json(), stats, s.input_s, s.output_s, ""
        except Exception as e:  # a bad row is reported in its own row, never stops the batch
            error = str(e) if isinstance(e, sq.AudiosqueezeError) else f"{type(e).__name__}: {e}"
            return b"", "", "", float("nan"), float("nan"), error or type(e).__name__


def _source(value, sample_rate) -> tuple:
    """``sq.load`` arguments for one audio value of a Ray row."""
    if isinstance(value, dict):  # a Hugging Face Audio value
        if value.get("bytes") is not None:
            return (bytes(value["bytes"]), None)
        if value.get("array") is not None:
            return (np.asarray(value["array"]), value.get("sampling_rate"))
        if value.get("path"):
            return (str(value["path"]), None)
        raise sq.OptionsError(f"audio value has no bytes, array or path: keys {sorted(value)}")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return (bytes(value), None)
    if isinstance(value, str):
        return (value, None)
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
        if sample_rate is None:
            raise sq.InvalidSampleRateError("an array of samples needs a sampling_rate column")
        return (value, int(sample_rate))
    raise sq.OptionsError(f"cannot read audio from a {type(value).__name__} value")


def compress_dataset(
    ds,
    rate: float = 0.5,
    *,
    target_reduction: float | None = None,
    vad: str = "silero",
    audio_format: str = "flac",
    column: str | None = None,
    keep_input: bool = False,
    concurrency: int | tuple[int, int] | None = None,
    num_threads: int = 1,
    batch_size: int = 4,
):
    """``ds`` with every row's audio compressed (see :class:`CompressBatch` for the columns).

    ``concurrency``: number of actors, or a ``(min, max)`` range the pool scales in (default:
    1 up to the cluster's CPUs / ``num_threads``, so the read tasks upstream always find a
    CPU: a fixed pool that takes every CPU starves them). Each actor reserves
    ``num_threads`` CPUs and runs ONNX Runtime with that many threads.
    """
    ray = require("ray", "ray")
    require("ray.data", "ray")
    CorpusOptions(rate, target_reduction, vad, audio_format, num_threads)  # fail early
    if concurrency is None:
        cpus = int(ray.cluster_resources().get("CPU", 1)) if ray.is_initialized() else 1
        concurrency = (1, max(1, cpus // num_threads))
    if isinstance(concurrency, int):
        concurrency = (concurrency, concurrency)
    low, high = concurrency
    return ds.map_batches(
        CompressBatch,
        fn_constructor_kwargs={
            "rate": rate,
            "target_reduction": target_reduction,
            "vad": vad,
            "audio_format": audio_format,
            "num_threads": num_threads,
            "column": column,
            "keep_input": keep_input,
        },
        batch_size=batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(min_size=low, max_size=high),
        num_cpus=num_threads,
    )


class _CorpusActor:
    """The ``corpus --ray`` stage: each row is one item; the actor writes its files."""

    def __init__(self, root: str, options: CorpusOptions):
        self.root, self.options = root, options
        warm(options)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        records = []
        for task in batch["task"]:
            t = json.loads(task)
            item = Item(t["key"], t["source"], t["offset_s"], t["duration_s"], t["meta"])
            records.append(json.dumps(process(item, t["name"], self.root, self.options)))
        return {"record": np.array(records, dtype=object)}


def corpus_records(
    tasks: list[tuple[Item, str]],
    root: Path,
    options: CorpusOptions,
    *,
    address: str | None = "local",
    actors: int | None = None,
    max_blocks: int = 50_000,
) -> Iterator[dict]:
    """Records of ``tasks`` (item, output name) as Ray finishes them.

    ``address``: ``"local"`` (or None) starts a local cluster with a CPU for each of the
    ``num_threads`` of each of the ``actors`` (all cores if ``actors`` is None), anything
    else is passed to ``ray.init`` (``"auto"``, ``"ray://host:10001"``); an already
    initialised Ray is used as it is. Each block holds one item up to ``max_blocks`` items,
    so a killed job loses at most the items in flight. On a multi-node cluster ``root``
    must be on storage every node can write.
    """
    if not tasks:
        return
    cpus = None if actors is None else actors * options.num_threads  # each reserves its threads
    ray, started = connect(address, cpus)
    try:
        if actors is None:
            actors = max(1, int(ray.cluster_resources().get("CPU", 1)) // options.num_threads)
        actors = min(actors, len(tasks))
        rows = [{"task": json.dumps(_task(item, name))} for item, name in tasks]
        ds = ray.data.from_items(rows, override_num_blocks=min(len(rows), max_blocks))
        ds = ds.map_batches(
            _CorpusActor,
            fn_constructor_kwargs={"root": str(root), "options": options},
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=options.num_threads,
        )
        rows = iter(ds.iter_rows())
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as e:  # an actor that kept dying, a lost node...
                raise sq.AudiosqueezeError(
                    f"the Ray job stopped ({type(e).__name__}: {str(e)[:300]}); the records so "
                    "far are kept: rerun to resume"
                ) from None
            yield json.loads(row["record"])
    finally:
        if started:
            ray.shutdown()


def _task(item: Item, name: str) -> dict:
    return {
        "key": item.key,
        "source": item.source,
        "offset_s": item.offset_s,
        "duration_s": item.duration_s,
        "meta": item.meta,
        "name": name,
    }


def connect(address: str | None = "local", num_cpus: int | None = None):
    """``(ray, started)``: Ray connected (a local cluster for ``"local"``), quiet."""
    ray = require("ray", "ray")
    require("ray.data", "ray")
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    if ray.is_initialized():
        return ray, False
    kwargs = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False}
    try:
        if address in (None, "local"):
            ray.init(num_cpus=num_cpus, **kwargs)
        else:
            ray.init(address=address, **kwargs)
    except (ConnectionError, ValueError, RuntimeError) as e:
        raise sq.AudiosqueezeError(f"cannot start or reach Ray at {address!r}: {e}") from None
    return ray, True
