"""Where uploaded files' bytes live: local disk (default, under var/files) or S3 and S3-compatible stores (boto3).

`PORTAL_STORAGE_URL` picks the back end: empty or `file:///path` is a directory, `s3://bucket/prefix` a bucket
(`PORTAL_S3_ENDPOINT_URL` for MinIO and the like; credentials from the usual AWS variables). Keys are built by
`object_key` from ids alone (`org/<org>/client/<client>/<file>`), never from a user's file name. Both back ends
stream: a write takes chunks as they arrive (hashing and counting them, refusing past a size limit), a read
yields chunks; blocking I/O runs in worker threads. A write that fails or is refused leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from services.core.errors import Invalid

CHUNK = 256 * 1024  # bytes read at a time
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

    def read(self, key: str) -> AsyncIterator[bytes]: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    def download_url(self, key: str, *, disposition: str, content_type: str, seconds: int = 60) -> str | None:
        """A short-lived URL the browser can fetch the bytes from directly, or None: stream them instead."""
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
    """Files under a directory; a write goes to a temporary file beside its target and is renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, key: str) -> Path:
        """Where the object of `key` lives (for serving it with byte ranges); never outside the root."""
        return self._path(key)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key outside the storage root: {key!r}")
        return path

    async def write(self, key: str, chunks: AsyncIterable[bytes], *, max_size: int) -> Stored:
        path = self._path(key)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        descriptor, temporary = await asyncio.to_thread(tempfile.mkstemp, dir=path.parent, prefix=".upload-")
        counter = _Counter(max_size)
        try:
            with os.fdopen(descriptor, "wb") as out:
                async for chunk in chunks:
                    counter.take(chunk)
                    await asyncio.to_thread(out.write, chunk)
            await asyncio.to_thread(os.replace, temporary, path)
        except BaseException:
            await asyncio.to_thread(Path(temporary).unlink, missing_ok=True)
            raise
        return counter.stored()

    async def read(self, key: str) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(self._path(key).open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    def download_url(self, key: str, *, disposition: str, content_type: str, seconds: int = 60) -> str | None:
        return None  # the app streams local files itself


class S3Storage:
    """Objects in an S3 bucket under a prefix; large writes go up as a multipart upload, aborted on failure."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str = "", client: Any = None) -> None:
        self.bucket, self.prefix = bucket, prefix.strip("/")
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
                            self.client.create_multipart_upload, Bucket=self.bucket, Key=name
                        )
                        upload_id = started["UploadId"]
                    if sending is not None:
                        parts.append(await sending)
                    number = len(parts) + 1
                    sending = asyncio.create_task(self._part(name, upload_id, number, bytes(buffer)))
                    buffer.clear()
            if upload_id is None:
                await asyncio.to_thread(self.client.put_object, Bucket=self.bucket, Key=name, Body=bytes(buffer))
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
                await asyncio.to_thread(
                    self.client.abort_multipart_upload, Bucket=self.bucket, Key=name, UploadId=upload_id
                )
            raise
        return counter.stored()

    async def _part(self, name: str, upload_id: str, number: int, body: bytes) -> dict[str, Any]:
        sent = await asyncio.to_thread(
            self.client.upload_part, Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=body
        )
        return {"PartNumber": number, "ETag": sent["ETag"]}

    async def read(self, key: str) -> AsyncIterator[bytes]:
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


def from_url(url: str, *, var_dir: Path, endpoint_url: str = "") -> Storage:
    """The back end `PORTAL_STORAGE_URL` names; bad input is a clear error at start-up."""
    if not url:
        return LocalStorage(var_dir / "files")
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = Path((parsed.netloc or "") + parsed.path)
        return LocalStorage(path)
    if parsed.scheme == "s3" and parsed.netloc:
        return S3Storage(parsed.netloc, parsed.path, endpoint_url)
    raise ValueError(f"PORTAL_STORAGE_URL must be file:///path or s3://bucket/prefix, not {url!r}")


_storage: Storage | None = None


def configure(storage: Storage) -> None:
    global _storage
    _storage = storage


def get() -> Storage:
    if _storage is None:
        raise RuntimeError("services.adapters.storage.configure() has not been called")
    return _storage
