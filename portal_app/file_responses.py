"""How a stored file goes back out over HTTP: its headers, its bytes streamed, or a presigned S3 redirect.

Shared by the download routes (staff and portal) and the API's `/files/{id}/content`. A file is shown inline only
when asked for (`?inline=1`) and previewable (images, PDF, video); anything else, markup above all, is an
attachment typed application/octet-stream, so no browser renders or sniffs what a user uploaded.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import AsyncIterator
from urllib.parse import quote

from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from services.adapters import storage
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
    chunks = storage.get().read(key)
    try:
        first = await anext(chunks, b"")
    except FileNotFoundError:
        log.warning("the bytes of %s are missing from the store", key)
        raise NotFound("File not found") from None
    except Exception as exc:
        log.warning("reading %s failed: %r", key, exc)
        raise Unavailable(STORE_DOWN) from exc
    return _chained(first, chunks)


async def _chained(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in rest:
        yield chunk


async def stream(download: Download, *, inline_requested: bool = False) -> Response:
    """The bytes through the app (local disk, and the API on any store). Unavailable when the store fails.

    From local disk the answer is Starlette's FileResponse, which serves byte ranges: browsers seek in a video
    (and Safari plays one at all) only with them."""
    inline, content_type = presentation(download, inline_requested=inline_requested)
    store = storage.get()
    if isinstance(store, storage.LocalStorage):
        path = store.path_of(download.key)
        try:
            await asyncio.to_thread(path.stat)
        except FileNotFoundError:
            log.warning("the bytes of %s are missing from the store", download.key)
            raise NotFound("File not found") from None
        except OSError as exc:  # the disk answers, but not with the file (permissions, a broken mount)
            log.warning("reading %s failed: %r", download.key, exc)
            raise Unavailable(STORE_DOWN) from exc
        return FileResponse(path, media_type=content_type, headers=file_headers(download, inline=inline))
    body = await _opened(download.key)
    headers = file_headers(download, inline=inline) | {"Content-Length": str(download.size)}
    return StreamingResponse(body, media_type=content_type, headers=headers)


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
