"""Known answers for the service's edges: what each hostile or odd request must get back.

Each test plants a request whose right answer is stated by the module it exercises (a 415 for a
content type outside the accepted list, exactly one ``file`` part, a multipart part cap of
64 KiB, a decoded-audio cap of ``max_upload_bytes``...), so an implementation that drops a
check, moves a boundary by one or answers a 500 fails here.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

import audiosqueeze as sq
from audiosqueeze import errors as lib_errors
from audiosqueeze.server.errors import ApiError, error_response, status_of
from audiosqueeze.server.formats import verbose, vtt
from audiosqueeze.server.inputs import choice, number
from audiosqueeze.transcript import Transcript, Word

from .srv_helpers import FakeASR, client, clip, config, live_server, speechlike, wav_bytes

LIMIT = 200_000  # max_upload_bytes of the shared client
SHORT = wav_bytes(speechlike(0.5))  # 16 kB: small enough to go beside a 64 KiB field


@pytest.fixture(scope="module")
def c(tmp_path_factory):
    with client(
        tmp_path_factory.mktemp("known"),
        asr=FakeASR(),
        auth=False,
        max_upload_bytes=LIMIT,
        max_audio_s=30.0,
    ) as c:
        yield c


def error_of(r, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.text[:300])
    err = r.json()["error"]
    assert err["code"] == status
    return err


# -- inputs: the content type ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path, ctype, quoted, json_ok",
    [
        ("/v1/compress", "text/plain", "'text/plain'", True),
        ("/v1/compress", "", "'(none)'", True),
        ("/v1/compress", "image/png; x=1", "'image/png'", True),
        ("/v1/audio/transcriptions", "application/json", "'application/json'", False),
        ("/v1/audio/transcriptions", "text/csv", "'text/csv'", False),
    ],
)
def test_a_content_type_outside_the_list_is_415_naming_it(c, path, ctype, quoted, json_ok):
    """Not a 422 about JSON: the body is never parsed. Transcriptions take no JSON body, and
    its message does not offer one."""
    r = c.post(path, content=b'{"audio": "AAAA"}', headers={"content-type": ctype})
    message = error_of(r, 415)["message"]
    assert message.startswith(f"unsupported Content-Type {quoted}; send multipart/form-data")
    assert message.endswith("or application/json") is json_ok


# -- inputs: multipart -----------------------------------------------------------------------


def multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "kb0und") -> bytes:
    """A multipart body by hand: (name, filename or None for a plain field, data)."""
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def post_multipart(c, parts, path="/v1/compress"):
    return c.post(
        path,
        content=multipart(parts),
        headers={"content-type": "multipart/form-data; boundary=kb0und"},
    )


@pytest.mark.parametrize("path", ["/v1/compress", "/v1/audio/transcriptions"])
@pytest.mark.parametrize(
    "parts",
    [
        [("model", None, b"gemini")],  # fields only
        [("file", None, b"RIFF not a file part")],  # 'file' sent as a plain field
        [("audio", "a.wav", SHORT)],  # a file, under another name
    ],
)
def test_multipart_without_a_file_part_is_422_not_500(c, path, parts):
    err = error_of(post_multipart(c, parts, path), 422)
    assert err["param"] == "file" and "no 'file' part" in err["message"]


@pytest.mark.parametrize("n", [2, 4])
def test_more_than_one_file_part_is_422(c, n):
    err = error_of(post_multipart(c, [("file", f"{i}.wav", SHORT) for i in range(n)]), 422)
    assert err["param"] == "file" and "exactly one 'file' part" in err["message"]


def test_the_fifth_file_is_refused_by_the_parser(c):
    """max_files=4: a fifth file part stops the parse (400) before anything is read."""
    err = error_of(post_multipart(c, [("file", f"{i}.wav", SHORT) for i in range(5)]), 400)
    assert "Too many files" in err["message"]


def test_64_fields_pass_and_the_65th_is_refused(c):
    fields = [(f"x{i}", None, b"1") for i in range(64)]
    ok = post_multipart(c, [("file", "a.wav", SHORT), *fields, ("response", None, b"json")])
    assert error_of(ok, 400)["message"].startswith("Too many fields")  # 65 with 'response'
    ok = post_multipart(c, [("file", "a.wav", SHORT), *fields[:63], ("response", None, b"json")])
    assert ok.status_code == 200, ok.text[:300]
    assert ok.json()["seconds_in"] == 0.5


def test_a_field_part_may_be_64_kib_and_not_one_byte_more(c):
    at_cap = post_multipart(
        c, [("file", "a.wav", SHORT), ("note", None, b"n" * 65536), ("response", None, b"json")]
    )
    assert at_cap.status_code == 200, at_cap.text[:300]
    over = post_multipart(c, [("file", "a.wav", SHORT), ("note", None, b"n" * 65537)])
    assert "exceeded maximum size of 64KB" in error_of(over, 400)["message"]


# -- inputs: JSON bodies ---------------------------------------------------------------------


def post_json(c, doc: dict):
    return c.post(
        "/v1/compress",
        content=json.dumps(doc).encode(),
        headers={"content-type": "application/json"},
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def test_base64_with_a_stray_character_is_422_not_skipped(c):
    """Without strict decoding the '*' would be dropped and the audio accepted."""
    good = b64(SHORT)
    assert post_json(c, {"audio": good}).status_code == 200
    bad = good[:400] + "*" + good[400:]
    err = error_of(post_json(c, {"audio": bad}), 422)
    assert err["param"] == "audio" and "not valid base64" in err["message"]


def test_decoded_audio_may_be_max_upload_bytes_and_not_more(c):
    """The JSON body may be a third larger (base64), the audio inside it may not."""
    samples = (LIMIT - 44) // 2
    at_cap = wav_bytes(0.1 * np.sin(np.arange(samples) / 5.0).astype(np.float32))
    assert len(at_cap) == LIMIT
    r = post_json(c, {"audio": b64(at_cap)})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["seconds_in"] == pytest.approx(samples / 16000, abs=1e-3)
    over = wav_bytes(0.1 * np.sin(np.arange(samples + 1) / 5.0).astype(np.float32))
    err = error_of(post_json(c, {"audio": b64(over)}), 413)
    assert err["message"] == f"decoded audio of {LIMIT + 2} bytes exceeds {LIMIT} bytes"


def test_null_fields_are_the_defaults(c):
    r = post_json(
        c,
        {"audio": b64(SHORT), "model": None, "format": None, "rate": None, "scaledown": None},
    )
    assert r.status_code == 200, r.text[:300]
    body = r.json()  # a JSON body answers JSON; model gemini, format flac
    assert (body["model"], body["format"], body["media_type"]) == ("gemini", "flac", "audio/flac")


@pytest.mark.parametrize(
    "doc, name, kind",
    [
        ({"rate": True}, "rate", "bool"),
        ({"model": ["gemini"]}, "model", "list"),
        ({"format": {"flac": 1}}, "format", "dict"),
        ({"scaledown": {"rate": False}}, "scaledown.rate", "bool"),
    ],
)
def test_a_field_that_is_not_a_scalar_is_422_naming_its_type(c, doc, name, kind):
    err = error_of(post_json(c, {"audio": b64(SHORT), **doc}), 422)
    assert err["message"] == f"{name} must be a string or number, got {kind}"


# -- inputs: number() and choice() -----------------------------------------------------------


@pytest.mark.parametrize(
    "fields, expected",
    [({}, 0.25), ({"x": ""}, 0.25), ({"x": "0"}, 0.0), ({"x": "1"}, 1.0), ({"x": "0.5"}, 0.5)],
)
def test_number_is_the_default_when_absent_else_the_value(fields, expected):
    assert number(fields, "x", 0.25, 0.0, 1.0) == expected


@pytest.mark.parametrize("raw", ["-0.001", "1.001", "nan", "inf", "abc"])
def test_number_outside_the_closed_range_is_422(raw):
    with pytest.raises(ApiError) as e:
        number({"x": raw}, "x", None, 0.0, 1.0)
    assert e.value.status == 422 and e.value.param == "x"


def test_number_lo_open_excludes_only_the_low_end():
    assert number({"x": "0.95"}, "x", None, 0.0, 0.95, lo_open=True) == 0.95
    with pytest.raises(ApiError) as e:
        number({"x": "0"}, "x", None, 0.0, 0.95, lo_open=True)
    assert "must be in (0.0, 0.95]" in e.value.message


def test_choice_empty_is_the_default():
    assert choice({"f": ""}, "f", "flac", ("flac", "wav")) == "flac"
    assert choice({"f": "wav"}, "f", "flac", ("flac", "wav")) == "wav"


# -- formats ---------------------------------------------------------------------------------


def test_vtt_escapes_markup_but_leaves_quotes_alone():
    """Only ``&``, ``<`` and ``>`` mean something in cue text; an apostrophe stays one."""
    cue = vtt([{"start": 1.0, "end": 2.0, "text": 'don\'t say "x" <b> & -->'}])
    assert cue.splitlines()[3] == 'don\'t say "x" &lt;b&gt; &amp; --&gt;'


def test_verbose_fills_openai_fields_and_keeps_the_upstreams():
    segments = [
        {"start": 0.0, "end": 1.0, "text": " a"},
        {"start": 1.0, "end": 2.0, "text": " b", "id": 7, "seek": 300, "avg_logprob": -0.25},
    ]
    words = [Word("a", 0.12345, 0.98765), Word("b", 1.0004, 1.9996)]
    savings = {"seconds_saved": 1.0}
    doc = verbose(
        "a b", segments, words, language=None, duration_s=2.34567, temperature=None, savings=savings
    )
    first, second = doc["segments"]
    assert first == {
        "id": 0,
        "seek": 0,
        "tokens": [],
        "temperature": 0.0,
        "avg_logprob": None,
        "compression_ratio": None,
        "no_speech_prob": None,
        "start": 0.0,
        "end": 1.0,
        "text": " a",
    }
    assert (second["id"], second["seek"], second["avg_logprob"]) == (1, 300, -0.25)
    assert doc["duration"] == 2.346 and doc["language"] == "english"
    assert doc["words"] == [
        {"word": "a", "start": 0.123, "end": 0.988},
        {"word": "b", "start": 1.0, "end": 2.0},
    ]
    assert doc["audiosqueeze"] is savings and doc["task"] == "transcribe"
    hot = verbose("", segments[:1], None, language="de", duration_s=1, temperature=0.7, savings={})
    assert hot["segments"][0]["temperature"] == 0.7 and hot["language"] == "de"
    assert "words" not in hot


# -- routes_compress -------------------------------------------------------------------------


class Clock:
    """A stand-in for the ``time`` module: perf_counter answers the planted readings."""

    def __init__(self, *readings: float) -> None:
        self.readings = iter(readings)

    def perf_counter(self) -> float:
        return next(self.readings)


def test_compress_json_reports_reduction_and_latency_from_its_clock(c, monkeypatch):
    from audiosqueeze.server import routes_compress

    monkeypatch.setattr(routes_compress, "time", Clock(100.0, 100.25046))
    r = c.post(
        "/v1/compress?response=json&rate=1",
        content=wav_bytes(clip(1.5)),
        headers={"content-type": "audio/wav"},
    )
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    assert body["latency_ms"] == 250.5  # 250.46 ms, to 0.1 ms
    s_in, s_out = body["seconds_in"], body["seconds_out"]
    assert s_in == 3.5 and s_out < 3.0  # the 1.5-s pause was shortened
    assert body["reduction"] == round(1.0 - s_out / s_in, 6) != round(1.0 - s_out / s_in, 7)


# -- routes_transcribe -----------------------------------------------------------------------


def transcribe(c, audio: bytes, **data):
    return c.post(
        "/v1/audio/transcriptions", files={"file": ("a.wav", audio, "audio/wav")}, data=data
    )


def test_verbose_json_times_and_savings_are_rounded_from_the_map(c):
    """Segment times are the compressed ones mapped back, to the millisecond; the savings are
    the seconds in and out, and their ratio to 6 places. 33 samples more than 3.5 s make every
    one of them differ at 2, 3 and 4 decimals."""
    samples = 56000 + 33
    audio = wav_bytes(np.concatenate([clip(1.5), np.zeros(33, np.float32)]))
    tm = sq.compress(audio, 1.0, analyze_options=sq.AnalyzeOptions(vad="energy")).timemap
    d, s_in = tm.compressed_samples / 16000, samples / 16000
    r = transcribe(c, audio, rate="1", response_format="verbose_json")
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    omega = tm.to_original(d - 0.5)
    for t in (omega, s_in, d):
        assert len({round(t, 2), round(t, 3), round(t, 4)}) == 3, t
    assert [(s["start"], s["end"]) for s in body["segments"]] == [
        (0.0, round(tm.to_original(0.5), 3)),
        (round(omega, 3), round(s_in, 3)),
    ]
    saved = s_in - d
    assert round(saved / s_in, 6) != round(saved / s_in, 7)
    assert body["audiosqueeze"] == {
        "seconds_in": round(s_in, 3),
        "seconds_out": round(d, 3),
        "seconds_saved": round(saved, 3),
        "reduction": round(saved / s_in, 6),
        "backend": "fake-asr",
        "verify": None,
    }


class KwargsASR(FakeASR):
    """Records the prompt and temperature it is given (so the backend passes them)."""

    def __init__(self) -> None:
        super().__init__()
        self.kwargs: list[dict] = []

    def transcribe(self, samples, prompt=None, temperature=None):
        self.kwargs.append({"prompt": prompt, "temperature": temperature})
        return super().transcribe(samples)


def test_prompt_and_temperature_reach_the_recogniser(tmp_path):
    asr = KwargsASR()
    with client(tmp_path, asr=asr, auth=False) as c:
        hot = transcribe(
            c, SHORT, prompt="Kubernetes", temperature="0.5", response_format="verbose_json"
        )
        cold = transcribe(c, SHORT, prompt="", temperature="0")
        plain = transcribe(c, SHORT)
    assert [r.status_code for r in (hot, cold, plain)] == [200] * 3, hot.text[:300]
    assert asr.kwargs == [
        {"prompt": "Kubernetes", "temperature": 0.5},
        {"prompt": None, "temperature": 0.0},
        {"prompt": None, "temperature": None},
    ]
    assert {s["temperature"] for s in hot.json()["segments"]} == {0.5}


def test_verify_without_an_embedded_recogniser_is_503(tmp_path):
    """An upstream and --asr none: nothing can listen to both versions, and the upstream is
    never asked (this one does not exist)."""
    with client(tmp_path, auth=False, upstream_url="http://127.0.0.1:9/v1") as c:
        r = transcribe(c, SHORT, verify="true")
    assert "verify needs the embedded recogniser" in error_of(r, 503)["message"]


def test_params_cut_the_model_name_to_64_characters(tmp_path):
    from audiosqueeze.server.inputs import Upload
    from audiosqueeze.server.routes_transcribe import params_of

    cfg = config(tmp_path)
    assert params_of(Upload(b"", {"model": "m" * 100}), cfg).request.model == "m" * 64
    assert params_of(Upload(b"", {"model": ""}), cfg).request.model == "whisper-1"


def test_a_transcription_is_recorded_with_its_seconds_and_tokens(tmp_path):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from audiosqueeze.server.db import UsageRecord, make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'u.sqlite'}")
    migrate(engine)
    with client(tmp_path, asr=FakeASR(), engine=engine, auth=False) as c:
        r = transcribe(c, wav_bytes(clip(1.5)), model="whisper-1")
    assert r.status_code == 200, r.text[:300]
    with Session(engine) as s:
        (row,) = s.scalars(select(UsageRecord))
    engine.dispose()
    seconds_out = float(r.headers["x-audiosqueeze-seconds-out"])
    assert (row.model, row.token_profile, row.seconds_in) == ("whisper-1", "whisper-unpadded", 3.5)
    assert row.seconds_out == pytest.approx(seconds_out, abs=5e-4) and row.seconds_out < 3.0
    assert row.tokens_before == 175  # 3.5 s x 50 /s
    assert row.tokens_after == sq.tokens(row.seconds_out, "whisper-unpadded") < 150


# -- errors ----------------------------------------------------------------------------------

OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_request_error",
    429: "rate_limit_error",
    499: "invalid_request_error",  # any other 4xx
    500: "server_error",
    501: "server_error",  # any other 5xx
    502: "upstream_error",
    503: "service_unavailable",
    504: "upstream_timeout",
}


@pytest.mark.parametrize("status", sorted(OPENAI_TYPES))
def test_error_bodies_have_openais_shape_and_type(status):
    r = error_response(status, "why", "field")
    assert r.status_code == status
    assert json.loads(r.body) == {
        "error": {"message": "why", "type": OPENAI_TYPES[status], "param": "field", "code": status}
    }


@pytest.mark.parametrize(
    "exc, status",
    [
        (lib_errors.UnsupportedFormatError("x"), 415),
        (lib_errors.AudioTooLongError("x"), 413),
        (lib_errors.MissingDependencyError("x"), 503),
        (lib_errors.ModelNotFoundError("x"), 503),
        (lib_errors.DecodeError("x"), 422),
        (lib_errors.EmptyAudioError("x"), 422),
        (lib_errors.OptionsError("x"), 422),
    ],
)
def test_library_errors_map_to_their_status(exc, status):
    assert status_of(exc) == status


def test_validation_errors_name_the_field_or_the_request(tmp_path, admin_env):
    admin = {"authorization": f"Bearer {admin_env}"}
    with client(tmp_path) as c:
        path = error_of(c.delete("/v1/keys/abc", headers=admin), 422)
        field = error_of(c.post("/v1/keys", json={"name": ""}, headers=admin), 422)
        whole = error_of(
            c.post("/v1/keys", headers={**admin, "content-type": "application/json"}), 422
        )
    assert path["param"] == "key_id" and path["message"].startswith("key_id: ")
    assert field["param"] == "name" and field["message"].startswith("name: ")
    assert whole["param"] is None and whole["message"] == "request: Field required"
    assert all(e["type"] == "invalid_request_error" for e in (path, field, whole))


def test_a_long_error_is_recorded_cut_to_300_characters(tmp_path):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from audiosqueeze.server.db import UsageRecord, make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'u.sqlite'}")
    migrate(engine)
    ctype = "text/" + "x" * 400
    with client(tmp_path, engine=engine, auth=False) as c:
        message = error_of(
            c.post("/v1/compress", content=b"x", headers={"content-type": ctype}), 415
        )["message"]
    with Session(engine) as s:
        (row,) = s.scalars(select(UsageRecord))
    engine.dispose()
    assert len(message) > 400 and (row.status, row.error) == (415, message[:300])


# -- backends --------------------------------------------------------------------------------


def raw_upstream(status: int, header_lists: list[list[tuple[bytes, bytes]]], body: bytes):
    """An ASGI upstream that answers each request with the next list of exact header bytes
    (values an ASGI framework would refuse to encode included)."""

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        while (await receive()).get("more_body"):
            pass
        headers = header_lists.pop(0)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


RETRY_AFTER = [
    (b"7", "7"),
    ("\u0667".encode(), None),  # ARABIC-INDIC DIGIT SEVEN, in UTF-8: was a 500
    ("\uff17".encode(), None),  # FULLWIDTH DIGIT SEVEN: was a 500
    (b"\xb2", None),  # latin-1 superscript two: isdigit() too
    (b"Wed, 21 Oct 2015 07:28:00 GMT", None),
]


def test_an_upstream_429_passes_on_only_an_ascii_retry_after(tmp_path):
    headers = [
        [(b"content-type", b"application/json"), (b"retry-after", v)] for v, _ in RETRY_AFTER
    ]
    upstream = raw_upstream(429, headers, b'{"error": {"message": "slow down"}}')
    with live_server(upstream) as up, client(tmp_path, auth=False, upstream_url=f"{up}/v1") as c:
        got = [transcribe(c, SHORT) for _ in RETRY_AFTER]
    assert [r.status_code for r in got] == [503] * len(RETRY_AFTER), [r.text for r in got]
    for r, (value, passed_on) in zip(got, RETRY_AFTER, strict=True):
        assert "rate-limiting this server" in r.json()["error"]["message"], value
        assert r.headers.get("retry-after") == passed_on, value


def upstream_error(response) -> ApiError:
    from audiosqueeze.server.backends import UpstreamBackend

    with pytest.raises(ApiError) as e:
        UpstreamBackend("http://up.invalid/v1", None, None, 1.0)._parse(response)
    return e.value


@pytest.mark.parametrize("status", [400, 404, 413, 415, 422])
def test_the_callers_own_mistakes_come_back_with_the_upstreams_words(status):
    import httpx

    long = "m" * 400
    e = upstream_error(httpx.Response(status, json={"error": {"message": long}}))
    assert (e.status, e.message) == (status, f"upstream answered {status}: {'m' * 300}")
    e = upstream_error(httpx.Response(status, text="<html>" + "t" * 400))
    assert e.message == f"upstream answered {status}: <html>{'t' * 294}"


@pytest.mark.parametrize("status, ours", [(401, 502), (403, 502), (500, 502), (429, 503)])
def test_other_upstream_failures_hide_its_words(status, ours):
    import httpx

    e = upstream_error(httpx.Response(status, json={"error": {"message": "sk-secret"}}))
    assert e.status == ours and "sk-secret" not in e.message


def test_an_upstream_timeout_is_504(caplog):
    import asyncio

    import httpx

    from audiosqueeze.server.backends import TranscribeRequest, UpstreamBackend

    def slow(request):
        raise httpx.ReadTimeout("late", request=request)

    backend = UpstreamBackend("http://user:pw@up.invalid:8/v1", None, None, 1.0)
    backend._client = httpx.AsyncClient(transport=httpx.MockTransport(slow))
    with pytest.raises(ApiError) as e:
        asyncio.run(backend.transcribe_bytes(b"fLaC", TranscribeRequest("m")))
    assert e.value.status == 504 and "did not answer in time" in e.value.message
    assert "http://up.invalid:8/v1" in caplog.text and "pw" not in caplog.text


class TextOnlyASR:
    """A recogniser that gives text, and words only when told to."""

    name = "text-only"

    def __init__(self, words=()) -> None:
        self.words = tuple(words)

    def transcribe(self, samples):
        return Transcript(" hello there ", self.words)


def test_a_transcript_without_segments_is_one_segment_over_its_words_or_the_audio():
    from audiosqueeze.server.backends import LocalBackend, TranscribeRequest

    req = TranscribeRequest("m", language="de")  # not English-only: any language
    plain = LocalBackend(TextOnlyASR()).transcribe(np.zeros(8000, np.float32), req)
    assert plain.segments == [{"start": 0.0, "end": 0.5, "text": "hello there"}]
    assert plain.language == "de"
    timed = LocalBackend(TextOnlyASR([Word("hello", 0.1, 0.2), Word("there", 0.3, 0.4)]))
    heard = timed.transcribe(np.zeros(8000, np.float32), req)
    assert heard.segments == [{"start": 0.1, "end": 0.4, "text": "hello there"}]
    english = TextOnlyASR()
    english.name = "whisper-tiny.en"
    with pytest.raises(ApiError) as e:
        LocalBackend(english).transcribe(np.zeros(8000, np.float32), req)
    assert e.value.status == 422 and e.value.param == "language"
