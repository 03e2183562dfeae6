"""OpenAI's transcription response formats: json, text, srt, vtt and verbose_json.

>>> print(srt([{"start": 0.0, "end": 1.5, "text": " hi"}]), end="")
1
00:00:00,000 --> 00:00:01,500
hi
>>> timestamp(3725.25, ".")
'01:02:05.250'
"""

from __future__ import annotations

import html

from ..transcript import Word

RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")


def timestamp(seconds: float, sep: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _cues(segments: list[dict]) -> list[tuple[float, float, str]]:
    """(start, end, text) of each segment with text, its whitespace (newlines too) collapsed:
    a blank line inside a cue would end it. A cue never ends before it starts (an upstream may
    say so; players drop such a cue)."""
    cues = [
        (s["start"], max(s["start"], s["end"]), " ".join(str(s.get("text", "")).split()))
        for s in segments
    ]
    return [c for c in cues if c[2]]


def srt(segments: list[dict]) -> str:
    blocks = [
        f"{i}\n{timestamp(a, ',')} --> {timestamp(b, ',')}\n{text}\n"
        for i, (a, b, text) in enumerate(_cues(segments), 1)
    ]
    return "\n".join(blocks)


def vtt(segments: list[dict]) -> str:
    """WebVTT; cue text escapes ``&``, ``<`` and ``>`` (markup there, and ``-->`` ends a cue).

    >>> print(vtt([{"start": 0.0, "end": 1.0, "text": "AT&T -->"}]), end="")
    WEBVTT
    <BLANKLINE>
    00:00:00.000 --> 00:00:01.000
    AT&amp;T --&gt;
    """
    blocks = [
        f"{timestamp(a, '.')} --> {timestamp(b, '.')}\n{html.escape(text, quote=False)}\n"
        for a, b, text in _cues(segments)
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def verbose(
    text: str,
    segments: list[dict],
    words: list[Word] | None,
    *,
    language: str | None,
    duration_s: float,
    temperature: float | None,
    savings: dict,
) -> dict:
    """verbose_json: segments always, ``words`` when word granularity was asked for."""
    out_segments = []
    for i, s in enumerate(segments):
        seg = {
            "id": i,
            "seek": 0,
            "tokens": [],
            "temperature": temperature if temperature is not None else 0.0,
            "avg_logprob": None,
            "compression_ratio": None,
            "no_speech_prob": None,
        }
        seg.update(s)  # an upstream's own fields win; start/end are already remapped
        seg["id"] = i
        out_segments.append(seg)
    doc = {
        "task": "transcribe",
        "language": language or "english",
        "duration": round(duration_s, 3),
        "text": text,
        "segments": out_segments,
    }
    if words is not None:
        doc["words"] = [
            {"word": w.text, "start": round(w.start_s, 3), "end": round(w.end_s, 3)} for w in words
        ]
    doc["audiosqueeze"] = savings
    return doc
