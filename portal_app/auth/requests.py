"""What a request says about its sender."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import HTTPConnection


def client_ip(conn: HTTPConnection) -> str:
    """The peer address. Behind a proxy, run uvicorn with --forwarded-allow-ips so this is the real client."""
    return conn.client.host if conn.client else ""


def user_agent(conn: HTTPConnection) -> str:
    return conn.headers.get("user-agent", "")[:400]


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: no scheme, no host, no protocol-relative `//evil` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
