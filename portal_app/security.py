"""Response headers every answer carries: a Content-Security-Policy, HSTS on https, and the usual hardening.

NiceGUI pages bootstrap with inline scripts whose text differs per page (the page's elements are in one of
them), so the policy allows exactly those scripts by their SHA-256, computed from the HTML as it leaves:
any other inline script (one injected into the page) stays blocked. Vue compiles NiceGUI's component
templates at run time and NiceGUI runs `run_javascript` and event handlers through `eval`, which needs
'unsafe-eval'; Quasar and Tailwind style elements inline, which needs 'unsafe-inline' for styles only.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000")  # a year; never sent over http
# What is not a page (JSON, PDFs, files, scripts) may load nothing and be framed nowhere.
NOT_A_PAGE_POLICY = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# The API's documentation page loads Swagger UI from its CDN, as FastAPI serves it.
DOCS_SOURCES = {"/api/docs": "https://cdn.jsdelivr.net"}

# Inline scripts: a <script> start tag without a src attribute, and its text up to the first </script.
# The HTML tokenizer ends a script there too; NiceGUI escapes "<" inside the page data, so nothing earlier can.
_INLINE_SCRIPT = re.compile(rb"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script", re.IGNORECASE | re.DOTALL)


def script_hashes(html: bytes) -> list[str]:
    """CSP source expressions for each inline script of an HTML document, in order, without repeats."""
    seen: dict[str, None] = {}
    for match in _INLINE_SCRIPT.finditer(html):
        digest = base64.b64encode(hashlib.sha256(match.group(1)).digest()).decode()
        seen[f"'sha256-{digest}'"] = None
    return list(seen)


_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def page_policy(html: bytes, *, host: str, https: bool, extra_sources: str = "") -> str:
    # 'self' covers same-origin websockets in current browsers; the explicit origin is for older ones. The Host
    # header is the sender's to choose, so only a plain host[:port] is written into the policy.
    sockets = f"{'wss' if https else 'ws'}://{host}" if _HOST.fullmatch(host) else ""
    scripts = " ".join(["'self'", "'unsafe-eval'", *script_hashes(html), extra_sources]).strip()
    styles = " ".join(["'self'", "'unsafe-inline'", extra_sources]).strip()
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            f"style-src {styles}",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "media-src 'self' blob:",
            f"connect-src 'self' {sockets}".strip(),
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ]
    )


class SecurityHeaders:
    """Pure ASGI (not BaseHTTPMiddleware): streamed responses and websockets pass untouched.

    Only an HTML answer is held until its body is complete, to hash its scripts; a response that brings its
    own policy (the logo route's) keeps it.
    """

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        body: list[bytes] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = Headers(raw=message.get("headers", []))
                message["headers"] = self._static(message.get("headers", []))
                if "content-security-policy" in headers:
                    await send(message)
                elif headers.get("content-type", "").startswith("text/html"):
                    held = message
                else:
                    message["headers"].append((b"content-security-policy", NOT_A_PAGE_POLICY))
                    await send(message)
                return
            if message["type"] == "http.response.body" and held is not None:
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                html = b"".join(body)
                policy = page_policy(
                    html,
                    host=Headers(scope=scope).get("host", ""),
                    https=self.https,
                    extra_sources=DOCS_SOURCES.get(scope["path"], ""),
                )
                held["headers"].append((b"content-security-policy", policy.encode()))
                await send(held)
                await send({"type": "http.response.body", "body": html, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _static(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in headers}
        extra = [*HEADERS, HSTS] if self.https else HEADERS
        return [*headers, *(h for h in extra if h[0] not in present)]
