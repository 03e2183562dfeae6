"""Known answers for the server's config: the library's defaults are the ``serve`` command's
(and the README's), each limit's edge is accepted or refused, and the config survives the trip
through the environment to the worker processes unchanged."""

from __future__ import annotations

import dataclasses
import os

import pytest

from audiosqueeze.errors import OptionsError
from audiosqueeze.server import config as config_mod
from audiosqueeze.server.cli import serve
from audiosqueeze.server.config import CONFIG_ENV, ServerConfig, admin_key


def test_the_defaults_are_the_serve_commands():
    """``create_app()`` with no config (and a worker with no config in its environment) gets
    what ``audiosqueeze serve`` with no flags would set."""
    flags = {p.name: p.default for p in serve.params}
    d = ServerConfig(data_dir="x")
    assert d.max_upload_bytes == int(flags["max_upload_mb"] * 1024 * 1024) == 25 * 2**20
    assert d.max_audio_s == flags["max_audio_s"] == 10800.0
    assert d.rate_limit_per_minute == flags["rate_limit"] == 120
    assert d.compute_threads == flags["threads"] == 0
    assert (d.vad, d.asr) == (flags["vad"], flags["asr"]) and d.auth is True  # --no-auth: off
    assert d.body_timeout_s == 30.0  # the README's "a body that stalls for 30 s"


def test_a_config_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ServerConfig(data_dir="x").auth = False  # type: ignore[misc]


@pytest.mark.parametrize(
    "field, value",
    [
        ("max_upload_bytes", 1),
        ("max_audio_s", 1e-3),
        ("rate_limit_per_minute", 0),
        ("compute_threads", 0),
        ("body_timeout_s", 1e-3),
        ("vad", "webrtc"),
    ],
)
def test_limits_at_their_edge_are_accepted(field, value):
    assert getattr(ServerConfig(data_dir="x", **{field: value}), field) == value


@pytest.mark.parametrize(
    "field, value",
    [
        ("max_upload_bytes", 0),
        ("max_upload_bytes", -1),
        ("max_audio_s", 0.0),
        ("max_audio_s", float("nan")),
        ("rate_limit_per_minute", -1),
        ("compute_threads", -1),
        ("body_timeout_s", 0.0),
        ("body_timeout_s", float("nan")),
        ("vad", "Silero"),
    ],
)
def test_limits_past_their_edge_are_refused(field, value):
    with pytest.raises(OptionsError, match=field.split("_")[0]):
        ServerConfig(data_dir="x", **{field: value})


def test_threads_are_one_per_core_unless_set(monkeypatch):
    assert ServerConfig(data_dir="x", compute_threads=3).threads == 3
    monkeypatch.setattr(config_mod.os, "cpu_count", lambda: 6)
    assert ServerConfig(data_dir="x").threads == 6
    monkeypatch.setattr(config_mod.os, "cpu_count", lambda: None)  # unknown: one
    assert ServerConfig(data_dir="x").threads == 1


def test_the_config_reaches_the_workers_unchanged(monkeypatch, tmp_path):
    c = ServerConfig(
        data_dir=tmp_path,
        db_url="sqlite:///elsewhere.db",
        auth=False,
        asr="none",
        rate_limit_per_minute=7,
        max_upload_bytes=1234,
        vad="energy",
    )
    assert ServerConfig.from_json(c.to_json()) == c
    monkeypatch.setenv(CONFIG_ENV, c.to_json())
    assert ServerConfig.from_env() == c
    monkeypatch.delenv(CONFIG_ENV)
    monkeypatch.setenv("AUDIOSQUEEZE_DATA_DIR", str(tmp_path / "d"))
    assert ServerConfig.from_env() == ServerConfig(data_dir=tmp_path / "d")
    assert ServerConfig.from_env().database_url == f"sqlite:///{tmp_path / 'd' / 'audiosqueeze.db'}"


@pytest.mark.parametrize("n, ok", [(23, False), (24, True), (25, True)])
def test_the_admin_key_needs_24_characters(monkeypatch, n, ok):
    monkeypatch.setenv("AUDIOSQUEEZE_ADMIN_KEY", "k" * n)
    if ok:
        assert admin_key() == "k" * n
    else:
        with pytest.raises(OptionsError, match=f"at least 24 characters \\(got {n}\\)"):
            admin_key()


def test_no_admin_key_is_none(monkeypatch):
    monkeypatch.setenv("AUDIOSQUEEZE_ADMIN_KEY", "")
    assert admin_key() is None
    monkeypatch.delenv("AUDIOSQUEEZE_ADMIN_KEY")
    assert admin_key() is None
    assert os.environ.get("AUDIOSQUEEZE_ADMIN_KEY") is None
