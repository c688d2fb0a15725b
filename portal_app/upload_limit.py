"""A cap on request bodies, so that no upload can fill the disk: Starlette spools a multipart file to a temporary
file as it parses, before any handler (or the organization's own, smaller limit) can look at it.

The cap is the largest file any organization may allow (services.files.uploads.MAX_LIMIT_MB) plus 1 MiB for the
multipart framing. A request that declares a longer Content-Length is answered 413 before a byte is read; one
streamed without a length is cut off with 413 once that many bytes have arrived. No route of the app takes a
bigger body, so the cap applies to every request: the API's uploads and NiceGUI's upload route
(`/_nicegui/client/{client}/upload/{element}`) alike, and any that come later.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.files import uploads

OVERHEAD = 1024 * 1024  # multipart boundaries and part headers around the file


def max_body() -> int:
    # Read on each request: the constant is the one place the limit is set (tests lower it).
    return uploads.MAX_LIMIT_MB * uploads.MEGABYTE + OVERHEAD


class _Cut(Exception):
    """Raised from `receive` past the cap: whatever the app was doing with the body stops there."""


def _message(limit: int) -> bytes:
    mb = (limit - OVERHEAD) // uploads.MEGABYTE
    return json.dumps({"detail": f"The upload is too large: no file may be larger than {mb} MB."}).encode()


async def _refuse(send: Send, limit: int) -> None:
    body = _message(limit)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Pure ASGI: counts the body as the app reads it, and answers 413 in the app's place past the cap."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = max_body()
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        received = 0
        cut = False
        started = False

        async def counted() -> Message:
            nonlocal received, cut
            if cut:
                raise _Cut()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    cut = True
                    raise _Cut()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if cut:
                return  # the app's answer to the broken body (a 400 or 500) gives way to the 413 below
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except _Cut:
            pass
        except Exception:
            if not cut:
                raise
        if cut and not started:
            await _refuse(send, limit)
