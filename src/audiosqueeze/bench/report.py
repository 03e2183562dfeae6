"""Turn ``results.jsonl`` rows into the published summary: tables and plots.

Every number is computed from the rows, over the utterances that have a row for every
method (so methods are always compared on the same audio). ΔWER is paired against ``none``
with a bootstrap 95 % interval. Hallucination figures use the long-form set's planted
non-speech stretches: words inserted there per minute of non-speech, and the share of
stretches that produced any word.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .. import evaluate as ev
from ..errors import AudioFileNotFoundError, ResultsFileError
from .methods import report_order

#: what every reader of bench rows relies on; ``words`` is jiwer's five counts (reference
#: words, hits, substitutions, deletions, insertions)
REQUIRED_FIELDS = ("asr", "dataset", "id", "method", "words")


def _parse_rows(path: Path) -> list[dict]:
    """The rows of one ``.jsonl`` / ``.jsonl.gz`` file; raises on anything that is not rows."""
    import gzip
    import zlib

    try:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        text = data.decode("utf-8")
    except (EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError) as e:
        raise ResultsFileError(f"{str(path)!r} is not bench rows ({e})") from None
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as e:  # deep nesting: recursion
            raise ResultsFileError(
                f"{str(path)!r} is not bench rows: line {n} is not JSON ({e})"
            ) from None
        words = row.get("words") if isinstance(row, dict) else None
        missing = [k for k in REQUIRED_FIELDS if not isinstance(row, dict) or k not in row]
        ok_words = isinstance(words, list) and len(words) == 5
        if missing or not ok_words or not all(isinstance(w, int) for w in words):
            why = f"has no {missing}" if missing else f"has words {words!r}, not five counts"
            raise ResultsFileError(f"{str(path)!r} is not bench rows: line {n} {why}")
        rows.append(row)
    return rows


def load_rows(folders: Iterable[str | Path]) -> list[dict]:
    """All rows of ``results.jsonl`` (or ``results.jsonl.gz``) in each folder."""
    rows = []
    for folder in folders:
        p = Path(folder) / "results.jsonl"
        if p.is_file():
            rows += _parse_rows(p)
        elif p.with_suffix(".jsonl.gz").is_file():
            rows += _parse_rows(p.with_suffix(".jsonl.gz"))
        elif not Path(folder).is_dir():
            raise AudioFileNotFoundError(f"no such folder: {str(folder)!r}")
        else:
            raise AudioFileNotFoundError(f"no results.jsonl(.gz) in {str(folder)!r}")
    return rows


def read_rows(path: str | Path) -> list[dict]:
    """The rows of one bench run folder, or of one row file (``.jsonl`` or ``.jsonl.gz``)."""
    path = Path(path)
    if path.is_dir():
        return load_rows([path])
    if not path.is_file():
        raise AudioFileNotFoundError(f"no such file: {str(path)!r}")
    return _parse_rows(path)


def add_exclude_option(parser) -> None:
    """``--exclude RUN`` (repeatable) on an argparse ``parser``: the runs whose clips to leave
    out (see :func:`already_read`)."""
    parser.add_argument(
        "--exclude",
        action="append",
        type=Path,
        default=[],
        metavar="RUN",
        help="leave out utterances with a row, same recogniser, in RUN (dev clips already read)",
    )


def already_read(runs: Iterable[str | Path], read=read_rows) -> set[tuple[str, str, str]]:
    """``(dataset, asr, id)`` of every row in ``runs``: the clips each recogniser has read, to
    leave out so that a dev decision rests on new clips only."""
    return {(r["dataset"], r["asr"], r["id"]) for run in runs for r in read(run)}


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _gap(g) -> bool:  # [kind, seconds, words inserted]
    return isinstance(g, list) and len(g) == 3 and isinstance(g[0], str) and _num(g[1])


#: What the summaries read of a row beyond :data:`REQUIRED_FIELDS`, and what it must be
#: (``None`` passes where an absent value does; a field missing here is ``None``).
REPORT_FIELDS = {
    **dict.fromkeys(("asr", "dataset", "id", "method", "ref", "hyp"), lambda v: isinstance(v, str)),
    **dict.fromkeys(("input_s", "output_s", "method_s", "edited_s"), _num),
    "asr_s": lambda v: v is None or _num(v),
    **dict.fromkeys(("gemini_before", "gemini_after", "loop_words"), _int),
    "chars": lambda v: isinstance(v, list) and len(v) == 5 and all(map(_int, v)),
    "asr_config": lambda v: v is None or isinstance(v, dict),
    "gaps": lambda v: v is None or (isinstance(v, list) and all(map(_gap, v))),
    "ts_error_ms": lambda v: v is None or (isinstance(v, list) and all(map(_num, v))),
    "parts_cut": lambda v: v is None or (isinstance(v, list) and all(map(_num, v))),
    "category": lambda v: v is None or isinstance(v, str),
    "no_speech": lambda v: v is None or isinstance(v, bool),
    **dict.fromkeys(
        ("errors_edited", "errors_untouched", "base_errors_edited", "base_errors_untouched"),
        lambda v: v is None or _int(v),
    ),
}
_MAY_BE_ABSENT = (  # rows of older benches, or of scripts that time no recogniser
    "asr_s",
    "asr_config",
    "parts_cut",
    "category",
    "no_speech",
    "errors_edited",
    "errors_untouched",
    "base_errors_edited",
    "base_errors_untouched",
)


def check_report_rows(rows: Iterable[dict]) -> None:
    """:class:`ResultsFileError` naming the first row with a field the summaries cannot read
    (rows of other tools, or of an older bench, have only the :data:`REQUIRED_FIELDS`)."""
    for r in rows:
        for name, ok in REPORT_FIELDS.items():
            if (name not in r and name not in _MAY_BE_ABSENT) or not ok(r.get(name)):
                what = repr(r[name])[:60] if name in r else "nothing"
                where = "/".join(str(r.get(k))[:40] for k in ("dataset", "asr", "method", "id"))
                raise ResultsFileError(
                    f"bench row {where} cannot be summarised: field {name!r} is {what}"
                )


def _sum(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return sum(vals) if vals else None


def _ratio(rows, num, den):
    return sum(r[num] for r in rows) / max(sum(r[den] for r in rows), 1e-9)


def summarize(rows: list[dict], *, resamples: int = 2000) -> list[dict]:
    """One summary per (dataset, asr, method), in :func:`~.methods.report_order`."""
    check_report_rows(rows)
    groups: dict[tuple, dict[str, dict[str, dict]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        groups[(r["dataset"], r["asr"])][r["method"]][r["id"]] = r
    out = []
    for (dataset, asr), by_method in sorted(groups.items()):
        methods = report_order(by_method)
        ids = sorted(set.intersection(*(set(by_method[m]) for m in methods)))
        if not ids or "none" not in by_method:
            continue
        base = [ev.Counts(*by_method["none"][i]["words"]) for i in ids]
        if not sum(c.ref for c in base):
            continue  # no reference words (non-speech clips): see halluc.nonspeech_summary
        for m in methods:
            rs = [by_method[m][i] for i in ids]
            counts = [ev.Counts(*r["words"]) for r in rs]
            w = ev.corpus(counts)
            ch = ev.corpus([ev.Counts(*r["chars"]) for r in rs])
            d, lo, hi = ev.paired_bootstrap(base, counts, resamples=resamples)
            s = {
                "dataset": dataset, "asr": asr, "method": m, "utterances": len(ids),
                "input_min": sum(r["input_s"] for r in rs) / 60,
                "output_min": sum(r["output_s"] for r in rs) / 60,
                "gemini_before": sum(r["gemini_before"] for r in rs),
                "gemini_after": sum(r["gemini_after"] for r in rs),
                "wer": w.wer, "delta_wer": d, "ci_low": lo, "ci_high": hi, "cer": ch.wer,
                "ref_words": w.ref, "sub": w.sub, "del": w.dele, "ins": w.ins,
                "loop_words": sum(r["loop_words"] for r in rs),
                "method_rtf": _ratio(rs, "method_s", "input_s"),
                "asr_rtf": None,  # unknown where a row has no recogniser time
                "asr_config": rs[0].get("asr_config") or {},
            }  # fmt: skip
            if all(r.get("asr_s") is not None for r in rs):
                s["asr_rtf"] = _ratio(rs, "asr_s", "output_s")
            s["reduction"] = 1 - s["gemini_after"] / s["gemini_before"]
            gaps = [g for r in rs for g in (r["gaps"] or ())]
            if gaps:
                s["nonspeech_min"] = sum(g[1] for g in gaps) / 60
                s["gap_words"] = sum(g[2] for g in gaps)
                s["gap_words_per_min"] = s["gap_words"] / s["nonspeech_min"]
                s["gap_share"] = sum(g[2] > 0 for g in gaps) / len(gaps)
                s["gaps"] = len(gaps)
            for k in (
                "errors_edited",
                "errors_untouched",
                "base_errors_edited",
                "base_errors_untouched",
            ):
                s[k] = _sum(rs, k)
            s["edited_min"] = sum(r["edited_s"] for r in rs) / 60
            ts = [e for r in rs for e in (r["ts_error_ms"] or ())]
            if ts:
                s["ts_words"] = len(ts)
                s["ts_median_ms"] = float(np.median(ts))
                s["ts_p95_ms"] = float(np.percentile(ts, 95))
            out.append(s)
    return out


def _pct(x, digits=1):
    return "–" if x is None else f"{100 * x:.{digits}f}"


def markdown(summary: list[dict]) -> str:
    """Markdown tables, one per (dataset, asr)."""
    lines = []
    key = None
    for s in summary:
        if (s["dataset"], s["asr"]) != key:
            key = (s["dataset"], s["asr"])
            c = s["asr_config"]
            decode = ", ".join(f"{k} {c[k]}" for k in ("compute_type", "beam_size") if k in c)
            lines += [
                "",
                f"#### {s['dataset']} · {s['asr']} ({s['utterances']} recordings, "
                f"{s['input_min']:.1f} min{'; ' + decode if decode else ''})",
                "",
                "| method | Gemini tokens | token reduction % | WER % | ΔWER pts [95 % CI] "
                "| CER % | S / D / I | words in non-speech /min "
                "| non-speech stretches with words % | loop words "
                "| errors in edited / untouched (original's) | time restore median / p95 ms |",
                "| --- | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | --- | --- |",
            ]
        lo, hi = 100 * s["ci_low"], 100 * s["ci_high"]
        dw = f"{100 * s['delta_wer']:+.2f} [{lo:+.2f}, {hi:+.2f}]"
        if s["method"] == "none":
            dw = "0 (reference)"
        gw = f"{s['gap_words_per_min']:.2f}" if "gap_words_per_min" in s else "–"
        gs = _pct(s.get("gap_share"), 0) if "gap_share" in s else "–"
        where = "–"
        if s["errors_edited"] is not None and s["method"] != "none":
            where = (f"{s['errors_edited']} / {s['errors_untouched']} "
                     f"({s['base_errors_edited']} / {s['base_errors_untouched']})")  # fmt: skip
        ts = f"{s['ts_median_ms']:.0f} / {s['ts_p95_ms']:.0f}" if "ts_median_ms" in s else "–"
        lines.append(
            f"| {s['method']} | {s['gemini_before']} → {s['gemini_after']} "
            f"| {_pct(s['reduction'])} | {_pct(s['wer'], 2)} | {dw} | {_pct(s['cer'], 2)} "
            f"| {s['sub']} / {s['del']} / {s['ins']} "
            f"| {gw} | {gs} | {s['loop_words']} | {where} | {ts} |"
        )
    return "\n".join(lines).lstrip() + "\n"


def save_figure(fig, path: Path) -> Path:
    """Lay out, write (PNG, 110 dpi) and close a matplotlib figure; returns ``path``."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plots(summary: list[dict], folder: Path) -> list[Path]:
    """``tradeoff-<dataset>.png`` (token reduction vs ΔWER with CI bars, a point per method)
    and ``hallucination.png`` (words in non-speech per minute, per method and recogniser)."""
    from ..deps import require

    require("matplotlib", "bench")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    asrs = sorted({s["asr"] for s in summary})
    colors = dict(zip(asrs, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for dataset in sorted({s["dataset"] for s in summary}):
        fig, ax = plt.subplots(figsize=(7.5, 5))
        for asr in asrs:
            ss = [s for s in summary if s["dataset"] == dataset and s["asr"] == asr]
            if not ss:
                continue
            x = np.array([100 * s["reduction"] for s in ss])
            y = np.array([100 * s["delta_wer"] for s in ss])
            err = np.array([[100 * (s["delta_wer"] - s["ci_low"]) for s in ss],
                            [100 * (s["ci_high"] - s["delta_wer"]) for s in ss]])  # fmt: skip
            ax.errorbar(x, y, yerr=err, fmt="o", capsize=3, color=colors[asr], label=asr)
            for s, xi, yi in zip(ss, x, y, strict=True):
                ax.annotate(
                    s["method"], (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=7
                )
        ax.axhline(0, color="grey", lw=0.8)
        ax.axhline(0.5, color="grey", lw=0.8, ls=":", label="+0.5 pt target")
        ax.axvline(40, color="grey", lw=0.8, ls="--", label="40 % target")
        ax.set_xlabel("Gemini audio tokens removed (%)")
        ax.set_ylabel("ΔWER vs original (points, 95 % CI)")
        ax.set_title(f"{dataset}: token reduction vs ΔWER")
        ax.legend(fontsize=8)
        written.append(save_figure(fig, folder / f"tradeoff-{dataset}.png"))
    hall = [s for s in summary if "gap_words_per_min" in s]
    if hall:
        methods = report_order({s["method"] for s in hall})
        fig, ax = plt.subplots(figsize=(8, 4.5))
        width = 0.8 / max(len(asrs), 1)
        for k, asr in enumerate(asrs):
            vals = {s["method"]: s["gap_words_per_min"] for s in hall if s["asr"] == asr}
            xs = np.arange(len(methods)) + k * width
            ax.bar(xs, [vals.get(m, 0.0) for m in methods], width, label=asr, color=colors[asr])
        ax.set_xticks(np.arange(len(methods)) + width * (len(asrs) - 1) / 2, methods, rotation=30)
        ax.set_ylabel("words recognised per minute of non-speech")
        ax.set_title("Hallucinations in planted pauses and noise (long-form set)")
        ax.legend(fontsize=8)
        written.append(save_figure(fig, folder / "hallucination.png"))
    return written


def write_report(folders: Iterable[str | Path], out: str | Path | None = None) -> list[Path]:
    """Summarise the results in ``folders`` into ``out`` (default: the first folder):
    ``summary.json``, ``report.md`` and the PNG plots; where there are non-speech clips,
    long-form stretches or pause-treatment variants, also ``hallucination.json`` and their
    tables (appended to ``report.md``) and ``hallucination-<dataset>.png``."""
    from . import halluc

    folders = [Path(f) for f in folders]
    out = Path(out) if out is not None else folders[0]
    rows = load_rows(folders)
    summary = summarize(rows)
    ns, lf, tr = (
        halluc.nonspeech_summary(rows),
        halluc.longform_summary(rows),
        halluc.treatment_summary(rows),
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    text = markdown(summary) if summary else ""
    written = [out / "summary.json", out / "report.md"]
    if ns or lf or tr:
        hall = {"nonspeech": ns, "longform": lf, "treatment": tr}
        (out / "hallucination.json").write_text(json.dumps(hall, indent=1))
        text += "\n### Hallucinations\n\n" + halluc.markdown(ns, lf, tr)
        written += [out / "hallucination.json", *halluc.plots(ns, lf, out)]
    (out / "report.md").write_text(text)
    return written + plots(summary, out)
