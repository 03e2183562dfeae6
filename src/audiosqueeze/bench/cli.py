"""``audiosqueeze bench`` and ``audiosqueeze report``: the evaluation from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..datasets import DATA_ENV
from .methods import DEFAULT_METHODS, METHODS, is_method
from .run import DEFAULT_DATASETS


def _names(allowed, valid=None):
    """A comma-separated list; with ``allowed``, each name must pass ``valid`` (default: be
    one of them)."""
    valid = valid or (lambda n: n in allowed)

    def parse(ctx, param, value):
        names = tuple(v.strip() for v in value.split(",") if v.strip())
        bad = [n for n in names if allowed and not valid(n)]
        if bad or not names:
            raise click.BadParameter(f"{','.join(bad) or value!r}; choose from {','.join(allowed)}")
        return names

    return parse


@click.command()
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=DATA_ENV,
    help=f"Data folder with manifest.jsonl and noise/ (default: ${DATA_ENV}).",
)
@click.option(
    "--split",
    type=click.Choice(["dev", "test"]),
    default="test",
    show_default=True,
    help="Fixed split: tune on dev, publish test (nonspeech: its manifest's halves).",
)
@click.option(
    "--datasets",
    default=",".join(DEFAULT_DATASETS),
    show_default=True,
    callback=_names(()),
    help="Comma-separated datasets: librispeech, commonvoice, longform, nonspeech, "
    "longform-hard (from --data), or librispeech:DIR, commonvoice:DIR[:TSV], "
    "hf:NAME[:CONFIG[:SPLIT]].",
)
@click.option(
    "--asr",
    default="whisper-tiny.en",
    show_default=True,
    callback=_names(()),
    help="Comma-separated recognisers: whisper-tiny.en, whisper-base, pocketsphinx, "
    "hama, faster-whisper:DIR, transformers:DIR, openai.",
)
@click.option(
    "--methods",
    default=",".join(DEFAULT_METHODS),
    show_default=True,
    callback=_names(METHODS, is_method),
    help="Comma-separated methods (none is always run).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="At most this many recordings per dataset (manifest order).",
)
@click.option(
    "--longform-count",
    type=click.IntRange(min=1),
    default=6,
    show_default=True,
    help="Recordings to generate for longform and for longform-hard.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the long-form set.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for results.jsonl, cache/, report.md and plots. Rows an earlier run left "
    "there are kept unless this run redoes them (same recogniser, recording and method).",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Recordings worked on at once, each job a process with its own recognisers "
    "(one CPU thread each): up to one per core. The rows are the same as with one job.",
)
@click.option(
    "--no-temperature-fallback",
    is_flag=True,
    help="Whisper recognisers decode each window once, at temperature 0 (no sampled retries): "
    "the same audio then always gives the same words. Only with Whisper recognisers.",
)
@click.option("--no-report", is_flag=True, help="Only write results.jsonl.")
def bench(
    data, split, datasets, asr, methods, limit, longform_count, seed, out, jobs,
    no_temperature_fallback, no_report,
):  # fmt: skip
    """Measure tokens, WER and hallucinations: datasets x methods x recognisers.

    Transcripts are cached in OUT/cache by content hash, so a rerun only does new work.

    \b
    Examples:
      audiosqueeze bench --data ../shared/data --split test --asr whisper-tiny.en --out results/
      audiosqueeze bench --data DATA --datasets librispeech --asr hama,pocketsphinx \\
          --methods none,speed-1.25,sq-0.5 --limit 20 --out results-small/
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from ..datasets import data_root
    from .run import BenchOptions, run_bench

    asr_options = {}
    if no_temperature_fallback:
        other = [a for a in asr if not a.startswith(("whisper-", "faster-whisper:"))]
        if other:
            raise click.UsageError(
                f"--no-temperature-fallback is for Whisper recognisers only, not {', '.join(other)}"
            )
        asr_options = {"temperature_fallback": False}
    opts = BenchOptions(
        data=data_root(data), out=out, split=split, datasets=datasets, asr=asr,
        methods=methods, limit=limit, longform_count=longform_count, seed=seed, jobs=jobs,
        asr_options=asr_options,
    )  # fmt: skip
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("loading", total=None)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        results = run_bench(opts, progress)
    click.echo(f"wrote {results}")
    if not no_report:
        _report([out], out)


def _report(folders, out) -> None:
    from .report import write_report

    for p in write_report(folders, out):
        click.echo(f"wrote {p}")


@click.command()
@click.argument(
    "folders", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write (default: the first folder).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary rows as JSON lines.")
def report(folders, out, as_json):
    """Re-render report.md, summary.json and the plots from results.jsonl in FOLDERS
    (several folders, e.g. one per recogniser, are merged)."""
    if as_json:
        from .report import load_rows, summarize

        for s in summarize(load_rows(folders)):
            click.echo(json.dumps(s))
        return
    _report(folders, out or folders[0])
