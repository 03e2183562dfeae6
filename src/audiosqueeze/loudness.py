"""Quiet speech after loud speech: the gain the planner gives it.

Whisper decodes 30 s at a time and hears a quiet stretch against the loud ones around it.
Shortening packs a quiet speaker close behind a loud one, and there Whisper can skip the
quiet speaker's words that it hears in the original (``benchmarks/quiet_gain_probe.py``:
a -56 dBFS utterance after -30 dBFS noise is lost in every shortened version, and comes
back when raised by 20-30 dB). :class:`QuietSpeechGain` follows the level of recent speech
and raises speech that is far below it to about its level.

Levels are the analysis frames' (dBFS, 32 ms), of speech segments only (pauses do not
count). The speech level is the level that a tenth of the last :data:`WINDOW_FRAMES` speech
frames exceed (about its 90th percentile: the loud frames, since speech has quiet ones
between its syllables). The reference is the
loudest speech level seen, falling by :data:`REF_DECAY_DB_PER_S` per second of input (speech
or not), so a quiet speaker who goes on alone becomes the reference in time. After
:data:`MIN_FRAMES` speech frames, speech is quiet from ``drop_db`` under the reference on,
and stays quiet until it is less than half of that under; quiet speech is raised to the
reference's level, by at most ``max_gain_db``, and never so far that a frame of the segment
raised would be louder than the reference (so a loud voice that follows a quiet one is not
raised while the level catches up with it).
"""

from __future__ import annotations

import collections
import math

from .segments import Segment
from .units import to_seconds

#: How fast the reference level falls, dB per second of input.
REF_DECAY_DB_PER_S = 0.5
#: Quiet speech is raised to this far under the reference level, and no frame of it higher
#: (frame levels are RMS: a sample peak stands up to about 10 dB above its frame's level).
BELOW_REF_DB = 10.0
#: Speech frames (32 ms) heard before any is judged quiet.
MIN_FRAMES = 16
#: Speech frames the level is taken over (the latest): about a second of speech.
WINDOW_FRAMES = 32


class QuietSpeechGain:
    """Streaming: :meth:`speech` for each speech segment returns its gain (dB);
    :meth:`pause` for each non-speech segment lets the reference fall over its length."""

    def __init__(self, max_gain_db: float, drop_db: float):
        self.max_gain_db, self.drop_db = float(max_gain_db), float(drop_db)
        self.reset()

    def reset(self) -> None:
        self._ref = -math.inf  # the reference level (dBFS)
        self._levels: collections.deque[float] = collections.deque(maxlen=WINDOW_FRAMES)
        self._heard = 0  # speech frames so far
        self._quiet = False

    def pause(self, seg: Segment) -> None:
        self._ref -= REF_DECAY_DB_PER_S * to_seconds(seg.num_samples)

    def speech(self, seg: Segment) -> float:
        self._ref -= REF_DECAY_DB_PER_S * to_seconds(seg.num_samples)
        if seg.frames is None:  # a segment made by hand, without its frames: nothing to judge
            return 0.0
        levels = seg.frames["level"].tolist()
        self._levels.extend(levels)
        self._heard += len(levels)
        if self._heard < MIN_FRAMES or not levels:
            return 0.0
        level = sorted(self._levels)[-(len(self._levels) // 10 + 1)]
        need = self._ref - level
        # quiet from drop_db under the reference on, loud again from half of it under
        self._quiet = need >= (self.drop_db / 2 if self._quiet else self.drop_db)
        self._ref = max(self._ref, level)
        if not self._quiet:
            return 0.0
        room = self._ref - BELOW_REF_DB - max(levels)  # for this segment's loudest frame
        return round(max(0.0, min(need - BELOW_REF_DB, room, self.max_gain_db)), 2)
