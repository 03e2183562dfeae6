"""The embedded default backend for real: Whisper tiny.en (from its registry package) behind
/v1/audio/transcriptions, on the bundled Common Voice clip. Skips without the [whisper] extra."""

from __future__ import annotations

import statistics
from importlib import resources

import pytest
from fastapi.testclient import TestClient

from .srv_helpers import config, create_app

pytestmark = pytest.mark.slow


def test_tiny_en_words_come_back_on_the_original_timeline(tmp_path):
    pytest.importorskip("faster_whisper", reason="the [whisper] extra is not installed")
    from audiosqueeze.asr import load_asr
    from audiosqueeze.errors import ModelNotFoundError

    try:
        asr = load_asr("whisper-tiny.en")
    except ModelNotFoundError as e:
        pytest.skip(str(e))
    import audiosqueeze as sq

    data = (resources.files("audiosqueeze") / "data" / "demo_common_voice_en_73.flac").read_bytes()
    original = asr.transcribe(sq.load(data).samples)
    app = create_app(config(tmp_path, auth=False, asr="whisper-tiny.en", vad="silero"))
    with TestClient(app) as c:  # the lifespan loads the recogniser by name
        assert c.get("/healthz").json()["backend"] == "whisper-tiny.en"
        r = c.post(
            "/v1/audio/transcriptions",
            files={"file": ("demo.flac", data, "audio/flac")},
            data={
                "model": "whisper-1",
                "response_format": "verbose_json",
                "rate": "1",
                "timestamp_granularities[]": ["word", "segment"],
            },
        )
    assert r.status_code == 200, r.text
    body = r.json()
    seconds_in = float(r.headers["x-audiosqueeze-seconds-in"])
    assert float(r.headers["x-audiosqueeze-seconds-out"]) < seconds_in
    words = body["words"]
    assert len(words) >= 3 and body["segments"]
    assert all(0 <= w["start"] <= w["end"] <= seconds_in + 0.01 for w in words)
    assert [w["start"] for w in words] == sorted(w["start"] for w in words)
    # the same words, heard in the original, sit at about the same original times
    ref = {w.text.lower().strip(".,!?"): w.start_s for w in original.words}
    diffs = [
        abs(ref[k] - w["start"]) for w in words if (k := w["word"].lower().strip(".,!?")) in ref
    ]
    assert len(diffs) >= 3 and statistics.median(diffs) < 0.3, diffs
