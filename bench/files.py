"""Upload and download throughput of one large file through Portico, on both storage back ends, against a plain
boto3 put/get of the same bytes to the same S3 server, and the server's peak RSS while it works.

A `main.py serve` process stores files on local disk, then another on S3 (moto's server on 127.0.0.1, as in the
tests). Each round uploads the file through the API (`POST /api/v1/projects/{id}/files`, multipart, streamed from
disk by httpx) and downloads it (`GET /api/v1/files/{id}/content`, following S3's presigned redirect), then does
the same with boto3 directly; the two are interleaved round by round, and each figure is the median with its
spread. Peak RSS is the server's VmHWM (the high-water mark of its resident set) after all rounds, beside its RSS
when idle before the first: streaming means the peak should not grow by anything like the file's size.

.venv/bin/python -m bench.files [--mb 50] [--rounds 5] [--only local|s3]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path

import httpx

from bench.figures import median, with_spread
from bench.servers import start_portico, wait_healthy
from services.core import db
from services.core.migrations import upgrade
from services.files import upload_settings
from services.staff import api_tokens
from tests.support.factories import make_world
from tests.support.s3 import CREDENTIALS, running_s3

CHUNK = 1024 * 1024


def _write_payload(path: Path, megabytes: int) -> str:
    """A PDF-looking file of random bytes (random: nothing along the way can compress it), and its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        head = b"%PDF-1.7\n"
        out.write(head)
        digest.update(head)
        for _ in range(megabytes):
            block = os.urandom(CHUNK)
            out.write(block)
            digest.update(block)
    return digest.hexdigest()


def _peak_rss_mib(pid: int) -> tuple[float, float]:
    """The process's resident set now and at its highest (VmRSS, VmHWM), in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def _prepare(database_url: str) -> tuple[str, str]:
    """An organization with a client and a project, and an API token for its owner."""
    await upgrade(database_url)
    db.configure(database_url)
    try:
        world = await make_world("files")
        token = await api_tokens.create_token(world.actor, "bench")
        # the organization accepts files up to the size benchmarked
        await upload_settings.update_upload_settings(world.actor, 1024, ["pdf", "archives"])
        return token, str(world.project.id)
    finally:
        await db.close()


def _through_portico(client: httpx.Client, project_id: str, payload: Path, digest: str) -> tuple[float, float]:
    began = time.perf_counter()
    with payload.open("rb") as body:
        answer = client.post(
            f"/api/v1/projects/{project_id}/files",
            files={"file": ("payload.pdf", body, "application/pdf")},
            data={"shared": "false"},
        )
    up = time.perf_counter() - began
    answer.raise_for_status()
    made = answer.json()
    assert made["sha256"] == digest, made
    began = time.perf_counter()
    check = hashlib.sha256()
    with client.stream("GET", f"/api/v1/files/{made['id']}/content", follow_redirects=True) as got:
        got.raise_for_status()
        for block in got.iter_bytes(CHUNK):
            check.update(block)
    down = time.perf_counter() - began
    assert check.hexdigest() == digest
    return up, down


def _through_boto3(s3: object, bucket: str, payload: Path, digest: str, n: int) -> tuple[float, float]:
    key = f"baseline/{n}"
    began = time.perf_counter()
    with payload.open("rb") as body:
        s3.put_object(Bucket=bucket, Key=key, Body=body)  # type: ignore[attr-defined]
    up = time.perf_counter() - began
    began = time.perf_counter()
    check = hashlib.sha256()
    stream = s3.get_object(Bucket=bucket, Key=key)["Body"]  # type: ignore[attr-defined]
    while block := stream.read(CHUNK):
        check.update(block)
    down = time.perf_counter() - began
    assert check.hexdigest() == digest
    return up, down


def run(backend: str, megabytes: int, rounds: int, endpoint: str, payload: Path, digest: str) -> None:
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)
    bucket = f"bench-{backend}-{int(time.time())}"
    s3.create_bucket(Bucket=bucket)
    with tempfile.TemporaryDirectory(prefix="portico-bench-files-") as scratch:
        var_dir = Path(scratch)
        url = f"sqlite+aiosqlite:///{var_dir / 'bench.db'}"
        token, project_id = asyncio.run(_prepare(url))
        extra = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
        if backend == "s3":
            extra |= {"PORTAL_STORAGE_URL": f"s3://{bucket}/portico", "PORTAL_S3_ENDPOINT_URL": endpoint}
        server = start_portico(var_dir, url, extra)
        try:
            wait_healthy(server)
            idle, _ = _peak_rss_mib(server.process.pid)
            ours_up, ours_down, base_up, base_down = [], [], [], []
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=300) as client:
                for n in range(rounds):
                    up, down = _through_portico(client, project_id, payload, digest)
                    ours_up.append(up)
                    ours_down.append(down)
                    up, down = _through_boto3(s3, bucket, payload, digest, n)
                    base_up.append(up)
                    base_down.append(down)
            now, peak = _peak_rss_mib(server.process.pid)
            server.print_logged_errors()
        finally:
            server.stop()
    size = megabytes + 9 / CHUNK

    def rate(seconds: list[float]) -> list[float]:
        return [size / s for s in seconds]

    print(f"{backend}: {megabytes} MB, {rounds} rounds (MB/s, median [lowest–highest])")
    print(
        f"  upload    Portico {with_spread(rate(ours_up))}   boto3 {with_spread(rate(base_up))}"
        f"   ratio {median(base_up) / median(ours_up):.2f}× boto3's speed"
    )
    print(
        f"  download  Portico {with_spread(rate(ours_down))}   boto3 {with_spread(rate(base_down))}"
        f"   ratio {median(base_down) / median(ours_down):.2f}× boto3's speed"
    )
    print(f"  server RSS: idle {idle:.0f} MiB, after {now:.0f} MiB, peak {peak:.0f} MiB (+{peak - idle:.0f} MiB)")


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=["local", "s3"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portico-bench-payload-") as scratch, running_s3() as server:
        payload = Path(scratch) / "payload.pdf"
        digest = _write_payload(payload, args.mb)
        for backend in ("local", "s3"):
            if args.only in (None, backend):
                run(backend, args.mb, args.rounds, server.endpoint_url, payload, digest)


if __name__ == "__main__":
    main()
