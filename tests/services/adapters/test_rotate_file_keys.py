"""`python main.py rotate-file-keys`: after the secret key changed (the old one listed as previous), every local
file is rewrapped under the new one and plaintext from before encryption is encrypted; then the old secret can go.
On S3 there is nothing to rewrap: the store encrypts with its own keys."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from services.adapters import file_crypto
from services.adapters.storage import LocalStorage, object_key
from services.core import config
from tests.support.live import ROOT
from tests.support.s3 import S3Server

FILES = {f"file {n}".encode() * (1000 * n + 1) for n in range(3)}


async def once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def use_secret(secret: str, *previous: str) -> None:
    config.configure(dataclasses.replace(config.get(), secret_key=secret, previous_secret_keys=previous))


def rotate(var_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")},
        "PORTAL_VAR_DIR": str(var_dir),
        "PORTAL_SECRET_KEY": "the new secret",
        **env,
    }
    return subprocess.run(
        [sys.executable, "main.py", "rotate-file-keys"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def last_line(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout.strip().splitlines()[-1]


async def read_all(store: LocalStorage, key: str) -> bytes:
    return b"".join([chunk async for chunk in store.read(key)])


async def test_rotation_rewraps_old_files_encrypts_plaintext_and_a_second_run_does_nothing(tmp_path: Path) -> None:
    var = tmp_path / "var"
    store = LocalStorage(var / "files")
    use_secret("the old secret")
    sealed = {}
    for data in FILES:
        key = object_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
        await store.write(key, once(data), max_size=10**6)
        sealed[key] = data
    legacy = object_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    store.path_of(legacy).parent.mkdir(parents=True)
    store.path_of(legacy).write_bytes(b"%PDF-1.4 stored before encryption")

    first = rotate(var, PORTAL_PREVIOUS_SECRET_KEYS="a retired secret, the old secret")
    assert first.returncode == 0, first.stderr
    assert last_line(first) == "rewrapped 3 file(s), encrypted 1 plaintext file(s)"
    second = rotate(var)  # the old secret no longer listed: nothing is under it any more
    assert second.returncode == 0, second.stderr
    assert last_line(second) == "rewrapped 0 file(s), encrypted 0 plaintext file(s)"

    use_secret("the new secret")
    assert {key: await read_all(store, key) for key in sealed} == sealed
    assert await read_all(store, legacy) == b"%PDF-1.4 stored before encryption"
    assert store.path_of(legacy).read_bytes().startswith(file_crypto.MAGIC)


async def test_files_under_a_secret_not_listed_are_left_and_the_command_says_so(tmp_path: Path) -> None:
    var = tmp_path / "var"
    store = LocalStorage(var / "files")
    use_secret("a forgotten secret")
    key = object_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    await store.write(key, once(b"kept as it is"), max_size=100)
    before = store.path_of(key).read_bytes()
    done = rotate(var)
    assert done.returncode == 1
    assert last_line(done) == "rewrapped 0 file(s), encrypted 0 plaintext file(s)"
    assert "1 file(s) could not be read" in done.stderr and "PORTAL_PREVIOUS_SECRET_KEYS" in done.stderr
    assert store.path_of(key).read_bytes() == before


def test_on_s3_there_is_nothing_to_rewrap(tmp_path: Path, s3_server: S3Server) -> None:
    done = rotate(
        tmp_path / "var",
        PORTAL_STORAGE_URL="s3://portico-rotation/files",
        PORTAL_S3_ENDPOINT_URL=s3_server.endpoint_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    assert done.returncode == 0, done.stderr
    assert last_line(done).startswith("nothing to rewrap: the S3 store encrypts files with its own keys")
