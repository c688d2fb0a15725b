"""Settings from PORTAL_* environment variables (and an optional .env file)."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DEFAULT_PORTS = {"http": 80, "https": 443}
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}  # noqa: S104 (naming it, not binding)


def listening_url(host: str, port: int) -> str:
    """The http address of `serve` on `host`:`port`; listening on every interface, the loopback one."""
    shown = _ANY_ADDRESS.get(host, f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", env_file=".env", extra="ignore")

    var_dir: Path = Path("var")
    database_url: str = ""
    base_url: str = ""  # empty: where `serve` listens (see `_base_url_defaults_to_where_it_listens`)
    secret_key: str = ""
    # Comma-separated secret keys used before PORTAL_SECRET_KEY: stored files whose keys they wrapped still open
    # until `python main.py rotate-file-keys` has rewrapped them under the current one.
    previous_secret_keys: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    smtp_url: str = ""
    mail_from: str = "Portico <no-reply@localhost>"
    storage_url: str = ""
    s3_endpoint_url: str = ""
    # Server-side encryption every S3 put asks for: AES256 (SSE-S3), aws:kms (with the bucket's key or
    # PORTAL_S3_SSE_KMS_KEY_ID), or empty for an S3-compatible store that has none.
    s3_sse: str = "AES256"
    s3_sse_kms_key_id: str = ""
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    # Stripe Connect (SPEC §16): the signing secret of the endpoint for connected accounts' events, and direct
    # mode, where the one organization of an install is paid into the platform's own account.
    stripe_connect_webhook_secret: str = ""
    stripe_direct: bool = False
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    timezone: str = "UTC"
    # Runs APScheduler jobs inside `serve`; tests switch it off and call jobs directly. With several `serve`
    # processes, either each runs them (a job runs once per interval across all: a PostgreSQL lock), or they are
    # switched off on the web processes and one `python main.py worker` runs them.
    scheduler_enabled: bool = True
    # Shared state (rate limits, sign-in tickets) and live changes across processes go through Redis when set;
    # otherwise through the database (and PostgreSQL LISTEN/NOTIFY).
    redis_url: str = ""
    # The garbage collector set for serving many open pages (portal_app/collector.py); off only to measure it.
    gc_tuning: bool = True

    @field_validator("base_url")
    @classmethod
    def _base_url_is_absolute(cls, value: str) -> str:
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("PORTAL_BASE_URL must be an absolute http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _base_url_defaults_to_where_it_listens(self) -> Settings:
        """Links in mail and pages then work on any PORTAL_PORT without setting the base URL too."""
        if not self.base_url:
            self.base_url = listening_url(self.host, self.port)
        return self

    def base_url_mismatch(self) -> str:
        """A one-line notice when links point elsewhere than where `serve` listens (expected behind a proxy)."""
        base, listening = urlsplit(self.base_url), urlsplit(listening_url(self.host, self.port))
        if (base.hostname, base.port or _DEFAULT_PORTS[base.scheme]) == (listening.hostname, listening.port):
            return ""
        return (
            f"Links point at PORTAL_BASE_URL {self.base_url}, not at {listening.geturl()} where Portico listens: "
            "right behind a proxy that forwards there, otherwise links will not reach this server."
        )

    @field_validator("timezone")
    @classmethod
    def _timezone_exists(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        ZoneInfo(value)  # raises for an unknown zone, at start-up rather than at the first date
        return value

    @cached_property
    def resolved_database_url(self) -> str:
        """The async SQLAlchemy URL: SQLite under var/ by default; postgresql:// gets the psycopg driver."""
        url = self.database_url or f"sqlite+aiosqlite:///{self.var_dir / 'portico.db'}"
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
            url = "sqlite+aiosqlite://" + url[len("sqlite://") :]
        return url

    @cached_property
    def resolved_secret_key(self) -> str:
        """PORTAL_SECRET_KEY, or one generated once and kept in var/secret_key (never a built-in default)."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key

    @property
    def previous_secret_key_list(self) -> tuple[str, ...]:
        return tuple(key.strip() for key in self.previous_secret_keys.split(",") if key.strip())

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"

    @property
    def files_dir(self) -> Path:
        return self.var_dir / "files"

    @property
    def stripe_configured(self) -> bool:
        return bool(self.stripe_secret_key)

    @property
    def oidc_configured(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
