"""``audiosqueeze corpus``: compress a folder, glob or manifest into an output folder."""

from __future__ import annotations

import json
import time

import click

from ..cli.common import rate_option, vad_option
from .run import MANIFEST_FORMATS, run_corpus
from .work import AUDIO_FORMATS, CorpusOptions


@click.command()
@click.argument("source", metavar="INPUT")
@click.option("-o", "--output", required=True, help="Output folder (created; a rerun resumes).")
@rate_option
@click.option(
    "--target-reduction",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=None,
    help="Instead of --rate: share of duration to remove (0.4).",
)
@vad_option
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores; 1 = this one). With --ray: actors.",
)
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="local",
    default=None,
    metavar="[ADDRESS]",
    help="Run on Ray: alone, a local cluster; or ADDRESS (auto, ray://host:10001).",
)
@click.option(
    "--format",
    "manifest_format",
    type=click.Choice(MANIFEST_FORMATS),
    default="nemo",
    show_default=True,
    help="Output manifest format.",
)
@click.option(
    "--audio-format",
    type=click.Choice(AUDIO_FORMATS),
    default="flac",
    show_default=True,
    help="Format of the compressed files in OUTPUT/audio/.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="ONNX Runtime threads per worker.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON, no bar.")
def corpus(
    source,
    output,
    rate,
    target_reduction,
    vad,
    jobs,
    ray_address,
    manifest_format,
    audio_format,
    threads,
    as_json,
):
    """Compress every recording of INPUT into the folder OUTPUT (-o), resumably.

    \b
    INPUT is a folder (every audio file below it), a glob ('clips/**/*.wav', quoted), or a
    manifest: ours (manifest.jsonl), NeMo JSON-lines (audio_filepath), or a lhotse
    RecordingSet / CutSet (.jsonl or .jsonl.gz).
    OUTPUT gets audio/, timemaps/, records.jsonl, summary.json and manifest.jsonl (NeMo)
    or recordings.jsonl.gz + cuts.jsonl.gz [+ supervisions.jsonl.gz] (lhotse). A rerun
    skips finished items; a bad file is recorded in summary.json and skipped.

    \b
    Examples:
      audiosqueeze corpus clips/ -o out/                  # all cores
      audiosqueeze corpus cuts.jsonl.gz -o out/ --format lhotse --jobs 4
      audiosqueeze corpus train.json -o out/ --ray        # a local Ray cluster
      audiosqueeze corpus train.json -o /shared/out --ray auto
    """
    if output == "-":  # elsewhere '-' is stdout; here it would be a folder named '-'
        raise click.BadParameter(
            "corpus writes a folder, not to stdout: give its path", param_hint="'-o'"
        )
    options = CorpusOptions(rate, target_reduction, vad, audio_format, threads)
    bar = _Bar(as_json)
    with bar:
        summary = run_corpus(
            source,
            output,
            options,
            jobs=jobs,
            ray=ray_address,
            manifest_format=manifest_format,
            on_start=bar.start,
            on_record=bar.record,
        )
    if as_json:
        click.echo(json.dumps(summary.to_dict()))
        return
    _print_summary(summary)


class _Bar:
    """A rich progress bar: files done, files/s of this run, hours saved so far, failures."""

    def __init__(self, disabled: bool):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("corpus"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[speed]} files/s"),
            TextColumn("{task.fields[saved]} saved"),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            disable=disabled,
            transient=False,
        )
        self.saved_s, self.failed, self.done, self.t0 = 0.0, 0, 0, time.perf_counter()
        self.started = False

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self.started:  # shown once the input is read: a bad INPUT prints only its error
            self.progress.__exit__(*exc)

    def start(self, total: int, done: list[dict]) -> None:
        self.saved_s = sum(_saved(r) for r in done)
        self.t0 = time.perf_counter()
        self.task = self.progress.add_task(
            "", total=total, completed=len(done), speed="-", saved=_hours(self.saved_s), failed=0
        )
        self.progress.__enter__()
        self.started = True

    def record(self, record: dict) -> None:
        self.done += 1
        self.saved_s += _saved(record)
        self.failed += record.get("status") != "ok"
        speed = self.done / max(time.perf_counter() - self.t0, 1e-9)
        self.progress.update(
            self.task,
            advance=1,
            speed=f"{speed:.2f}",
            saved=_hours(self.saved_s),
            failed=self.failed,
        )


def _saved(record: dict) -> float:
    stats = record.get("stats") if record.get("status") == "ok" else None
    return stats["input_s"] - stats["output_s"] if stats else 0.0


def _hours(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.2f} h"
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _print_summary(s) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    reduction = 1 - s.output_s / s.input_s if s.input_s else 0.0
    console.print(
        f"{s.items} items: {s.ok} ok, {s.failed} failed, {s.skipped} done earlier; this run "
        f"{s.processed} in {s.wall_s:.1f} s ({s.files_per_s:.2f} files/s)\n"
        f"hours in {s.input_s / 3600:.3f} -> out {s.output_s / 3600:.3f} ({reduction:.1%} shorter)"
    )
    table = Table("model profile", "audio tokens saved")
    for model, n in s.tokens_saved.items():
        table.add_row(model, str(n))
    console.print(table)
    for w in s.warnings[:10]:
        console.print(f"warning: {w['key']}: {w['warning']}", markup=False)
    if len(s.warnings) > 10:
        console.print(f"... and {len(s.warnings) - 10} more warnings (see summary.json)")
    for f in s.failures[:10]:
        console.print(f"failed: {f['key']}: {f['error']}", markup=False)
    if len(s.failures) > 10:
        console.print(f"... and {len(s.failures) - 10} more failures (see summary.json)")
    console.print("manifest: " + ", ".join(s.manifests), markup=False)
