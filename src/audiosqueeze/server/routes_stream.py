"""``WebSocket /v1/stream``: raw PCM in, compressed PCM and time-map updates out, live.

The socket is one :class:`~audiosqueeze.stream.Stream`; what it sends back is exactly what
``sq.compress`` gives for the same samples, whatever the message sizes.

**Handshake.** Query parameters: ``rate`` [0, 1] (default 0.5), ``max_segment_ms``
[64, 3600000] (default 64: the longest analysis segment, which bounds how long a sample
waits: speech at most about 0.23 s), ``model`` (a token profile,
default ``gemini``), ``format`` of the PCM both ways, ``s16le`` (default) or ``f32le``: 16 kHz
mono little-endian, 16-bit integers or 32-bit floats. The key goes in ``Authorization: Bearer``
or ``x-api-key`` like everywhere else, or in the ``api_key`` query parameter (browsers cannot
set headers on a WebSocket; a key in a URL can end up in proxy logs, so prefer a header where
the client can send one). The server accepts first and then checks the key, the per-key rate
limit (one request per stream) and the parameters, so a refusal arrives as a close code with a
reason rather than a bare failed handshake.

**Client -> server.** Binary messages of PCM, any size: a trailing part of a sample waits for
the next message. A text message ``{"type": "end"}`` (``"flush"`` is the same) ends the input.

**Server -> client.** Binary messages of compressed PCM in the input's format (``s16le``: the
float output times 32768, rounded and clipped, so rate 0 returns the input bytes; ``f32le``:
the library's float32 samples). Text messages ``{"type": "timemap", "start": i, "original":
[...], "compressed": [...], "sample_rate": 16000}`` carry the knots of the time map from index
``start`` on, each knot once and in order (knots never change once sent; appending them gives
the whole map). Last, ``{"type": "done", "seconds_in", "seconds_out", "tokens_before",
"tokens_after", "reduction", "no_speech", "model", "request_id", "stats", "timemap": <the whole
map>}`` and close 1000.

**Errors** arrive as ``{"type": "error", "code", "status", "message"}`` then a close with that
code and the message as reason (cut to the 123 bytes a close frame holds):

====  =============================================================  =================
code  when                                                           usage ``status``
====  =============================================================  =================
1008  missing / invalid / revoked key; bad parameter; no message     401, 422, 408
      for ``body_timeout_s``
1013  the key's rate limit is spent (try again later)                429
1003  a text message that is not ``{"type": "end"|"flush"}``         422
1007  NaN, infinity or out-of-range samples (the library's message); 422
      a partial sample at the end; no audio at all
1009  more than ``max_upload_bytes`` bytes or ``max_audio_s`` s      413
1011  a bug, or a model the server lacks                             500, 503
====  =============================================================  =================

Every stream leaves one usage record (endpoint ``/v1/stream``), committed when it ends: 200
when done, the status above for an error, 499 when the client went away first (with the
seconds and tokens it had sent and received by then). Compute runs in the worker pool, a
push at a time, under the same limit as the HTTP endpoints.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import anyio
import numpy as np
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

import audiosqueeze as sq

from ..analyze import SEGMENT_MS_RANGE
from ..decode import float_to_s16le
from ..errors import AudiosqueezeError
from ..render import timemap_of
from ..results import stats_of
from ..units import SAMPLE_RATE
from .auth import authenticate, presented_key
from .errors import ApiError, status_of
from .inputs import choice, number
from .usage import Usage, write_record
from .work import run_cpu

log = logging.getLogger("audiosqueeze.server")
router = APIRouter()

ENDPOINT = "/v1/stream"
#: PCM formats: name -> NumPy dtype (16 kHz mono, little-endian).
PCM = {"s16le": np.dtype("<i2"), "f32le": np.dtype("<f4")}
#: Samples gathered before a push (10 ms): tiny messages do not each cost a thread hop.
MIN_PUSH = SAMPLE_RATE // 100
END_TYPES = ("end", "flush")
KEY_HINT = "send 'Authorization: Bearer <key>', 'x-api-key: <key>' or ?api_key=<key>"

NORMAL, UNSUPPORTED, INVALID_DATA, POLICY, TOO_BIG, INTERNAL, TRY_LATER = (
    1000,
    1003,
    1007,
    1008,
    1009,
    1011,
    1013,
)


class Refused(Exception):
    """End the stream with close ``code``, ``message`` and usage ``status``."""

    def __init__(self, code: int, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def close_reason(message: str, limit: int = 123) -> str:
    """``message`` cut to what a close frame holds (123 bytes of UTF-8)."""
    data = message.encode("utf-8", "replace")
    if len(data) <= limit:
        return message
    return data[: limit - 3].decode("utf-8", "ignore") + "..."


def to_pcm(y: np.ndarray, fmt: str) -> bytes:
    """Float samples as ``fmt`` bytes (s16le: x 32768, rounded, clipped; the inverse of
    reading s16le as ``int / 32768``)."""
    if fmt == "f32le":
        return y.astype("<f4").tobytes()
    return float_to_s16le(y)


def refusal(e: Refused | ApiError | AudiosqueezeError) -> Refused:
    """The close for an error raised while opening the stream or computing."""
    if isinstance(e, Refused):
        return e
    if isinstance(e, ApiError):
        code = {401: POLICY, 403: POLICY, 429: TRY_LATER}.get(e.status, POLICY)
        return Refused(code, e.message, e.status)
    status = status_of(e)  # a library error: bad samples, or a model the server lacks
    code = TOO_BIG if status == 413 else INTERNAL if status >= 500 else INVALID_DATA
    return Refused(code, str(e), status)


@dataclass
class Session:
    """One open stream: its parameters, the Stream, and what has gone each way."""

    ws: WebSocket
    usage: Usage
    fmt: str = "s16le"
    model: str = "gemini"
    stream: sq.Stream | None = None
    pending: bytes = b""
    ready: list = field(default_factory=list)
    n_ready: int = 0
    bytes_in: int = 0
    knots_sent: int = 0

    @property
    def state(self):
        return self.ws.app.state

    # -- opening -----------------------------------------------------------------------
    async def open(self) -> None:
        """Key, rate limit, parameters, then the Stream (each a :class:`Refused` if wrong)."""
        ws = self.ws
        key = presented_key(ws) or ws.query_params.get("api_key") or None
        if key is None and self.state.config.auth:
            raise Refused(POLICY, f"missing API key: {KEY_HINT}", 401)
        await anyio.to_thread.run_sync(authenticate, ws, key)
        fields = dict(ws.query_params)
        if fields.get("target_reduction"):
            raise ApiError(422, "target_reduction needs the whole recording: use POST /v1/compress")
        rate = number(fields, "rate", 0.5, 0.0, 1.0)
        self.model = choice(fields, "model", "gemini", tuple(sq.PROFILES))
        self.fmt = choice(fields, "format", "s16le", tuple(PCM))
        self.usage.model = self.usage.token_profile = self.model
        longest = sq.AnalyzeOptions().max_segment_ms
        longest = number(fields, "max_segment_ms", longest, *SEGMENT_MS_RANGE)
        options = sq.AnalyzeOptions(vad=self.state.config.vad, max_segment_ms=longest)
        self.stream = await run_cpu(self.state.limiter_cpu, _new_stream, rate, options)

    # -- input -------------------------------------------------------------------------
    async def run(self) -> None:
        """Read messages until the end message; answer each push as its output is ready."""
        timeout_s = self.state.config.body_timeout_s
        while True:
            with anyio.move_on_after(timeout_s) as waited:
                message = await self.ws.receive()
            if waited.cancelled_caught:
                raise Refused(POLICY, f"no message for {timeout_s:g} s; giving up", 408)
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            if message.get("bytes") is not None:
                await self.audio(message["bytes"])
            elif is_end(message.get("text")):
                await self.finish()
                return

    async def audio(self, data: bytes) -> None:
        config = self.state.config
        self.bytes_in += len(data)
        if self.bytes_in > config.max_upload_bytes:
            raise Refused(
                TOO_BIG, f"the stream exceeds {config.max_upload_bytes} bytes of audio", 413
            )
        width = PCM[self.fmt].itemsize
        buf = self.pending + data if self.pending else data
        whole = len(buf) - len(buf) % width
        self.pending = buf[whole:]
        if not whole:
            return
        self.ready.append(np.frombuffer(buf[:whole], PCM[self.fmt]))
        self.n_ready += whole // width
        if (self.stream.samples_in + self.n_ready) / SAMPLE_RATE > config.max_audio_s:
            raise Refused(
                TOO_BIG, f"the stream exceeds the {config.max_audio_s:g} s limit of audio", 413
            )
        if self.n_ready >= MIN_PUSH:
            y, knots = await run_cpu(self.state.limiter_cpu, _push, self.stream, self.take())
            await self.answer(y, knots)

    def take(self) -> np.ndarray:
        x = np.concatenate(self.ready) if self.ready else np.zeros(0, PCM[self.fmt])
        self.ready, self.n_ready = [], 0
        return x

    # -- output ------------------------------------------------------------------------
    async def answer(self, y: np.ndarray, tm: sq.TimeMap | None) -> None:
        """Send the new samples, then the knots not sent yet."""
        if len(y):
            await self.ws.send_bytes(to_pcm(y, self.fmt))
        if tm is not None and len(tm.original) > self.knots_sent:
            start, self.knots_sent = self.knots_sent, len(tm.original)
            await self.ws.send_text(
                json.dumps(
                    {
                        "type": "timemap",
                        "start": start,
                        "original": tm.original[start:].tolist(),
                        "compressed": tm.compressed[start:].tolist(),
                        "sample_rate": tm.sample_rate,
                    }
                )
            )

    async def finish(self) -> None:
        if self.pending:
            raise Refused(
                INVALID_DATA,
                f"the stream ended inside a sample: {len(self.pending)} byte(s) left over "
                f"(a {self.fmt} sample is {PCM[self.fmt].itemsize} bytes)",
                422,
            )
        if self.stream.samples_in + self.n_ready == 0:
            raise Refused(INVALID_DATA, "the stream ended before any audio arrived", 422)
        y, tm, stats = await run_cpu(self.state.limiter_cpu, _finish, self.stream, self.take())
        await self.answer(y, tm)
        m, u = self.model, self.usage
        u.seconds_in, u.seconds_out = stats.input_s, stats.output_s
        u.tokens_before, u.tokens_after = stats.tokens_before[m], stats.tokens_after[m]
        u.no_speech = stats.no_speech
        done = {
            "type": "done",
            "request_id": u.request_id,
            "model": m,
            "seconds_in": stats.input_s,
            "seconds_out": stats.output_s,
            "tokens_before": u.tokens_before,
            "tokens_after": u.tokens_after,
            "reduction": round(stats.reduction, 6),
            "no_speech": stats.no_speech,
            "stats": stats.to_dict(),
            "timemap": tm.to_dict(),
        }
        await self.ws.send_text(json.dumps(done))

    def note_partial(self) -> None:
        """Seconds and tokens so far, for a stream that did not finish."""
        if self.stream is None:
            return
        u, m = self.usage, self.model
        u.seconds_in = round(self.stream.samples_in / SAMPLE_RATE, 6)
        u.seconds_out = round(self.stream.samples_out / SAMPLE_RATE, 6)
        u.tokens_before, u.tokens_after = sq.tokens(u.seconds_in, m), sq.tokens(u.seconds_out, m)


def is_end(text: str | None) -> bool:
    """Whether a text message is the end message; :class:`Refused` (1003) for anything else."""
    try:
        doc = json.loads(text or "")
    except (ValueError, RecursionError):
        doc = None
    if isinstance(doc, dict) and doc.get("type") in END_TYPES:
        return True
    shown = (text or "")[:40]
    raise Refused(
        UNSUPPORTED, f'text messages must be {{"type": "end"}}, got {shown!r}; audio is binary', 422
    )


# -- the CPU work, in the worker pool -------------------------------------------------------
def _new_stream(rate: float, options: sq.AnalyzeOptions) -> sq.Stream:
    return sq.Stream(rate, analyze_options=options, name="stream")


def _push(stream: sq.Stream, x: np.ndarray):
    y = stream.push(x)
    return y, stream.timemap


def _finish(stream: sq.Stream, x: np.ndarray):
    parts = [stream.push(x)] if len(x) else []
    parts.append(stream.flush())
    plan = stream.plan()
    return np.concatenate(parts), timemap_of(plan), stats_of(stream.analysis, plan)


# -- the endpoint ---------------------------------------------------------------------------
@router.websocket(ENDPOINT)
async def stream_endpoint(websocket: WebSocket) -> None:
    """Compress a live stream of raw PCM (see the module docstring for the protocol)."""
    await websocket.accept()
    usage = Usage()
    websocket.scope["audiosqueeze.usage"] = usage  # authenticate() notes who is calling
    session = Session(websocket, usage)
    status, usage.error = 503, "the server stopped during the stream"
    try:
        try:
            await session.open()
            await session.run()
        except (Refused, ApiError, AudiosqueezeError) as e:
            r = refusal(e)
            status, usage.error = r.status, r.message
            await _close(websocket, r)
        else:
            status, usage.error = 200, None
            await _close(websocket, None)
    except WebSocketDisconnect:
        status, usage.error = 499, "the client disconnected before the end of the stream"
    except Exception as e:  # a bug: log it, tell the client no more than that
        log.exception("unhandled error on %s", ENDPOINT)
        status, usage.error = 500, f"internal error: {type(e).__name__}"
        await _close(websocket, Refused(INTERNAL, "internal server error", 500))
    finally:
        if status != 200:
            session.note_partial()
        with anyio.CancelScope(shield=True):
            record = usage.to_record(ENDPOINT, status)
            await anyio.to_thread.run_sync(write_record, websocket.app.state.engine, record)


async def _close(websocket: WebSocket, r: Refused | None) -> None:
    """Close with 1000, or tell the error and close with its code; a client already gone is
    no error."""
    try:
        if r is None:
            await websocket.close(NORMAL)
            return
        error = {"type": "error", "code": r.code, "status": r.status, "message": r.message}
        await websocket.send_text(json.dumps(error))
        await websocket.close(r.code, close_reason(r.message))
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
