"""A recording too quiet for the VAD: the service tells the client, as the CLI tells its user
(the library's ``QuietInputWarning`` once reached only the server's log)."""

from __future__ import annotations

import numpy as np
import pytest

import audiosqueeze as sq
from conftest import REPO, needs_silero

from .srv_helpers import FakeASR, client, wav_bytes

DEMO = REPO / "src" / "audiosqueeze" / "data" / "demo_common_voice_en_73.flac"
HEADER = "x-audiosqueeze-warning"

pytestmark = [needs_silero, pytest.mark.filterwarnings("ignore::audiosqueeze.QuietInputWarning")]


@pytest.fixture(scope="module")
def c(tmp_path_factory):
    with client(tmp_path_factory.mktemp("quiet"), asr=FakeASR(), auth=False, vad="silero") as c:
        yield c


def _upload(db: float) -> bytes:
    x = sq.load(DEMO).samples * np.float32(10 ** (db / 20))
    return wav_bytes(np.concatenate([np.zeros(8000, np.float32), x]), fmt="FLAC")


def _expected(db: float) -> str | None:
    """What the library says of the same decoded upload (its analysis at the defaults)."""
    from audiosqueeze.pipeline import quiet_input_message

    a = sq.analyze(sq.load(_upload(db)).samples, sample_rate=sq.SAMPLE_RATE)
    return quiet_input_message(a)


def test_the_demo_clip_65_db_down_is_quiet_and_at_its_level_it_is_not():
    assert _expected(0.0) is None
    said = _expected(-65.0)
    assert said is not None and "the recording is quiet" in said and "silero VAD" in said


@pytest.mark.parametrize("response", ["audio", "json"])
def test_compress_sends_the_warning_in_a_header_and_the_json(c, response):
    files = {"file": ("quiet.flac", _upload(-65.0), "audio/flac")}
    r = c.post("/v1/compress", files=files, data={"response": response})
    assert r.status_code == 200, r.text[:300]
    assert r.headers[HEADER] == _expected(-65.0)
    if response == "json":
        assert r.json()["warnings"] == [_expected(-65.0)]
    loud = c.post("/v1/compress", files={"file": ("loud.flac", _upload(0.0), "audio/flac")},
                  data={"response": response})  # fmt: skip
    assert loud.status_code == 200 and HEADER not in loud.headers
    if response == "json":
        assert loud.json()["warnings"] == []


def test_the_transcription_proxy_sends_it_too(c):
    files = {"file": ("quiet.flac", _upload(-65.0), "audio/flac")}
    r = c.post("/v1/audio/transcriptions", files=files, data={"model": "whisper-1"})
    assert r.status_code == 200, r.text[:300]
    assert r.headers[HEADER] == _expected(-65.0)
    loud = c.post("/v1/audio/transcriptions", data={"model": "whisper-1"},
                  files={"file": ("loud.flac", _upload(0.0), "audio/flac")})  # fmt: skip
    assert loud.status_code == 200 and HEADER not in loud.headers
