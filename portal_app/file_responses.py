"""How a stored file goes back out over HTTP: its headers, its bytes streamed, or a presigned S3 redirect.

Shared by the download routes (staff and portal) and the API's `/files/{id}/content`. A file is shown inline only
when asked for (`?inline=1`) and previewable (images, PDF, video); anything else, markup above all, is an
attachment typed application/octet-stream, so no browser renders or sniffs what a user uploaded.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from fastapi.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from services.adapters import storage
from services.adapters.file_crypto import DAMAGED as DAMAGED  # what a damaged file's download says
from services.adapters.file_types import OCTET_STREAM
from services.core.errors import NotFound, Unavailable
from services.files.files import Download

log = logging.getLogger("portico.files")

STORE_DOWN = "The file store is not reachable right now. Try again in a moment."
PRESIGNED_SECONDS = 60
# Bodies users uploaded: sandboxed (no script, no same-origin), loading nothing. Inline previews may be framed by
# our own pages; attachments by none.
INLINE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'"
# Chrome refuses to run its PDF viewer in a sandboxed document: a PDF preview (its type checked on the bytes) goes
# without the sandbox, still loading nothing and framed by our own pages only.
PDF_INLINE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
ATTACHMENT_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'"
MAX_FALLBACK = 150  # characters of the ASCII name: old clients choke on long quoted names

# What may stand in the quoted ASCII fallback as it is; everything else (quotes, backslashes, control characters,
# path separators, non-ASCII left after decomposition) becomes "_".
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9 !#$&'()+,.;=@\[\]^_`{}~-]")


def ascii_name(name: str) -> str:
    """The `filename="..."` fallback: accents dropped (é -> e), anything unsafe in a quoted string replaced."""
    decomposed = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = _NOT_PLAIN.sub("_", text).strip(" .")
    if len(text) > MAX_FALLBACK:
        stem, dot, extension = text.rpartition(".")
        keep = dot and 0 < len(extension) <= 16 and stem
        text = f"{stem[: MAX_FALLBACK - len(extension) - 1]}.{extension}" if keep else text[:MAX_FALLBACK]
    return text or "download"


def content_disposition(name: str, *, inline: bool = False) -> str:
    """RFC 6266: a safe ASCII `filename` for old clients and the exact name as UTF-8 `filename*` (RFC 8187)."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def presentation(download: Download, *, inline_requested: bool) -> tuple[bool, str]:
    """Whether the file is shown inline, and the type it is sent as."""
    inline = inline_requested and download.previewable
    return inline, download.content_type if download.previewable else OCTET_STREAM


def _policy(download: Download, *, inline: bool) -> str:
    if not inline:
        return ATTACHMENT_POLICY
    return PDF_INLINE_POLICY if download.content_type == "application/pdf" else INLINE_POLICY


def file_headers(download: Download, *, inline: bool) -> dict[str, str]:
    return {
        "Content-Disposition": content_disposition(download.name, inline=inline),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        "Content-Security-Policy": _policy(download, inline=inline),
        # The portal's preview may frame a PDF; the security middleware would otherwise deny every frame.
        "X-Frame-Options": "SAMEORIGIN" if inline else "DENY",
        "Referrer-Policy": "no-referrer",
    }


async def _opened(key: str) -> AsyncIterator[bytes]:
    """The object's chunks, the first already read: a store that is down fails here, before any header is sent."""
    try:
        started = await _started(storage.get().read(key), key)
    except FileNotFoundError:
        log.warning("the bytes of %s are missing from the store", key)
        raise NotFound("File not found") from None
    except Exception as exc:
        log.warning("reading %s failed: %r", key, exc)
        raise Unavailable(STORE_DOWN) from exc
    return started.chunks()


async def stream(download: Download, *, inline_requested: bool = False) -> Response:
    """The bytes through the app (local disk, and the API on any store). Unavailable when the store fails;
    storage.Corrupt when a local file is damaged (found before any header is sent as far as it can be)."""
    inline, content_type = presentation(download, inline_requested=inline_requested)
    headers = file_headers(download, inline=inline)
    store = storage.get()
    if isinstance(store, storage.LocalStorage):
        size, whole = await _opened_local(store, download)
        return DecryptedFileResponse(store, download.key, size, whole, media_type=content_type, headers=headers)
    body = await _opened(download.key)
    return StreamingResponse(body, media_type=content_type, headers=headers | {"Content-Length": str(download.size)})


async def _opened_local(store: storage.LocalStorage, download: Download) -> tuple[int, _Started]:
    """The local file's plaintext size and its bytes with the first chunk decrypted: a missing file, a disk that
    fails, a key that does not unwrap or a first chunk that does not authenticate all fail here."""
    try:
        size = await store.size(download.key)
        if size != download.size:  # a cut object, or one whose header was mangled into "plaintext from before"
            raise storage.Corrupt(f"{size} bytes where {download.size} were stored")
        return size, await _started(store.read(download.key), download.key)
    except FileNotFoundError:
        log.warning("the bytes of %s are missing from the store", download.key)
        raise NotFound("File not found") from None
    except storage.Corrupt as exc:
        log.error("the stored bytes of %s are damaged: %s", download.key, exc.detail)
        raise
    except OSError as exc:  # the disk answers, but not with the file (permissions, a broken mount)
        log.warning("reading %s failed: %r", download.key, exc)
        raise Unavailable(STORE_DOWN) from exc


@dataclass(slots=True)
class _Started:
    """A read whose first chunk is in hand (so it was read and authenticated), the rest still to come."""

    first: bytes
    rest: AsyncGenerator[bytes, None]
    key: str = ""

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            if self.first:
                yield self.first
            async for chunk in self.rest:
                yield chunk
        except storage.Corrupt as exc:  # past the headers: the answer is cut short, its length tells the client
            log.error("the stored bytes of %s are damaged: %s", self.key, exc.detail)
            raise
        finally:
            await self.rest.aclose()


async def _started(chunks: AsyncGenerator[bytes, None], key: str = "") -> _Started:
    try:
        first = await anext(chunks, b"")
    except BaseException:
        await chunks.aclose()
        raise
    return _Started(first, chunks, key)


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
UNSATISFIABLE = (-1, -1)


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one byte range `header` asks for, as (first, last) inclusive and within the file; UNSATISFIABLE when
    it lies past the end; None to send the whole file: no Range, or one not served (another unit, several
    ranges, bad syntax), which HTTP allows a server to ignore."""
    found = _RANGE.fullmatch((header or "").replace(" ", ""))
    if found is None or found.group(1) == found.group(2) == "":
        return None
    first, last = found.group(1), found.group(2)
    if not first:  # a suffix: the last N bytes
        wanted = int(last)
        return (max(size - wanted, 0), size - 1) if wanted > 0 and size > 0 else UNSATISFIABLE
    start, stop = int(first), int(last) if last else size - 1
    if last and stop < start:
        return None
    return (start, min(stop, size - 1)) if start < size else UNSATISFIABLE


class DecryptedFileResponse(StreamingResponse):
    """A local file decrypted while it streams, answering one byte range as FileResponse does (206 and
    Content-Range, 416 past the end): browsers seek in a video (and Safari plays one at all) only with ranges.
    A range decrypts only the chunks that hold it; its first chunk is checked before the headers go out."""

    def __init__(
        self,
        store: storage.LocalStorage,
        key: str,
        size: int,
        whole: _Started,
        *,
        media_type: str,
        headers: Mapping[str, str],
    ) -> None:
        whole.key = key
        super().__init__(
            whole.chunks(),
            media_type=media_type,
            headers={**headers, "Accept-Ranges": "bytes", "Content-Length": str(size)},
        )
        self.store, self.key, self.size, self.whole = store, key, size, whole

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked = Headers(scope=scope)
        # Without validators (no ETag, no Last-Modified) an If-Range never matches: the whole file, as HTTP says.
        wanted = None if "if-range" in asked else byte_range(asked.get("range"), self.size)
        if wanted is None:
            await super().__call__(scope, receive, send)
            return
        await self.whole.rest.aclose()
        refusal = await self._ranged(wanted)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _ranged(self, wanted: tuple[int, int]) -> Response | None:
        """Sets this response up for the range `wanted`, or returns what to answer instead."""
        safe = {k: v for k, v in self.headers.items() if k not in ("content-length", "content-type")}
        if wanted == UNSATISFIABLE:
            return Response(status_code=416, headers=safe | {"Content-Range": f"bytes */{self.size}"})
        first, last = wanted
        try:
            part = await _started(self.store.read(self.key, first, last + 1), self.key)
        except storage.Corrupt as exc:
            log.error("the stored bytes of %s are damaged: %s", self.key, exc.detail)
            return PlainTextResponse(DAMAGED, status_code=500, headers=_without_disposition(safe))
        except OSError as exc:  # gone or unreadable since the headers were decided
            log.warning("reading %s failed: %r", self.key, exc)
            return PlainTextResponse(STORE_DOWN, status_code=503, headers=_without_disposition(safe))
        self.body_iterator = part.chunks()
        self.status_code = 206
        self.headers["Content-Range"] = f"bytes {first}-{last}/{self.size}"
        self.headers["Content-Length"] = str(last - first + 1)
        return None


def _without_disposition(headers: dict[str, str]) -> dict[str, str]:
    """An error page is not the file: no attachment name, nothing to save."""
    return {k: v for k, v in headers.items() if k != "content-disposition"}


async def send(download: Download, *, inline_requested: bool = False) -> Response:
    """What a browser gets: a 302 to a 60-second presigned URL where the store makes one (S3), else the bytes.

    The object is looked for first, so a store that is down answers with a clear error, not a broken redirect."""
    inline, content_type = presentation(download, inline_requested=inline_requested)
    store = storage.get()
    disposition = content_disposition(download.name, inline=inline)
    try:
        url = store.download_url(
            download.key, disposition=disposition, content_type=content_type, seconds=PRESIGNED_SECONDS
        )
        if url is not None and not await store.exists(download.key):
            log.warning("the bytes of %s are missing from the store", download.key)
            raise NotFound("File not found")
    except NotFound:
        raise
    except Exception as exc:
        log.warning("looking for %s failed: %r", download.key, exc)
        raise Unavailable(STORE_DOWN) from exc
    if url is None:
        return await stream(download, inline_requested=inline_requested)
    headers = file_headers(download, inline=inline)
    return RedirectResponse(url, status_code=302, headers=headers)
