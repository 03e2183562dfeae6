"""What a server process is configured with: one frozen dataclass, from flags or the environment.

Secrets never travel in the config itself: the admin key comes from ``$AUDIOSQUEEZE_ADMIN_KEY``
and the upstream's key from ``$AUDIOSQUEEZE_UPSTREAM_KEY`` (so neither shows in ``ps``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from ..errors import OptionsError

#: Environment variable the ``serve`` command hands the config to its worker processes in.
CONFIG_ENV = "AUDIOSQUEEZE_SERVER_CONFIG"
ADMIN_KEY_ENV = "AUDIOSQUEEZE_ADMIN_KEY"
UPSTREAM_KEY_ENV = "AUDIOSQUEEZE_UPSTREAM_KEY"


def default_data_dir() -> Path:
    """``$AUDIOSQUEEZE_DATA_DIR``, else ``$XDG_DATA_HOME/audiosqueeze`` (~/.local/share)."""
    env = os.environ.get("AUDIOSQUEEZE_DATA_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "audiosqueeze"


@dataclass(frozen=True)
class ServerConfig:
    """Settings of one service; units in the names.

    ``db_url``: SQLAlchemy URL; ``None`` means SQLite (WAL) at ``data_dir/audiosqueeze.db``.
    ``asr``: the embedded recogniser's name for ``load_asr`` (``"none"`` to run without one);
    ignored when ``upstream_url`` is set (an OpenAI-compatible ``.../v1`` base URL).
    ``rate_limit_per_minute``: requests per key per minute (0 = no limit), per process.
    ``compute_threads``: how many CPU-bound requests run at once (0 = one per core).
    ``body_timeout_s``: how long a client may pause while sending a body before it gets 408.
    """

    data_dir: Path = dataclasses.field(default_factory=default_data_dir)
    db_url: str | None = None
    auth: bool = True
    asr: str = "whisper-tiny.en"
    upstream_url: str | None = None
    upstream_model: str | None = None
    upstream_timeout_s: float = 120.0
    vad: str = "silero"
    max_upload_bytes: int = 25 * 1024 * 1024
    max_audio_s: float = 3 * 3600.0
    rate_limit_per_minute: int = 120
    compute_threads: int = 0
    session_hours: float = 12.0
    body_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if self.max_upload_bytes <= 0:
            raise OptionsError(f"max_upload_bytes must be > 0, got {self.max_upload_bytes!r}")
        if not self.max_audio_s > 0:
            raise OptionsError(f"max_audio_s must be > 0, got {self.max_audio_s!r}")
        if self.rate_limit_per_minute < 0:
            raise OptionsError(
                f"rate_limit_per_minute must be >= 0, got {self.rate_limit_per_minute!r}"
            )
        if self.compute_threads < 0:
            raise OptionsError(f"compute_threads must be >= 0, got {self.compute_threads!r}")
        if not self.body_timeout_s > 0:
            raise OptionsError(f"body_timeout_s must be > 0, got {self.body_timeout_s!r}")
        if self.vad not in ("silero", "webrtc", "energy"):
            raise OptionsError(f"vad must be silero, webrtc or energy, got {self.vad!r}")
        if self.asr != "none":  # a misspelt name fails here; a missing model only warns
            from ..asr import asr_name

            asr_name(self.asr)
        if self.upstream_url is not None:
            parts = urllib.parse.urlsplit(str(self.upstream_url))
            if parts.scheme not in ("http", "https") or not parts.hostname:
                shown = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
                raise OptionsError(
                    f"the upstream must be an http:// or https:// base URL (…/v1), got {shown!r}"
                )

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'audiosqueeze.db'}"

    @property
    def threads(self) -> int:
        return self.compute_threads or (os.cpu_count() or 1)

    def to_json(self) -> str:
        d = dataclasses.asdict(self)
        d["data_dir"] = str(self.data_dir)
        return json.dumps(d)

    @classmethod
    def from_json(cls, text: str) -> ServerConfig:
        return cls(**json.loads(text))

    @classmethod
    def from_env(cls) -> ServerConfig:
        """The config ``serve`` put in ``$AUDIOSQUEEZE_SERVER_CONFIG`` (defaults if unset)."""
        text = os.environ.get(CONFIG_ENV)
        return cls.from_json(text) if text else cls()


def admin_key() -> str | None:
    """The admin key from the environment; one shorter than 24 characters is refused."""
    key = os.environ.get(ADMIN_KEY_ENV) or None
    if key is not None and len(key) < 24:
        raise OptionsError(f"${ADMIN_KEY_ENV} must be at least 24 characters (got {len(key)})")
    return key
