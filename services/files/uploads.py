"""Taking an upload into storage: the name cleaned, the type and size judged on the bytes, nothing left on refusal.

`receive` streams the bytes into the storage adapter under a key made of ids. It reads the first bytes before
writing anything, so a file of a refused type is turned away before a byte is stored; a file past the
organization's limit is cut off while it streams and its partial object is removed by the adapter. The caller
records the row in its own transaction and calls `discard` if that fails, so no object outlives a failed upload
and no row points at bytes that were never stored.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.organizations import Organization
from services.adapters import file_types, storage
from services.core import clock
from services.core.errors import Invalid, ServiceError, Unavailable

log = logging.getLogger("portico.files")

MAX_NAME = 255
MEGABYTE = 1024 * 1024
MAX_LIMIT_MB = 1024  # the most an organization may allow per file
INTERRUPTED = "The upload broke off before the whole file arrived, so nothing was saved. Please upload it again."
STORE_DOWN = "Files cannot be stored right now, so nothing was saved. Try again in a moment."

_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"*:<>?|]+")


@dataclass(frozen=True, slots=True)
class Limits:
    """What one organization accepts: the largest file in bytes, and the sniffed types."""

    max_bytes: int
    allowed: frozenset[str]

    @classmethod
    def of(cls, org: Organization) -> Limits:
        return cls(org.upload_limit_mb * MEGABYTE, file_types.allowed_types(org.allowed_file_kinds))


@dataclass(frozen=True, slots=True)
class Received:
    """An object now in storage, not yet recorded: its id, key and what was measured from its bytes."""

    file_id: uuid.UUID
    key: str
    name: str
    size: int
    sha256: str
    content_type: str


def clean_name(name: str | None) -> str:
    """The name to show and to offer on download: the last path part, without control or reserved characters,
    at most 255 characters (the extension kept). Never used to build a storage key."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _UNSAFE.sub("", text)
    text = " ".join(text.split()).strip(" .")
    if not text:
        return "file"
    if len(text) > MAX_NAME:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 16 and stem:
            text = f"{stem[: MAX_NAME - len(extension) - 1].rstrip()}.{extension}"
        else:
            text = text[:MAX_NAME]
    return text


async def _first_bytes(chunks: AsyncIterator[bytes]) -> bytes:
    """At least file_types.HEAD bytes from the front of the stream (fewer only if the file is shorter)."""
    head = b""
    while len(head) < file_types.HEAD:
        try:
            head += await anext(chunks)
        except StopAsyncIteration:
            break
    return head


async def _replay(head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The head read already, then the rest; a sender that breaks off is an interrupted upload, not a store fault."""
    if head:
        yield head
    try:
        async for chunk in rest:
            yield chunk
    except (OSError, EOFError, ValueError) as exc:
        raise Invalid(INTERRUPTED, "file") from exc


async def receive(
    org_id: uuid.UUID, client_id: uuid.UUID, name: str | None, chunks: AsyncIterable[bytes], limits: Limits
) -> Received:
    """Store an upload's bytes, or refuse it with the reason and store nothing."""
    stream = aiter(chunks)
    head = await _first_bytes(stream)
    if not head:
        raise Invalid("The file is empty.", "file")
    sniffed = file_types.sniff(head)
    file_types.check(sniffed, limits.allowed)
    file_id = uuid.uuid4()
    key = storage.object_key(org_id, client_id, file_id)
    try:
        stored = await storage.get().write(key, _replay(head, stream), max_size=limits.max_bytes)
    except ServiceError:
        raise
    except Exception as exc:  # the store is down or refused: the adapter has removed what it had begun
        log.warning("storing %s failed: %r", key, exc)
        raise Unavailable(STORE_DOWN) from exc
    return Received(file_id, key, clean_name(name), stored.size, stored.sha256, sniffed.content_type)


# A write not finished this long after it began is abandoned: far longer than the largest upload takes.
UNFINISHED_AFTER = timedelta(hours=6)


async def purge_unfinished(now: datetime | None = None) -> int:
    """Drop what abandoned writes left in the store (the `purge` job): parts of a multipart upload the store was
    down to abort, a temporary file of a process killed mid-upload. None of it has a file row."""
    return await storage.get().sweep_unfinished((now or clock.now()) - UNFINISHED_AFTER)


async def discard(key: str) -> None:
    """Remove an object whose row could not be recorded; a failure here is logged, not raised over the first."""
    try:
        await storage.get().delete(key)
    except Exception:
        log.exception("could not remove %s after a failed upload", key)


async def remove(key: str) -> None:
    """Remove a deleted file's object, or refuse while the store is down (the caller keeps the row)."""
    try:
        await storage.get().delete(key)
    except Exception as exc:
        log.warning("deleting %s failed: %r", key, exc)
        raise Unavailable("The file store is not reachable right now, so the file was not deleted. Try again.") from exc
