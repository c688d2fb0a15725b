"""Where uploaded files' bytes live: local disk (default, under var/files) or S3 and S3-compatible stores (boto3).

`PORTAL_STORAGE_URL` picks the back end: empty or `file:///path` is a directory, `s3://bucket/prefix` a bucket
(`PORTAL_S3_ENDPOINT_URL` for MinIO and the like; credentials from the usual AWS variables). Keys are built by
`object_key` from ids alone (`org/<org>/client/<client>/<file>`), never from a user's file name. Both back ends
stream: a write takes chunks as they arrive (hashing and counting them, refusing past a size limit), a read
yields chunks; blocking I/O runs in worker threads. A write that fails or is refused leaves nothing behind.

Both encrypt at rest: the local back end seals each file itself (services.adapters.file_crypto: a per-file key
wrapped under the secret key, AES-GCM in chunks, decrypted while streaming; objects written before that are read as
plaintext until `rotate-file-keys` seals them); S3 puts ask the store for server-side encryption (`PORTAL_S3_SSE`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import urlparse

from services.adapters import file_crypto
from services.adapters.file_crypto import Corrupt as Corrupt  # what a read raises for a damaged object
from services.core.errors import Invalid

log = logging.getLogger("portico.storage")

CHUNK = 256 * 1024  # bytes read at a time
UNFINISHED_PREFIX = ".upload-"  # a local write's temporary file, beside its target until renamed into place
PART = 8 * 1024 * 1024  # S3 multipart part size (S3's minimum is 5 MiB for every part but the last)


def object_key(org_id: uuid.UUID, client_id: uuid.UUID, file_id: uuid.UUID) -> str:
    return f"org/{org_id}/client/{client_id}/{file_id}"


@dataclass(frozen=True, slots=True)
class Stored:
    """What a write stored: its size and SHA-256, counted from the bytes themselves."""

    size: int
    sha256: str


class TooLarge(Invalid):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The file is larger than the limit of {limit // (1024 * 1024)} MB.", "file")


class Storage(Protocol):
    async def write(self, key: str, chunks: AsyncIterable[bytes], *, max_size: int) -> Stored: ...

    def read(self, key: str) -> AsyncGenerator[bytes, None]: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    def download_url(self, key: str, *, disposition: str, content_type: str, seconds: int = 60) -> str | None:
        """A short-lived URL the browser can fetch the bytes from directly, or None: stream them instead."""
        ...

    async def sweep_unfinished(self, started_before: datetime) -> int:
        """Remove what writes begun before `started_before` left unfinished: a process killed mid-write, or a
        store that went away before a failed write could be cleaned up. Returns how many were removed."""
        ...


class _Counter:
    """Size and SHA-256 of what went through, refusing past `max_size`."""

    def __init__(self, max_size: int) -> None:
        self.max_size, self.size, self.hash = max_size, 0, hashlib.sha256()

    def take(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_size:
            raise TooLarge(self.max_size)
        self.hash.update(chunk)

    def stored(self) -> Stored:
        return Stored(self.size, self.hash.hexdigest())


class LocalStorage:
    """Files under a directory, each sealed (file_crypto); a write goes to a temporary file beside its target and
    is renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, key: str) -> Path:
        """Where the object of `key` lives (its ciphertext); never outside the root."""
        return self._path(key)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key outside the storage root: {key!r}")
        return path

    async def write(self, key: str, chunks: AsyncIterable[bytes], *, max_size: int) -> Stored:
        path = self._path(key)
        encryptor = file_crypto.Encryptor(file_crypto.keyring().current)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        descriptor, temporary = await asyncio.to_thread(tempfile.mkstemp, dir=path.parent, prefix=UNFINISHED_PREFIX)
        counter = _Counter(max_size)
        try:
            with os.fdopen(descriptor, "wb") as out:
                await asyncio.to_thread(out.write, encryptor.header)
                async for chunk in chunks:
                    counter.take(chunk)
                    await asyncio.to_thread(_write_all, out, encryptor.feed(chunk))  # sealed in the thread too
                await asyncio.to_thread(out.write, encryptor.finish())
            await asyncio.to_thread(os.replace, temporary, path)
        except BaseException:
            await asyncio.to_thread(Path(temporary).unlink, missing_ok=True)
            raise
        return counter.stored()

    async def size(self, key: str) -> int:
        """The plaintext size of the object: FileNotFoundError when there is none, Corrupt when it is damaged."""

        def measure() -> int:
            with self._path(key).open("rb") as handle:
                return _LocalObject(handle, file_crypto.keyring()).size

        return await asyncio.to_thread(measure)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncGenerator[bytes, None]:
        """The plaintext from `start` up to `end` (exclusive; None: to the end), decrypting only the chunks that
        hold it, one at a time. A chunk that fails authentication raises Corrupt before any of it is yielded."""
        handle = await asyncio.to_thread(self._path(key).open, "rb")
        try:
            stored = await asyncio.to_thread(_LocalObject, handle, file_crypto.keyring())
            end = stored.size if end is None else min(end, stored.size)
            async for piece in stored.pieces(max(start, 0), end):
                yield piece
        finally:
            await asyncio.to_thread(handle.close)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    def download_url(self, key: str, *, disposition: str, content_type: str, seconds: int = 60) -> str | None:
        return None  # the app streams (and decrypts) local files itself

    async def sweep_unfinished(self, started_before: datetime) -> int:
        def sweep() -> int:
            if not self.root.is_dir():
                return 0
            removed = 0
            for path in self.root.rglob(f"{UNFINISHED_PREFIX}*"):
                with contextlib.suppress(FileNotFoundError):  # finished or removed meanwhile
                    if path.is_file() and path.stat().st_mtime < started_before.timestamp():
                        path.unlink()
                        removed += 1
            return removed

        return await asyncio.to_thread(sweep)

    async def rotate_keys(self) -> file_crypto.Rotation:
        """Every object under the current secret key: data keys wrapped under a previous one rewrapped (the
        chunks copied as they are), plaintext objects from before encryption sealed. Damaged objects are left
        as they are and counted."""

        def rotate() -> file_crypto.Rotation:
            ring, done = file_crypto.keyring(), file_crypto.Rotation()
            if not self.root.is_dir():
                return done
            for path in sorted(self.root.rglob("*")):
                if path.name.startswith(UNFINISHED_PREFIX) or not path.is_file():
                    continue
                try:
                    done.count(file_crypto.reseal(path, ring, prefix=UNFINISHED_PREFIX))
                except FileNotFoundError:  # deleted meanwhile
                    continue
                except Corrupt as exc:
                    log.warning("not rotating %s: %s", path.relative_to(self.root), exc.detail)
                    done.damaged += 1
            return done

        return await asyncio.to_thread(rotate)


def _write_all(out: BinaryIO, pieces: Iterable[bytes]) -> None:
    for piece in pieces:
        out.write(piece)


class _LocalObject:
    """An open local object: its plaintext size, and its plaintext read by ranges, sealed or from before."""

    def __init__(self, handle: BinaryIO, ring: file_crypto.Keyring) -> None:
        self.handle = handle
        self.sealed = file_crypto.parse_header(handle.read(file_crypto.HEADER_SIZE), ring)
        object_size = os.fstat(handle.fileno()).st_size
        if self.sealed is None:
            self.count, self.size = 0, object_size
        else:
            self.count, self.size = self.sealed.chunk_count(object_size), self.sealed.plain_size(object_size)

    def chunk(self, index: int) -> bytes:
        assert self.sealed is not None
        self.handle.seek(self.sealed.offset(index))
        return self.sealed.open(index, self.handle.read(self.sealed.sealed_chunk), last=index == self.count - 1)

    def plain(self, start: int, length: int) -> bytes:
        self.handle.seek(start)
        return self.handle.read(length)

    async def pieces(self, start: int, end: int) -> AsyncIterator[bytes]:
        if self.sealed is None:
            for at in range(start, end, CHUNK):
                yield await asyncio.to_thread(self.plain, at, min(CHUNK, end - at))
            return
        size = self.sealed.chunk_size
        if self.size == 0:  # the one (empty) chunk is checked all the same: an empty file is authenticated too
            await asyncio.to_thread(self.chunk, 0)
        if start >= end:
            return
        for index in range(start // size, -(-end // size)):
            plain = await asyncio.to_thread(self.chunk, index)
            base = index * size
            yield plain[max(start - base, 0) : end - base]


class S3Storage:
    """Objects in an S3 bucket under a prefix; large writes go up as a multipart upload, aborted on failure."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str = "",
        client: Any = None,
        *,
        server_side_encryption: str = "AES256",
        kms_key_id: str = "",
    ) -> None:
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.encryption = _server_side_encryption(server_side_encryption, kms_key_id)
        if client is None:
            import boto3  # imported when S3 is configured: local-disk installs never pay for it

            client = boto3.client("s3", endpoint_url=endpoint_url or None)
        self.client = client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    async def write(self, key: str, chunks: AsyncIterable[bytes], *, max_size: int) -> Stored:
        counter, buffer, upload_id = _Counter(max_size), bytearray(), None
        parts: list[dict[str, Any]] = []
        # One part goes up while the next is read in: the sender and the store work at the same time, and at most
        # two parts (16 MiB) are held in memory.
        sending: asyncio.Task[dict[str, Any]] | None = None
        name = self._key(key)
        try:
            async for chunk in chunks:
                counter.take(chunk)
                buffer += chunk
                if len(buffer) >= PART:
                    if upload_id is None:
                        started = await asyncio.to_thread(
                            self.client.create_multipart_upload, Bucket=self.bucket, Key=name, **self.encryption
                        )
                        upload_id = started["UploadId"]
                    if sending is not None:
                        parts.append(await sending)
                    number = len(parts) + 1
                    sending = asyncio.create_task(self._part(name, upload_id, number, bytes(buffer)))
                    buffer.clear()
            if upload_id is None:
                await asyncio.to_thread(
                    self.client.put_object, Bucket=self.bucket, Key=name, Body=bytes(buffer), **self.encryption
                )
            else:
                if sending is not None:
                    parts.append(await sending)
                    sending = None
                if buffer:
                    parts.append(await self._part(name, upload_id, len(parts) + 1, bytes(buffer)))
                await asyncio.to_thread(
                    self.client.complete_multipart_upload,
                    Bucket=self.bucket,
                    Key=name,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            if sending is not None:  # the part in flight finishes or fails first: an abort must come after it
                await asyncio.gather(sending, return_exceptions=True)
            if upload_id is not None:  # nothing half-stored: the parts sent so far are dropped
                try:
                    await asyncio.to_thread(
                        self.client.abort_multipart_upload, Bucket=self.bucket, Key=name, UploadId=upload_id
                    )
                except Exception:  # the store went away: the `purge` job's sweep drops the parts later
                    log.warning("could not abort the upload of %s; it is swept later", name, exc_info=True)
            raise
        return counter.stored()

    async def _part(self, name: str, upload_id: str, number: int, body: bytes) -> dict[str, Any]:
        sent = await asyncio.to_thread(
            self.client.upload_part, Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=body
        )
        return {"PartNumber": number, "ETag": sent["ETag"]}

    async def read(self, key: str) -> AsyncGenerator[bytes, None]:
        found = await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=self._key(key))
        body = found["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK):
                yield chunk
        finally:
            await asyncio.to_thread(body.close)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self._key(key))

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    async def sweep_unfinished(self, started_before: datetime) -> int:
        removed = 0
        prefix = f"{self.prefix}/" if self.prefix else ""
        paginator = self.client.get_paginator("list_multipart_uploads")
        pages = await asyncio.to_thread(lambda: list(paginator.paginate(Bucket=self.bucket, Prefix=prefix)))
        for page in pages:
            for upload in page.get("Uploads", []):
                if upload["Initiated"] < started_before:
                    await asyncio.to_thread(
                        self.client.abort_multipart_upload,
                        Bucket=self.bucket,
                        Key=upload["Key"],
                        UploadId=upload["UploadId"],
                    )
                    removed += 1
        return removed

    def download_url(self, key: str, *, disposition: str, content_type: str, seconds: int = 60) -> str | None:
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._key(key),
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type,
            },
            ExpiresIn=seconds,
        )
        return url


SERVER_SIDE_ENCRYPTION = ("AES256", "aws:kms", "")


def _server_side_encryption(kind: str, kms_key_id: str) -> dict[str, str]:
    """The arguments a put asks the store's encryption with: SSE-S3 (AES256, the default), SSE-KMS with the
    bucket's or the given key, or none ("", for S3-compatible stores without it)."""
    if kind not in SERVER_SIDE_ENCRYPTION:
        raise ValueError(f"PORTAL_S3_SSE must be AES256, aws:kms or empty, not {kind!r}")
    if kms_key_id and kind != "aws:kms":
        raise ValueError("PORTAL_S3_SSE_KMS_KEY_ID needs PORTAL_S3_SSE=aws:kms")
    asked = {"ServerSideEncryption": kind} if kind else {}
    return asked | ({"SSEKMSKeyId": kms_key_id} if kms_key_id else {})


def from_url(
    url: str, *, var_dir: Path, endpoint_url: str = "", server_side_encryption: str = "AES256", kms_key_id: str = ""
) -> Storage:
    """The back end `PORTAL_STORAGE_URL` names; bad input is a clear error at start-up."""
    if not url:
        return LocalStorage(var_dir / "files")
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = Path((parsed.netloc or "") + parsed.path)
        return LocalStorage(path)
    if parsed.scheme == "s3" and parsed.netloc:
        return S3Storage(
            parsed.netloc,
            parsed.path,
            endpoint_url,
            server_side_encryption=server_side_encryption,
            kms_key_id=kms_key_id,
        )
    raise ValueError(f"PORTAL_STORAGE_URL must be file:///path or s3://bucket/prefix, not {url!r}")


_storage: Storage | None = None


def configure(storage: Storage) -> None:
    global _storage
    _storage = storage


def get() -> Storage:
    if _storage is None:
        raise RuntimeError("services.adapters.storage.configure() has not been called")
    return _storage
