"""POST /v1/compress: three ways in, two ways out, and the numbers match the library's."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import soundfile as sf

import audiosqueeze as sq

from .srv_helpers import client, wav_bytes


def decode(data: bytes) -> np.ndarray:
    x, rate = sf.read(io.BytesIO(data), dtype="float32")
    assert rate == 16000
    return x


def library(wav: bytes, rate: float):
    return sq.compress(wav, rate, analyze_options=sq.AnalyzeOptions(vad="energy"))


def test_multipart_returns_the_library_result_as_audio(tmp_path, wav):
    expected = library(wav, 1.0)
    with client(tmp_path, auth=False) as c:
        r = c.post(
            "/v1/compress",
            files={"file": ("a.wav", wav, "audio/wav")},
            data={"rate": "1", "format": "wav", "model": "whisper-unpadded"},
        )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav"
    got = decode(r.content)
    assert len(got) == len(expected.audio) < 0.7 * 5 * 16000  # the 3-s pause was cut
    # 16-bit PCM: within one quantisation step of the library's float samples
    assert np.max(np.abs(got - expected.audio)) <= 1 / 32768 + 1e-6
    assert float(r.headers["x-audiosqueeze-seconds-in"]) == pytest.approx(5.0)
    assert float(r.headers["x-audiosqueeze-seconds-out"]) == pytest.approx(
        expected.stats.output_s, abs=1e-3
    )
    assert int(r.headers["x-audiosqueeze-tokens-before"]) == 250  # 5 s x 50 /s
    assert int(r.headers["x-audiosqueeze-tokens-after"]) == sq.tokens(
        expected.stats.output_s, "whisper-unpadded"
    )
    assert len(r.headers["x-request-id"]) == 32


def test_rate_zero_is_bit_exact(tmp_path, wav):
    with client(tmp_path, auth=False) as c:
        r = c.post(
            "/v1/compress?rate=0&format=wav", content=wav, headers={"content-type": "audio/wav"}
        )
    assert r.status_code == 200
    assert r.content[44:] == wav[44:]  # same PCM payload after the header


def test_raw_body_json_response_carries_timemap_and_stats(tmp_path, wav):
    with client(tmp_path, auth=False) as c:
        r = c.post(
            "/v1/compress?rate=1&response=json&model=gpt-4o",
            content=wav,
            headers={"content-type": "application/octet-stream"},
        )
    assert r.status_code == 200, r.text
    body = r.json()
    tm = sq.TimeMap.from_dict(body["timemap"])
    audio = decode(base64.b64decode(body["audio"]))
    assert tm.compressed_samples == len(audio) and tm.original_samples == 5 * 16000
    assert body["tokens_before"] == 50 and body["tokens_after"] == sq.tokens(
        body["seconds_out"], "gpt-4o"
    )
    assert body["stats"]["edits"]["shorten"] >= 1
    # the second tone starts at 4.0 s in the original; the map puts it where the audio has it
    onset = tm.to_compressed(4.0)
    assert np.abs(audio[int(onset * 16000) + 800 : int(onset * 16000) + 1600]).max() > 0.05
    assert np.abs(audio[int(onset * 16000) - 1600 : int(onset * 16000) - 800]).max() < 0.01


def test_scaledown_shaped_json_body(tmp_path, wav):
    payload = {
        "audio": base64.b64encode(wav).decode(),
        "model": "gemini",
        "scaledown": {"rate": 0.0},
    }
    with client(tmp_path, auth=False) as c:
        r = c.post("/v1/compress", json=payload)
        r1 = c.post("/v1/compress", json={**payload, "scaledown": {"rate": 1.0}})
    assert r.status_code == 200 and r1.status_code == 200
    assert r.json()["seconds_out"] == pytest.approx(5.0)  # rate 0: nothing removed
    assert r1.json()["seconds_out"] < 3.5
    assert r1.json()["tokens_before"] == 160 and "latency_ms" in r1.json()


def test_target_reduction(tmp_path, wav):
    with client(tmp_path, auth=False) as c:
        r = c.post(
            "/v1/compress?target_reduction=0.3&response=json",
            content=wav,
            headers={"content-type": "audio/wav"},
        )
    assert r.status_code == 200
    assert r.json()["reduction"] >= 0.3


@pytest.mark.parametrize("fmt", ["flac", "wav", "ogg", "opus"])
def test_every_output_format_decodes(tmp_path, wav, fmt):
    with client(tmp_path, auth=False) as c:
        r = c.post(
            f"/v1/compress?format={fmt}&rate=1", content=wav, headers={"content-type": "audio/wav"}
        )
    assert r.status_code == 200
    x, rate = sf.read(io.BytesIO(r.content))
    out_s = float(r.headers["x-audiosqueeze-seconds-out"])
    assert abs(len(x) / rate - out_s) < 0.1


def test_44k_stereo_input_is_downmixed_and_resampled(tmp_path):
    t = np.arange(5 * 44100) / 44100
    mono = (0.2 * np.sin(2 * np.pi * 200 * t) * (t % 2.5 < 1.0)).astype(np.float32)
    stereo44 = wav_bytes(np.stack([mono, mono], axis=1), 44100)
    with client(tmp_path, auth=False) as c:
        r = c.post(
            "/v1/compress?response=json", content=stereo44, headers={"content-type": "audio/wav"}
        )
    assert r.status_code == 200 and r.json()["seconds_in"] == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("query", "status", "param"),
    [
        ("rate=1.5", 422, "rate"),
        ("rate=-0.1", 422, "rate"),
        ("rate=nan", 422, "rate"),
        ("rate=inf", 422, "rate"),
        ("rate=fast", 422, "rate"),
        ("target_reduction=0", 422, "target_reduction"),
        ("target_reduction=0.99", 422, "target_reduction"),
        ("rate=0.5&target_reduction=0.3", 422, "target_reduction"),
        ("model=gpt-5", 422, "model"),
        ("format=mp3", 422, "format"),
        ("response=xml", 422, "response"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(tmp_path, wav, query, status, param):
    with client(tmp_path, auth=False) as c:
        r = c.post(f"/v1/compress?{query}", content=wav, headers={"content-type": "audio/wav"})
    assert r.status_code == status
    assert r.json()["error"]["param"] == param
    assert str(r.json()["error"]["code"]) == str(status)
