"""Response compression: NiceGUI's gzip for pages, scripts and JSON, never for stored files.

An uploaded file is sent as it was stored. Compressing it gains little (pictures, video, PDFs and archives are
compressed already) and costs the server a core: at gzip's level 9 a 50 MB download ran at about 48 MB/s
(bench/files.py), against several hundred without it. Byte ranges stay exact too.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Receive, Scope, Send

from portal_app.file_links import STORED_FILE_PATH


class PagesOnlyGZip(GZipMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and STORED_FILE_PATH.match(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
