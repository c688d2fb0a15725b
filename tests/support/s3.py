"""moto's S3 server on 127.0.0.1 for the S3 storage back end: a real HTTP server that boto3 talks to."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.endpoint_url, **CREDENTIALS)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_s3() -> Iterator[S3Server]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        server.stop()


def new_bucket(server: S3Server, prefix: str = "tenant-files/") -> Any:
    """An S3 back end on a fresh bucket of `server` (each test its own, so nothing leaks between tests)."""
    from services.adapters.storage import S3Storage

    client = server.client()
    bucket = f"portico-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return S3Storage(bucket, prefix, client=client)


def objects_in(store: Any) -> list[str]:
    """Every object, and every unfinished multipart upload, in the back end's bucket or directory."""
    from services.adapters.storage import LocalStorage

    if isinstance(store, LocalStorage):
        return [str(p) for p in store.root.rglob("*") if p.is_file()]
    listed = store.client.list_objects_v2(Bucket=store.bucket)
    uploads = store.client.list_multipart_uploads(Bucket=store.bucket)
    return [o["Key"] for o in listed.get("Contents", [])] + [u["Key"] for u in uploads.get("Uploads", [])]


def unreachable_s3() -> Any:
    """An S3 back end whose endpoint is a closed port on this machine: every call fails at once, never retried."""
    from botocore.config import Config

    from services.adapters.storage import S3Storage

    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{_free_port()}",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=1, read_timeout=1),
        **CREDENTIALS,
    )
    return S3Storage("portico-down", "tenant-files/", client=client)


class RestartableS3:
    """moto's S3 server on a port of its own, which a test takes down and brings back on the same port. The
    buckets and objects survive, as a real store's do: moto keeps them in this process, not in the server."""

    def __init__(self) -> None:
        self.port = _free_port()
        self._server = self._started()

    def _started(self) -> ThreadedMotoServer:
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        server.start()
        return server

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> Any:
        """A client that gives up quickly (two attempts, short timeouts): a test of an outage need not wait out
        boto3's default retries."""
        from botocore.config import Config

        config = Config(retries={"total_max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=5)
        return boto3.client("s3", endpoint_url=self.endpoint_url, config=config, **CREDENTIALS)

    def new_store(self, prefix: str = "tenant-files/") -> Any:
        from services.adapters.storage import S3Storage

        client = self.client()
        bucket = f"portico-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=bucket)
        return S3Storage(bucket, prefix, client=client)

    def stop(self) -> None:
        self._server.stop()

    def start(self) -> None:
        """Listen again, on the same port."""
        self._server = self._started()

    @contextmanager
    def down(self) -> Iterator[None]:
        self.stop()
        try:
            yield
        finally:
            self.start()
