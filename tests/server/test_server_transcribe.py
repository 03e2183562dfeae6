"""POST /v1/audio/transcriptions: the recogniser hears the shorter audio, the caller gets
original times back, in every OpenAI response format (upstreams: test_server_upstream.py)."""

from __future__ import annotations

import re
import threading
import time

import pytest

import audiosqueeze as sq
from audiosqueeze.transcript import Transcript

from .srv_helpers import FakeASR, client, config, create_app, live_server


def expected_map(wav: bytes, rate: float = 0.5) -> sq.TimeMap:
    return sq.compress(wav, rate, analyze_options=sq.AnalyzeOptions(vad="energy")).timemap


def post(c, wav, **data):
    return c.post(
        "/v1/audio/transcriptions", files={"file": ("a.wav", wav, "audio/wav")}, data=data
    )


def test_verbose_json_maps_words_and_segments_back(tmp_path, wav):
    asr = FakeASR()
    tm = expected_map(wav, 1.0)
    d = tm.compressed_samples / 16000
    with client(tmp_path, asr=asr, auth=False) as c:
        r = post(
            c,
            wav,
            model="whisper-1",
            response_format="verbose_json",
            rate="1",
            **{"timestamp_granularities[]": ["word", "segment"]},
        )
    assert r.status_code == 200, r.text
    assert asr.heard == [tm.compressed_samples]  # the recogniser heard the shorter audio
    assert float(r.headers["x-audiosqueeze-seconds-out"]) == pytest.approx(d, abs=1e-3)
    assert float(r.headers["x-audiosqueeze-seconds-in"]) == pytest.approx(5.0)
    body = r.json()
    words = body["words"]
    assert [w["word"] for w in words] == ["alpha", "omega"]
    assert words[0]["end"] == pytest.approx(tm.to_original(0.5), abs=1e-3)
    assert words[1]["start"] == pytest.approx(tm.to_original(d - 0.5), abs=1e-3)
    assert words[1]["start"] > 4.0  # after the removed pause, on the original timeline
    assert words[1]["end"] == pytest.approx(5.0, abs=1e-3)
    assert [s["end"] for s in body["segments"]] == [w["end"] for w in words]
    assert body["duration"] == pytest.approx(5.0)
    assert body["audiosqueeze"]["seconds_saved"] == pytest.approx(5.0 - d, abs=1e-3)


def test_raw_body_takes_its_granularities_from_the_query(tmp_path, wav):
    """Fields of a raw-body request come from the query string; the repeated
    timestamp_granularities[] was dropped there, so words never came back."""
    with client(tmp_path, asr=FakeASR(), auth=False) as c:
        r = c.post(
            "/v1/audio/transcriptions?response_format=verbose_json"
            "&timestamp_granularities[]=segment&timestamp_granularities[]=word",
            content=wav,
            headers={"content-type": "audio/wav"},
        )
    assert r.status_code == 200 and [w["word"] for w in r.json()["words"]] == ["alpha", "omega"]


def test_segment_only_verbose_json_has_no_words(tmp_path, wav):
    with client(tmp_path, asr=FakeASR(), auth=False) as c:
        r = post(c, wav, model="whisper-1", response_format="verbose_json")
    assert r.status_code == 200 and "words" not in r.json() and len(r.json()["segments"]) == 2


def test_text_json_srt_vtt(tmp_path, wav):
    tm = expected_map(wav)
    start = tm.to_original(tm.compressed_samples / 16000 - 0.5)
    stamp = f"{int(start // 60):02d}:{start % 60:06.3f}"
    with client(tmp_path, asr=FakeASR(), auth=False) as c:
        text = post(c, wav, model="whisper-1", response_format="text")
        js = post(c, wav, model="whisper-1")
        srt = post(c, wav, model="whisper-1", response_format="srt")
        vtt = post(c, wav, model="whisper-1", response_format="vtt")
    assert text.text == "alpha omega\n" and text.headers["content-type"].startswith("text/plain")
    assert js.json() == {"text": "alpha omega"}
    assert srt.text.startswith("1\n00:00:00,000 --> ")
    assert f"00:{stamp.replace('.', ',')} --> 00:00:05,000\nomega" in srt.text
    assert vtt.text.startswith("WEBVTT\n\n") and f"00:{stamp} --> 00:00:05.000\nomega" in vtt.text
    for r in (text, js, srt, vtt):
        assert float(r.headers["x-audiosqueeze-seconds-out"]) < 5.0


class LengthSensitiveASR(FakeASR):
    """Hears different words in shortened audio (so verify must fall back)."""

    def transcribe(self, samples):
        self.heard.append(len(samples))
        return Transcript("the original" if len(samples) == 80000 else "something else")


def test_verify_falls_back_to_the_original_when_words_change(tmp_path, wav):
    asr = LengthSensitiveASR()
    with client(tmp_path, asr=asr, auth=False) as c:
        r = post(c, wav, model="whisper-1", verify="true")
    assert r.status_code == 200 and r.json()["text"] == "the original"
    assert r.headers["x-audiosqueeze-verify"] == "fell-back"
    assert float(r.headers["x-audiosqueeze-seconds-out"]) == pytest.approx(5.0)
    assert asr.heard[-1] == 80000


def test_verify_keeps_the_compression_when_words_agree(tmp_path, wav):
    asr = FakeASR()
    with client(tmp_path, asr=asr, auth=False) as c:
        r = post(c, wav, model="whisper-1", verify="1")
    assert r.headers["x-audiosqueeze-verify"] == "agreed"
    assert float(r.headers["x-audiosqueeze-seconds-out"]) < 5.0
    assert sorted(asr.heard)[-1] == 80000  # the verifier heard the original once


@pytest.mark.parametrize(
    ("data", "param"),
    [
        ({"response_format": "docx"}, "response_format"),
        ({"temperature": "2"}, "temperature"),
        ({"temperature": "nan"}, "temperature"),
        ({"language": "english!"}, "language"),
        ({"language": "de"}, "language"),  # the fake is not English-only, but tiny.en is
        ({"timestamp_granularities[]": "char"}, "timestamp_granularities[]"),
        ({"verify": "maybe"}, "verify"),
        ({"stream": "true"}, "stream"),
        ({"rate": "2"}, "rate"),
    ],
)
def test_bad_fields_are_422(tmp_path, wav, data, param):
    asr = FakeASR()
    asr.name = "whisper-tiny.en"
    with client(tmp_path, asr=asr, auth=False) as c:
        r = post(c, wav, model="whisper-1", **data)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["param"] == param


def test_language_must_match_in_full(tmp_path, wav):
    """'en\\n' passed the pattern ('$' matches before a final newline) and went to the backend."""
    with client(tmp_path, asr=FakeASR(), auth=False) as c:  # not English-only: no check of its own
        assert post(c, wav, model="whisper-1", language="en").status_code == 200
        r = post(c, wav, model="whisper-1", language="en\n")
    assert r.status_code == 422 and r.json()["error"]["param"] == "language"


def test_no_backend_is_503_not_a_crash(tmp_path, wav):
    with client(tmp_path, auth=False) as c:  # config asr="none"
        r = post(c, wav, model="whisper-1")
    assert r.status_code == 503 and "--asr none" in r.json()["error"]["message"]


def test_openai_sdk_against_the_live_service(tmp_path, wav):
    openai = pytest.importorskip("openai", reason="the [openai] extra is not installed")
    path = tmp_path / "talk.wav"
    path.write_bytes(wav)
    tm = expected_map(wav)
    app = create_app(config(tmp_path, auth=False), asr=FakeASR())
    with live_server(app) as url:
        sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        with open(path, "rb") as f:
            raw = sdk.audio.transcriptions.with_raw_response.create(
                model="whisper-1",
                file=f,
                response_format="verbose_json",
                timestamp_granularities=["word"],
            )
        v = raw.parse()
        with open(path, "rb") as f:
            srt = sdk.audio.transcriptions.create(model="whisper-1", file=f, response_format="srt")
    assert v.text == "alpha omega" and v.words[1].end == pytest.approx(5.0, abs=1e-3)
    assert float(raw.headers["x-audiosqueeze-seconds-out"]) == pytest.approx(
        tm.compressed_samples / 16000, abs=1e-3
    )
    assert re.search(r"--> 00:00:05,000\nomega", srt)


CUE_TEXTS = ["two\n\nparagraphs", "an arrow --> inside", "AT&T <i>tags</i>", "   ", "last"]


def test_srt_and_vtt_keep_one_cue_per_segment_whatever_the_text():
    """A blank line in a segment's text split its cue in two, '-->' or '<' in WebVTT text is
    syntax, and an empty segment made an empty cue."""
    from audiosqueeze.server.formats import srt, vtt

    segments = [{"start": i, "end": i + 0.5, "text": t} for i, t in enumerate(CUE_TEXTS)]
    timing = re.compile(r"^\d\d:\d\d:\d\d[,.]\d{3} --> \d\d:\d\d:\d\d[,.]\d{3}$")
    srt_blocks = srt(segments).strip("\n").split("\n\n")
    assert [b.split("\n")[0] for b in srt_blocks] == ["1", "2", "3", "4"]
    assert all(timing.match(b.split("\n")[1]) and len(b.split("\n")) == 3 for b in srt_blocks)
    assert srt_blocks[0].endswith("\ntwo paragraphs") and srt_blocks[3].startswith(
        "4\n00:00:04,000"
    )
    text = vtt(segments)
    vtt_blocks = text.removeprefix("WEBVTT\n\n").strip("\n").split("\n\n")
    assert len(vtt_blocks) == 4 and all(timing.match(b.split("\n")[0]) for b in vtt_blocks)
    assert text.count("-->") == 4 and "AT&amp;T &lt;i&gt;tags&lt;/i&gt;" in text


def test_a_segment_that_ends_before_it_starts_is_a_cue_of_no_length():
    from audiosqueeze.server.formats import srt, vtt

    segments = [{"start": 3.0, "end": 1.0, "text": "back"}, {"start": 4, "end": 5, "text": "on"}]
    assert "00:00:03,000 --> 00:00:03,000\nback" in srt(segments)
    assert "00:00:03.000 --> 00:00:03.000\nback" in vtt(segments)
    assert "00:00:04,000 --> 00:00:05,000\non" in srt(segments)


class ConcurrencyProbeASR(FakeASR):
    """Counts how many threads are inside ``transcribe`` at once."""

    def __init__(self, thread_safe: bool | None) -> None:
        super().__init__()
        if thread_safe is not None:  # None: a recogniser that says nothing either way
            self.thread_safe = thread_safe
        self.inside = self.most = 0
        self.lock = threading.Lock()

    def transcribe(self, samples):
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        time.sleep(0.5)
        with self.lock:
            self.inside -= 1
        return super().transcribe(samples)


@pytest.mark.parametrize("thread_safe", [False, True, None])
def test_recogniser_is_called_concurrently_only_if_it_says_it_may_be(tmp_path, wav, thread_safe):
    """Requests in several worker threads called one recogniser object at once: a pocketsphinx
    decoder or a transformers pipeline keeps per-utterance state in it."""
    asr = ConcurrencyProbeASR(thread_safe)
    with client(tmp_path, asr=asr, auth=False, compute_threads=3) as c:
        codes: list[int] = []
        threads = [
            threading.Thread(target=lambda: codes.append(post(c, wav, model="w").status_code))
            for _ in range(3)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert codes == [200, 200, 200]
    assert asr.most >= 2 if thread_safe else asr.most == 1
