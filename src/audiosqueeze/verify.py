"""Verify mode: check the compressed audio with a local recogniser and slow down where its
words change.

``compress(..., verify="whisper-tiny.en")`` transcribes the original with a local recogniser and
first slows down the speech near every word it was unsure of (word probability below
``min_probability``; ``scope``, below, says what "near" and "slows down" mean): on dev the words
a speed-up changes are mostly the ones the recogniser was unsure of on the original, for the
recogniser in the loop and for a larger one outside it (docs/RESULTS.md). Then it transcribes
the compressed audio with the same recogniser, maps its words back to original time through the
time map, aligns the two word sequences, and slows down the speech near every lost, changed or
inserted word; then it re-renders and checks again, ``rounds`` checks at most (``rounds=0``: the
confidence pass only, one transcription). It returns the checked render with the fewest changed
words (the earlier one on a tie), never a render it did not check: slowing some windows down can
make a recogniser lose others (on one test clip tiny.en stopped transcribing halfway through
such a render). It spends local CPU (one transcription, then one per check) to save paid tokens
where they matter. Pause cuts are left as they are: the guard and the benchmark find speed, not
pauses, behind most changed words.

``scope`` says what slows down. ``"utterance"`` (the default, :data:`VERIFY_SCOPE`): an
utterance (a run of speech edits between two pauses, :func:`utterances`) is one unit; each
unsure or changed word takes the utterance nearest to it one step down a ladder from its planned
speed ``s`` to ``1 + (s - 1) / 2`` and then to 1.0x (:data:`VERIFY_STEPS` steps), so the speed
only ever changes at a pause. ``"window"`` (the default until stop 29): the sped-up windows
within ``VERIFY_MARGIN_S`` of a word go to 1.0x, while the rest of their utterance stays fast.
The recogniser's cost of a speed-up is convex in the local speed at the scale of words
(docs/RESULTS.md), and the window scope leaves exactly such alternations next to the words it
relaxes; on 270 new dev clips the utterance scope cost less at both rates tried
(docs/RESULTS.md, "Verify's default scope is now the utterance").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from . import validate
from .errors import OptionsError
from .plan import Plan
from .render import RenderOptions, render, timemap_of
from .transcript import Word
from .units import SAMPLE_RATE

#: Sped-up windows this close to a changed word are slowed back to 1.0x.
VERIFY_MARGIN_S = 0.3
#: Sped-up windows this close to a word of the original that the recogniser in the loop gave a
#: probability below this are slowed back to 1.0x before the first check (0 turns it off).
#: Chosen on dev from 0, 0.5, 0.7 and 0.85 by a rule fixed before the run (docs/RESULTS.md).
VERIFY_MIN_PROBABILITY = 0.7
#: What an unsure or changed word slows down: see the module docs.
VERIFY_SCOPES = ("window", "utterance")
#: The default scope: chosen on dev by a rule written before the run (docs/RESULTS.md).
VERIFY_SCOPE = "utterance"
#: Utterance scope: steps from the planned speed down to 1.0x.
VERIFY_STEPS = 2


def _norm(word: str) -> str:
    return re.sub(r"[^a-z0-9']", "", word.lower())


def word_changes(original: Sequence[Word], compressed: Sequence[Word]) -> np.ndarray:
    """Original-time midpoints (s) of every word lost, changed or inserted between two
    transcripts of the same audio (``compressed`` already mapped back to original time).

    >>> a = [Word("the", 0.0, 0.2), Word("cat", 0.3, 0.6), Word("sat", 0.7, 1.0)]
    >>> b = [Word("The", 0.0, 0.2), Word("hat", 0.3, 0.6), Word("sat.", 0.7, 1.0)]
    >>> [round(float(t), 2) for t in word_changes(a, b)]
    [0.45, 0.45]
    """
    a = [_norm(w.text) for w in original]
    b = [_norm(w.text) for w in compressed]
    out: list[float] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op != "equal":
            out += [(w.start_s + w.end_s) / 2 for w in original[i1:i2]]
            out += [(w.start_s + w.end_s) / 2 for w in compressed[j1:j2]]
    return np.asarray(out, np.float64)


def _sped_up(e) -> bool:
    return e.kind == "stretch" and e.out_samples < e.in_samples


def relax(plan: Plan, changed_s: np.ndarray, margin_s: float | None = None) -> Plan:
    """``plan`` with every stretch edit within ``margin_s`` (default :data:`VERIFY_MARGIN_S`,
    read at call time) of a time in ``changed_s`` (original seconds) set to 1.0x (it stays a
    stretch edit, so its run is rendered as before)."""
    t = np.sort(np.asarray(changed_s, np.float64) * SAMPLE_RATE)
    m = (VERIFY_MARGIN_S if margin_s is None else margin_s) * SAMPLE_RATE
    edits = []
    for e in plan.edits:
        if _sped_up(e):
            i = np.searchsorted(t, e.start - m)
            if i < len(t) and t[i] < e.end + m:
                e = replace(e, out_samples=e.in_samples)
        edits.append(e)
    return replace(plan, edits=tuple(edits))


def utterances(plan: Plan) -> np.ndarray:
    """The plan's utterances as ``(m, 4)`` int64 rows ``[first_edit, end_edit, start, end]``:
    maximal runs of speech edits that are kept or stretched, by edit index (``end_edit`` one
    past the last) and input sample span. Every pause, cut or not, and every shortened or muted
    span ends one."""
    rows, first = [], None
    edits = plan.edits
    for i, e in enumerate((*edits, None)):
        speech = e is not None and e.segment == "speech" and e.kind in ("keep", "stretch")
        if speech and first is None:
            first = i
        elif not speech and first is not None:
            rows.append((first, i, edits[first].start, edits[i - 1].end))
            first = None
    return np.asarray(rows, np.int64).reshape(-1, 4)


def nearest_utterance(units: np.ndarray, times_s: np.ndarray) -> np.ndarray:
    """For each time (original seconds), the row of ``units`` (:func:`utterances`) whose input
    span holds it or, between utterances, lies nearest (the earlier one on a tie).

    >>> u = np.array([[0, 1, 0, 16000], [2, 3, 32000, 48000]])
    >>> nearest_utterance(u, np.array([0.5, 1.2, 1.9, 2.5])).tolist()
    [0, 0, 1, 1]
    """
    t = np.asarray(times_s, np.float64).reshape(-1) * SAMPLE_RATE
    if not len(units) or not len(t):
        return np.zeros(0, np.int64)
    before = np.maximum(units[None, :, 2] - t[:, None], 0)  # distance to each span
    after = np.maximum(t[:, None] - units[None, :, 3], 0)
    return np.argmin(before + after, axis=1).astype(np.int64)


def at_levels(planned: Plan, units: np.ndarray, levels: np.ndarray) -> Plan:
    """``planned`` with the sped-up edits of utterance ``k`` taken ``levels[k]`` steps (of
    :data:`VERIFY_STEPS`) from their planned speed towards 1.0x."""
    edits = list(planned.edits)
    for (a, b, _, _), level in zip(units, levels, strict=True):
        keep = 1.0 - min(int(level), VERIFY_STEPS) / VERIFY_STEPS
        if keep == 1.0:
            continue
        for i in range(a, b):
            e = edits[i]
            if not _sped_up(e):
                continue
            if keep == 0.0:  # the last step is 1.0x exactly, even from an edit with no
                out = e.in_samples  # output (infinitely fast: inf * 0 is nan)
            else:
                speed = 1.0 + (e.speed - 1.0) * keep
                out = min(e.in_samples, max(1, round(e.in_samples / speed)))
            edits[i] = replace(e, out_samples=out)
    return replace(planned, edits=tuple(edits))


def resolve_asr(verify):
    """A recogniser from a name (``load_asr``) or an object with ``transcribe``."""
    if isinstance(verify, str):
        from .asr import load_asr

        return load_asr(verify)
    if not callable(getattr(verify, "transcribe", None)):
        raise OptionsError(f"verify must be a recogniser name or object, got {verify!r}")
    return verify


def unsure_words(words: Sequence[Word], min_probability: float) -> np.ndarray:
    """Midpoints (s) of the words whose probability is below ``min_probability`` (words
    without a probability never count).

    >>> ws = [Word("a", 0.0, 0.2, 0.9), Word("b", 0.4, 0.6, 0.3), Word("c", 1.0, 1.2)]
    >>> unsure_words(ws, 0.5).tolist()
    [0.5]
    """
    mids = [
        (w.start_s + w.end_s) / 2
        for w in words
        if w.probability is not None and w.probability < min_probability
    ]
    return np.asarray(mids, np.float64)


def verify(
    samples: np.ndarray,
    result,
    asr,
    rounds: int = 2,
    render_options=None,
    min_probability: float = VERIFY_MIN_PROBABILITY,
    scope: str = VERIFY_SCOPE,
):
    """Refine a :class:`~audiosqueeze.results.Compressed` of 16 kHz ``samples`` (see the
    module docs); returns the refined one (``result`` itself when nothing changed)."""
    from .results import Compressed, stats_of

    rounds = validate.integer("verify_rounds", rounds, 0, 10)
    min_probability = validate.number("verify_min_probability", min_probability, 0.0, 1.0)
    scope = validate.choice("verify_scope", scope, VERIFY_SCOPES)
    render_options = render_options or RenderOptions()
    asr = resolve_asr(asr)
    if not any(_sped_up(e) for e in result.plan.edits):
        return result  # no sped-up speech (e.g. rate <= 0.5): nothing to check or relax

    def rerender(p: Plan):
        audio = render(samples, p, render_options)
        stats = stats_of(result.analysis, p)
        return Compressed(audio, SAMPLE_RATE, timemap_of(p), p, stats, result.analysis)

    planned, units = result.plan, utterances(result.plan)
    levels = np.zeros(len(units), np.int64)

    def slower(p: Plan, times_s: np.ndarray) -> Plan:
        if scope == "window":
            return relax(p, times_s)
        hit = np.unique(nearest_utterance(units, times_s))
        levels[hit] = np.minimum(levels[hit] + 1, VERIFY_STEPS)
        return at_levels(planned, units, levels)

    original = asr.transcribe(samples).words
    unsure = unsure_words(original, min_probability)
    if len(unsure):
        p = slower(result.plan, unsure)
        if p != result.plan:
            result = rerender(p)
    best, fewest = result, None  # the checked render with the fewest changed words
    for checked in range(1, rounds + 1):
        heard = result.timemap.remap_words(asr.transcribe(result.audio).words)
        changed = word_changes(original, heard)
        if fewest is None or len(changed) < fewest:
            best, fewest = result, len(changed)
        if not len(changed) or checked == rounds:
            break
        p = slower(result.plan, changed)
        if p == result.plan:
            break
        result = rerender(p)
    return best
