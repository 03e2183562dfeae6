"""Hallucination summaries: words recognised where nobody spoke.

- **Non-speech clips** (``nonspeech`` rows, every reference empty): per recogniser, method and
  category, the share of clips with any recognised word and the words per minute of input
  audio, each with a bootstrap 95 % interval over clips; how much of the original's share a
  method removes (paired bootstrap); its share minus ``fw-vad``'s (paired); loop words.
- **Long-form sets** (rows with planted ``gaps``): words inserted in planted non-speech per
  minute of it, with an interval over recordings, the share removed against the original,
  per stretch kind; and the WER of the speech alone (errors minus the words counted in the
  stretches), with its paired ΔWER against the original.
- **Pause treatment**: every treated variant against :data:`UNTREATED` on the same
  recordings: ΔWER (paired bootstrap) where there is speech, the change of the hallucination
  rates where there is none.

Every comparison uses only the recordings that have a row for each method compared.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .. import evaluate as ev
from .methods import report_order

#: The policy without the pause treatment, and the treated variants compared with it.
UNTREATED = "sq-nsgain0"
TREATED = ("sq-default", "sq-nsgain-15", "sq-nsgain-30", "sq-roomtone")
_ALL = "all"


def _groups(rows: list[dict]) -> dict[tuple[str, str], dict[str, dict[str, dict]]]:
    g: dict = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        g[(r["dataset"], r["asr"])][r["method"]][r["id"]] = r
    return g


def _common(by_method: dict, methods: list[str]) -> list[str]:
    return sorted(set.intersection(*(set(by_method[m]) for m in methods))) if methods else []


def _nwords(r: dict) -> int:
    return len(r["hyp"].split())


def _ci(t: tuple[float, float, float]) -> list[float]:
    return [round(v, 6) if np.isfinite(v) else None for v in t]


def nonspeech_summary(rows: list[dict], *, resamples: int = 2000) -> list[dict]:
    """One entry per (dataset, asr, method, category) of datasets whose references are all
    empty; ``category`` ``"all"`` pools the clips."""
    out = []
    for (dataset, asr), by_method in sorted(_groups(rows).items()):
        methods = report_order(by_method)
        ids = _common(by_method, methods)
        first = [by_method[methods[0]][i] for i in ids] if ids else []
        if not ids or "none" not in by_method or any(r["ref"] for r in first):
            continue
        cats = {i: by_method["none"][i].get("category") or _ALL for i in ids}
        for cat in [_ALL, *sorted(set(cats.values()) - {_ALL})]:
            sel = [i for i in ids if cat in (_ALL, cats[i])]
            minutes = [by_method["none"][i]["input_s"] / 60 for i in sel]
            base_any = [float(_nwords(by_method["none"][i]) > 0) for i in sel]
            base_w = [_nwords(by_method["none"][i]) for i in sel]
            vad_any = (
                [float(_nwords(by_method["fw-vad"][i]) > 0) for i in sel]
                if "fw-vad" in by_method
                else None
            )
            for m in methods:
                rs = [by_method[m][i] for i in sel]
                anyw = [float(_nwords(r) > 0) for r in rs]
                words = [_nwords(r) for r in rs]
                kw = {"resamples": resamples}
                rel = {"resamples": resamples, "relative": True}
                s = {
                    "dataset": dataset, "asr": asr, "method": m, "category": cat,
                    "clips": len(sel), "input_min": sum(minutes),
                    "output_min": sum(r["output_s"] for r in rs) / 60,
                    "words": sum(words), "loop_words": sum(r["loop_words"] for r in rs),
                    "share": _ci(ev.bootstrap_ratio(anyw, [1] * len(rs), **kw)),
                    "wpm": _ci(ev.bootstrap_ratio(words, minutes, **kw)),
                    "share_removed": _ci(ev.paired_bootstrap_change(base_any, anyw, **rel)),
                    "wpm_removed": _ci(ev.paired_bootstrap_change(base_w, words, **rel)),
                    "no_speech": _flag_share(rs),
                    "asr_config": rs[0].get("asr_config") or {},
                }  # fmt: skip
                if vad_any is not None:
                    s["share_vs_fw_vad"] = _ci(ev.paired_bootstrap_change(vad_any, anyw, **kw))
                out.append(s)
    return out


def _flag_share(rs: list[dict]) -> float | None:
    flags = [r.get("no_speech") for r in rs]
    return None if any(f is None for f in flags) else sum(map(bool, flags)) / len(flags)


def _gap_words(r: dict, kind: str | None = None) -> tuple[int, float]:
    gs = [g for g in r["gaps"] if kind in (None, g[0])]
    return sum(g[2] for g in gs), sum(g[1] for g in gs) / 60


def _speech_counts(r: dict) -> ev.Counts:
    c = ev.Counts(*r["words"])
    gap = sum(g[2] for g in r["gaps"])
    return ev.Counts(c.ref, c.hits, c.sub, c.dele, c.ins - gap)


def longform_summary(rows: list[dict], *, resamples: int = 2000) -> list[dict]:
    """One entry per (dataset, asr, method) of datasets with planted non-speech stretches."""
    out = []
    for (dataset, asr), by_method in sorted(_groups(rows).items()):
        methods = report_order(by_method)
        ids = _common(by_method, methods)
        if not ids or "none" not in by_method or not by_method["none"][ids[0]].get("gaps"):
            continue
        base = [by_method["none"][i] for i in ids]
        kinds = sorted({g[0] for r in base for g in r["gaps"]})
        base_gw = [_gap_words(r)[0] for r in base]
        minutes = [_gap_words(r)[1] for r in base]
        base_sc = [_speech_counts(r) for r in base]
        for m in methods:
            rs = [by_method[m][i] for i in ids]
            gw = [_gap_words(r)[0] for r in rs]
            sc = [_speech_counts(r) for r in rs]
            gaps = [g for r in rs for g in r["gaps"]]
            kw = {"resamples": resamples}
            rel = {"resamples": resamples, "relative": True}
            s = {
                "dataset": dataset, "asr": asr, "method": m, "recordings": len(ids),
                "input_min": sum(r["input_s"] for r in rs) / 60,
                "nonspeech_min": sum(minutes), "stretches": len(gaps),
                "gap_words": sum(gw),
                "gap_wpm": _ci(ev.bootstrap_ratio(gw, minutes, **kw)),
                "gap_wpm_removed": _ci(ev.paired_bootstrap_change(base_gw, gw, **rel)),
                "gap_share": sum(g[2] > 0 for g in gaps) / len(gaps),
                "loop_words": sum(r["loop_words"] for r in rs),
                "reduction": 1 - sum(r["gemini_after"] for r in rs)
                / max(sum(r["gemini_before"] for r in rs), 1),
                "speech_wer": ev.corpus(sc).wer,
                "speech_delta_wer": _ci(ev.paired_bootstrap(base_sc, sc, **kw)),
                "by_kind": {k: _kind_wpm(rs, k) for k in kinds},
                "utterances": sum(len(r["gaps"]) - 1 for r in rs),
                "utterances_cut": _cut(rs),
                "asr_config": rs[0].get("asr_config") or {},
            }  # fmt: skip
            out.append(s)
    return out


def _cut(rs: list[dict]) -> int | None:
    """Planted utterances more than half cut out (None where a method gives no time map)."""
    if any(r.get("parts_cut") is None for r in rs):
        return None
    return sum(f > 0.5 for r in rs for f in r["parts_cut"])


def _kind_wpm(rs: list[dict], kind: str) -> float:
    w = [_gap_words(r, kind) for r in rs]
    return sum(a for a, _ in w) / max(sum(b for _, b in w), 1e-12)


def treatment_summary(rows: list[dict], *, resamples: int = 2000) -> list[dict]:
    """Each treated variant against :data:`UNTREATED`, per (dataset, asr): ΔWER with a paired
    interval where references have words (speech WER on long-form sets), and the change of
    the number of items with inserted words and of inserted words (on long-form sets, those
    in the planted stretches; on non-speech clips every word is one)."""
    out = []
    for (dataset, asr), by_method in sorted(_groups(rows).items()):
        if UNTREATED not in by_method:
            continue
        for m in (t for t in TREATED if t in by_method):
            ids = _common(by_method, [UNTREATED, m])
            a = [by_method[UNTREATED][i] for i in ids]
            b = [by_method[m][i] for i in ids]
            gaps = bool(a and a[0].get("gaps"))
            counts = _speech_counts if gaps else (lambda r: ev.Counts(*r["words"]))
            ins = (lambda r: _gap_words(r)[0]) if gaps else (lambda r: r["words"][4])
            config = (b[0].get("asr_config") or {}) if b else None
            s = {"dataset": dataset, "asr": asr, "method": m, "against": UNTREATED,
                 "recordings": len(ids), "asr_config": config}  # fmt: skip
            if sum(r["words"][0] for r in a):
                s["wer"] = ev.corpus([counts(r) for r in b]).wer
                s["delta_wer"] = _ci(
                    ev.paired_bootstrap(
                        [counts(r) for r in a], [counts(r) for r in b], resamples=resamples
                    )  # fmt: skip
                )
            s["any_words"] = [sum(ins(r) > 0 for r in a), sum(ins(r) > 0 for r in b)]
            s["inserted"] = [sum(ins(r) for r in a), sum(ins(r) for r in b)]
            out.append(s)
    return out


def _pct(t, digits=1) -> str:
    if t is None or t[0] is None:
        return "–"
    lo, hi = ("–" if v is None else f"{100 * v:.{digits}f}" for v in t[1:])
    return f"{100 * t[0]:.{digits}f} [{lo}, {hi}]"


def _num(t, digits=2) -> str:
    return f"{t[0]:.{digits}f} [{t[1]:.{digits}f}, {t[2]:.{digits}f}]"


def _signed(t, scale=100.0, digits=1) -> str:
    lo, hi = ("–" if v is None else f"{scale * v:+.{digits}f}" for v in t[1:])
    return f"{scale * t[0]:+.{digits}f} [{lo}, {hi}]"


def markdown(ns: list[dict], lf: list[dict], tr: list[dict]) -> str:
    """Markdown tables of the three summaries (empty string if there is nothing)."""
    lines: list[str] = []
    for dataset, asr in dict.fromkeys((s["dataset"], s["asr"]) for s in ns):
        ss = [s for s in ns if (s["dataset"], s["asr"]) == (dataset, asr)]
        top = [s for s in ss if s["category"] == _ALL]
        lines += [
            "", f"#### {dataset} · {asr} ({top[0]['clips']} clips, {top[0]['input_min']:.1f} min)",
            "",
            "| method | clips with words % [95 % CI] | share removed vs none % [CI] "
            "| minus fw-vad's share, pts [CI] | words /min [CI] | loop words "
            "| flagged no speech % | audio sent % |",
            "| --- | --- | --- | --- | --- | ---: | ---: | ---: |",
        ]  # fmt: skip
        for s in top:
            vad = _signed(s["share_vs_fw_vad"]) if "share_vs_fw_vad" in s else "–"
            removed = _pct(s["share_removed"], 0) if s["method"] != "none" else "(reference)"
            vad = vad if s["method"] != "fw-vad" else "(reference)"
            flag = "–" if s["no_speech"] is None else f"{100 * s['no_speech']:.0f}"
            lines.append(
                f"| {s['method']} | {_pct(s['share'])} | {removed} | {vad} "
                f"| {_num(s['wpm'])} | {s['loop_words']} | {flag} "
                f"| {100 * s['output_min'] / max(s['input_min'], 1e-9):.1f} |"
            )
        cats = [c for c in dict.fromkeys(s["category"] for s in ss) if c != _ALL]
        if cats:
            n = {c: next(s["clips"] for s in ss if s["category"] == c) for c in cats}
            lines += ["", "Clips with words %, by category (clips):", "",
                      "| method | " + " | ".join(f"{c} ({n[c]})" for c in cats) + " |",
                      "| --- |" + " ---: |" * len(cats)]  # fmt: skip
            for m in dict.fromkeys(s["method"] for s in ss):
                cell = {s["category"]: s for s in ss if s["method"] == m}
                lines.append(f"| {m} | " + " | ".join(
                    f"{100 * cell[c]['share'][0]:.0f}" for c in cats) + " |")  # fmt: skip
    for dataset, asr in dict.fromkeys((s["dataset"], s["asr"]) for s in lf):
        ss = [s for s in lf if (s["dataset"], s["asr"]) == (dataset, asr)]
        kinds = list(ss[0]["by_kind"])
        lines += [
            "", f"#### {dataset} · {asr} ({ss[0]['recordings']} recordings, "
            f"{ss[0]['input_min']:.1f} min, {ss[0]['nonspeech_min']:.1f} min planted non-speech "
            f"in {ss[0]['stretches']} stretches)", "",
            "| method | token reduction % | words in non-speech /min [CI] | removed vs none % [CI] "
            "| stretches with words % | loop words | utterances cut | speech WER % "
            "| speech ΔWER pts [CI] | "
            + " | ".join(f"{k} /min" for k in kinds) + " |",
            "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | --- |" + " ---: |" * len(kinds),
        ]  # fmt: skip
        for s in ss:
            ref = s["method"] == "none"
            dw = "0 (reference)" if ref else _signed(s["speech_delta_wer"], digits=2)
            removed = "(reference)" if ref else _pct(s["gap_wpm_removed"], 0)
            n_cut = s["utterances_cut"]
            cut = "–" if n_cut is None else f"{n_cut} of {s['utterances']}"
            lines.append(
                f"| {s['method']} | {100 * s['reduction']:.1f} | {_num(s['gap_wpm'])} "
                f"| {removed} | {100 * s['gap_share']:.0f} | {s['loop_words']} | {cut} "
                f"| {100 * s['speech_wer']:.2f} | {dw} | "
                + " | ".join(f"{s['by_kind'][k]:.2f}" for k in kinds) + " |"
            )  # fmt: skip
    if tr:
        lines += ["", f"#### Pause treatment against `{UNTREATED}` (the policy without it)", "",
                  "| dataset | recogniser | method | recordings | WER % | ΔWER pts [95 % CI] "
                  "| items with inserted words (untreated → treated) "
                  "| inserted words (untreated → treated) |",
                  "| --- | --- | --- | ---: | ---: | --- | --- | --- |"]  # fmt: skip
        for s in tr:
            wer = f"{100 * s['wer']:.2f}" if "wer" in s else "–"
            dw = _signed(s["delta_wer"], digits=2) if "delta_wer" in s else "–"
            lines.append(
                f"| {s['dataset']} | {s['asr']} | {s['method']} | {s['recordings']} | {wer} "
                f"| {dw} | {s['any_words'][0]} → {s['any_words'][1]} "
                f"| {s['inserted'][0]} → {s['inserted'][1]} |"
            )
    return "\n".join(lines).lstrip() + ("\n" if lines else "")


def plots(ns: list[dict], lf: list[dict], folder) -> list:
    """``hallucination-<dataset>.png``: per method and recogniser, the share of non-speech
    clips with words (or words per minute of planted non-speech), with 95 % intervals."""
    from ..deps import require
    from .report import save_figure

    require("matplotlib", "bench")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = [(s, "share", 100, "non-speech clips with any recognised word (%)")
              for s in ns if s["category"] == _ALL]  # fmt: skip
    series += [(s, "gap_wpm", 1, "words per minute of planted non-speech") for s in lf]
    written = []
    for dataset in dict.fromkeys(s["dataset"] for s, *_ in series):
        ss = [x for x in series if x[0]["dataset"] == dataset]
        asrs = list(dict.fromkeys(s["asr"] for s, *_ in ss))
        methods = report_order({s["method"] for s, *_ in ss})
        fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(methods) + 2), 4.5))
        width = 0.8 / len(asrs)
        for k, asr in enumerate(asrs):
            got = {s["method"]: (s[key], scale) for s, key, scale, _ in ss if s["asr"] == asr}
            v = np.array([got[m][1] * np.array(got[m][0], float) if m in got else [0, 0, 0]
                          for m in methods], float)  # fmt: skip
            xs = np.arange(len(methods)) + k * width
            err = np.nan_to_num(np.abs(v[:, 1:].T - v[:, 0]))
            ax.bar(xs, v[:, 0], width, yerr=err, capsize=3, label=asr)
        ax.set_xticks(np.arange(len(methods)) + width * (len(asrs) - 1) / 2, methods, rotation=35)
        ax.set_ylabel(ss[0][3])
        ax.set_title(f"Hallucinations on {dataset} (95 % CI)")
        ax.legend(fontsize=8)
        written.append(save_figure(fig, folder / f"hallucination-{dataset}.png"))
    return written
