"""The few settings services need: the public base URL (links in mail), the secret key (HMACs, and the key that
wraps stored files' keys, with the previous secret keys that may still have wrapped some), the time zone
a new organization starts in (each organization may change its own in Settings) and Redis, when processes share
state through it."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    base_url: str = "http://127.0.0.1:8080"
    secret_key: str = ""
    # Secret keys used before the current one: files whose data keys they wrapped still open (rotate-file-keys
    # rewraps them under the current one, after which they may go).
    previous_secret_keys: tuple[str, ...] = ()
    default_timezone: str = "UTC"
    redis_url: str = ""  # shared state and live changes across processes through Redis (else the database)


_config = ServiceConfig()


def configure(config: ServiceConfig) -> None:
    global _config
    _config = config


def get() -> ServiceConfig:
    return _config


def keyed_hash(*parts: str) -> str:
    """HMAC-SHA-256 under the secret key: for short secrets (6-digit codes) that a plain hash would not protect."""
    if not _config.secret_key:
        raise RuntimeError("services.config.configure() needs a secret key")
    return hmac.new(_config.secret_key.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()
