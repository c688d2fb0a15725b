"""Files encrypted at rest: what lands on local disk is noise, damage of any kind is refused rather than read, big
files stream through bounded memory, ranges decrypt exactly their bytes, old secrets and plaintext from before
encryption keep reading until `rotate-file-keys` moves them under the current secret. S3 puts ask for server-side
encryption."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.adapters import file_crypto, storage
from services.adapters.file_crypto import CHUNK_SIZE, HEADER_SIZE, TAG_SIZE
from services.adapters.storage import Corrupt, LocalStorage, S3Storage, object_key
from services.core import config
from tests.support.s3 import S3Server

MB = 1024 * 1024
SEALED_CHUNK = CHUNK_SIZE + TAG_SIZE
# Repetitive text over three and a bit chunks: a cipher that leaked structure would show it here.
SECRET_TEXT = b"Quarterly numbers, confidential: revenue 1,234,567; margin 12%.\n" * 3300


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read_all(store: LocalStorage, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([chunk async for chunk in store.read(key, start, end)])


def new_key() -> str:
    return object_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())


def use_secret(secret: str, *previous: str) -> None:
    config.configure(dataclasses.replace(config.get(), secret_key=secret, previous_secret_keys=previous))


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "files")


async def stored(store: LocalStorage, data: bytes = SECRET_TEXT) -> str:
    key = new_key()
    await store.write(key, chunks_of(data), max_size=100 * MB)
    return key


# --- what lands on disk ----------------------------------------------------------------------------------------------


async def test_a_stored_object_holds_no_64_byte_window_of_its_plaintext(store: LocalStorage) -> None:
    key = await stored(store)
    on_disk = store.path_of(key).read_bytes()
    assert on_disk.startswith(file_crypto.MAGIC) and SECRET_TEXT not in on_disk
    windows_on_disk = {on_disk[at : at + 64] for at in range(len(on_disk) - 63)}
    assert not any(SECRET_TEXT[at : at + 64] in windows_on_disk for at in range(len(SECRET_TEXT) - 63))
    # a header, then every chunk with its tag: the layout the range reads compute offsets from
    chunks = -(-len(SECRET_TEXT) // CHUNK_SIZE)
    assert len(on_disk) == HEADER_SIZE + len(SECRET_TEXT) + chunks * TAG_SIZE
    assert await read_all(store, key) == SECRET_TEXT


async def test_the_same_file_stored_twice_is_two_different_objects(store: LocalStorage) -> None:
    """Each file has a key of its own: equal files are not recognisable as equal on disk."""
    first, second = await stored(store), await stored(store)
    assert store.path_of(first).read_bytes()[HEADER_SIZE:] != store.path_of(second).read_bytes()[HEADER_SIZE:]


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE])
async def test_files_of_every_size_around_a_chunk_read_back(store: LocalStorage, size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    key = new_key()
    written = await store.write(key, chunks_of(data, 1000), max_size=MB)
    assert (written.size, written.sha256) == (size, hashlib.sha256(data).hexdigest())  # of the plaintext
    assert await store.size(key) == size
    assert await read_all(store, key) == data


# --- damage --------------------------------------------------------------------------------------------------------


def flip(at: int) -> Callable[[bytes], bytes]:
    def flipped(raw: bytes) -> bytes:
        where = at % len(raw)
        return raw[:where] + bytes([raw[where] ^ 0x01]) + raw[where + 1 :]

    return flipped


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "a byte flipped in a chunk": flip(HEADER_SIZE + SEALED_CHUNK + 100),
    "a byte flipped in the last chunk's tag": flip(-1),
    "a chunk dropped": lambda raw: raw[: HEADER_SIZE + SEALED_CHUNK] + raw[HEADER_SIZE + 2 * SEALED_CHUNK :],
    "two chunks swapped": lambda raw: (
        raw[:HEADER_SIZE]
        + raw[HEADER_SIZE + SEALED_CHUNK : HEADER_SIZE + 2 * SEALED_CHUNK]
        + raw[HEADER_SIZE : HEADER_SIZE + SEALED_CHUNK]
        + raw[HEADER_SIZE + 2 * SEALED_CHUNK :]
    ),
    "cut inside a chunk": lambda raw: raw[: HEADER_SIZE + 2 * SEALED_CHUNK + 10],
    "cut at a chunk boundary": lambda raw: raw[: HEADER_SIZE + 2 * SEALED_CHUNK],
    "cut inside the header": lambda raw: raw[: HEADER_SIZE - 5],
    "bytes appended": lambda raw: raw + bytes(SEALED_CHUNK),
    "the version changed": flip(len(file_crypto.MAGIC)),
    "the key id changed": flip(len(file_crypto.MAGIC) + 1),
    "the chunk size changed": flip(len(file_crypto.MAGIC) + 1 + 8 + 2),
    "the wrapped key changed": flip(HEADER_SIZE - 20),
}


def damage(store: LocalStorage, key: str, how: Callable[[bytes], bytes]) -> None:
    path = store.path_of(key)
    path.write_bytes(how(path.read_bytes()))


@pytest.mark.parametrize("how", list(DAMAGE), ids=list(DAMAGE))
async def test_a_damaged_object_is_refused_and_never_read_as_plaintext(store: LocalStorage, how: str) -> None:
    key = await stored(store)
    damage(store, key, DAMAGE[how])
    with pytest.raises(Corrupt) as refused:
        await read_all(store, key)
    assert refused.value.message == "The file is damaged and cannot be downloaded."
    assert refused.value.status_code == 500


# --- memory --------------------------------------------------------------------------------------------------------


async def fifty_megabytes() -> AsyncIterator[bytes]:
    """50 MB in 1 MiB pieces made as they are sent, never all in memory: as an upload arrives."""
    for index in range(50):
        yield hashlib.sha256(index.to_bytes(4, "big")).digest() * (MB // 32)


async def test_a_50_mb_file_is_written_and_read_in_bounded_memory(store: LocalStorage) -> None:
    key = new_key()
    tracemalloc.start()
    try:
        written = await store.write(key, fifty_megabytes(), max_size=60 * MB)
        _, write_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest, size = hashlib.sha256(), 0
        async for chunk in store.read(key):
            digest.update(chunk)
            size += len(chunk)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (size, digest.hexdigest()) == (written.size, written.sha256) == (50 * MB, written.sha256)
    print(f"peak traced memory: write {write_peak / MB:.2f} MiB, read {read_peak / MB:.2f} MiB")
    assert write_peak < 4 * MB  # one 1 MiB piece in, a chunk pending, one sealed chunk out
    assert read_peak < 1 * MB  # one chunk at a time


# --- ranges ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def ranged(store: LocalStorage) -> tuple[LocalStorage, str]:
    """One object of three and a bit chunks, written once for all the examples of a test."""
    return store, asyncio.run(stored(store))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.integers(0, len(SECRET_TEXT)),
    length=st.integers(0, 3 * CHUNK_SIZE),
    near_a_boundary=st.booleans(),
)
def test_any_range_reads_exactly_its_bytes(
    ranged: tuple[LocalStorage, str], start: int, length: int, near_a_boundary: bool
) -> None:
    store, key = ranged
    if near_a_boundary:  # ranges that start just before a chunk's end are where an off-by-one would show
        start = max(0, (start // CHUNK_SIZE + 1) * CHUNK_SIZE - length // 7 - 1)
    assert asyncio.run(read_all(store, key, start, start + length)) == SECRET_TEXT[start : start + length]


async def test_a_range_decrypts_only_the_chunks_that_hold_it(store: LocalStorage) -> None:
    """A chunk damaged outside the range does not stop it (it is never decrypted); inside it, it does."""
    key = await stored(store)
    damage(store, key, DAMAGE["a byte flipped in a chunk"])  # chunk 1
    assert await read_all(store, key, 10, CHUNK_SIZE) == SECRET_TEXT[10:CHUNK_SIZE]
    assert await read_all(store, key, 2 * CHUNK_SIZE, 2 * CHUNK_SIZE + 5) == SECRET_TEXT[2 * CHUNK_SIZE :][:5]
    with pytest.raises(Corrupt):
        await read_all(store, key, CHUNK_SIZE - 1, CHUNK_SIZE + 1)


# --- secrets that change, and files from before encryption -----------------------------------------------------------


async def test_a_changed_secret_reads_old_files_while_listed_and_rotation_moves_them(store: LocalStorage) -> None:
    use_secret("the old secret")
    old = [await stored(store, SECRET_TEXT[: 1000 * n]) for n in (1, 70, 200)]
    chunks_before = [store.path_of(key).read_bytes()[HEADER_SIZE:] for key in old]

    use_secret("the new secret")  # the old one forgotten: its files do not open (and are not read as plaintext)
    with pytest.raises(Corrupt, match="PORTAL_PREVIOUS_SECRET_KEYS"):
        await read_all(store, old[0])

    use_secret("the new secret", "an older secret", "the old secret")
    new = await stored(store, b"written under the new secret")
    assert [await read_all(store, key) for key in old] == [SECRET_TEXT[: 1000 * n] for n in (1, 70, 200)]
    assert await store.rotate_keys() == file_crypto.Rotation(rewrapped=3)
    # only the header changed: the chunks were copied as they are
    assert [store.path_of(key).read_bytes()[HEADER_SIZE:] for key in old] == chunks_before
    assert await store.rotate_keys() == file_crypto.Rotation()  # nothing left to do

    use_secret("the new secret")
    assert [await read_all(store, key) for key in old] == [SECRET_TEXT[: 1000 * n] for n in (1, 70, 200)]
    assert await read_all(store, new) == b"written under the new secret"
    assert [p.name for p in store.root.rglob("*") if p.name.startswith(storage.UNFINISHED_PREFIX)] == []


async def test_plaintext_from_before_encryption_reads_and_rotation_encrypts_it(store: LocalStorage) -> None:
    legacy = {new_key(): data for data in (SECRET_TEXT, b"", b"short")}
    for key, data in legacy.items():
        store.path_of(key).parent.mkdir(parents=True)
        store.path_of(key).write_bytes(data)
    assert [await read_all(store, key) for key in legacy] == list(legacy.values())
    assert await read_all(store, next(iter(legacy)), 100, 200) == SECRET_TEXT[100:200]
    assert await store.size(next(iter(legacy))) == len(SECRET_TEXT)

    assert await store.rotate_keys() == file_crypto.Rotation(encrypted=3)
    for key, data in legacy.items():
        on_disk = store.path_of(key).read_bytes()
        assert on_disk.startswith(file_crypto.MAGIC) and (not data or data not in on_disk)
        assert await read_all(store, key) == data
    assert await store.rotate_keys() == file_crypto.Rotation()


async def test_rotation_leaves_damaged_objects_as_they_are_and_counts_them(store: LocalStorage) -> None:
    use_secret("the old secret")
    key = await stored(store)
    damage(store, key, DAMAGE["the wrapped key changed"])
    before = store.path_of(key).read_bytes()
    use_secret("the new secret", "the old secret")
    assert await store.rotate_keys() == file_crypto.Rotation(damaged=1)
    assert store.path_of(key).read_bytes() == before


def test_the_header_binds_its_fields_to_the_wrapped_key() -> None:
    """A header moved to another secret's key id, or re-labelled with another chunk size, does not unwrap."""
    ring = file_crypto.Keyring("a secret")
    encryptor = file_crypto.Encryptor(ring.current)
    parsed = file_crypto.parse_header(encryptor.header, ring)
    assert parsed is not None and parsed.data_key == encryptor.sealed.data_key
    assert parsed.key_id == ring.current.key_id != file_crypto.Keyring("another secret").current.key_id
    assert file_crypto.parse_header(b"%PDF-1.7 plaintext from before", ring) is None


# --- S3: the store's own encryption ----------------------------------------------------------------------------------


@pytest.fixture
def bucket(s3_server: S3Server) -> tuple[S3Server, str]:
    name = f"portico-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return s3_server, name


@pytest.mark.parametrize("size", [5, storage.PART + MB], ids=["small", "multipart"])
async def test_s3_puts_ask_for_server_side_encryption(bucket: tuple[S3Server, str], size: int) -> None:
    server, name = bucket
    store = S3Storage(name, "tenant-files/", client=server.client())
    key = new_key()
    await store.write(key, chunks_of(b"s" * size, MB), max_size=50 * MB)
    head = store.client.head_object(Bucket=name, Key=f"tenant-files/{key}")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentLength"] == size  # the store encrypts: the bytes go up as they are


async def test_s3_server_side_encryption_may_use_kms(bucket: tuple[S3Server, str]) -> None:
    server, name = bucket
    store = S3Storage(name, "", client=server.client(), server_side_encryption="aws:kms", kms_key_id="alias/files")
    key = new_key()
    await store.write(key, chunks_of(b"kms"), max_size=MB)
    head = store.client.head_object(Bucket=name, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms" and "alias/files" in head["SSEKMSKeyId"]


def test_an_unknown_server_side_encryption_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PORTAL_S3_SSE must be AES256, aws:kms or empty"):
        storage.from_url("s3://b/p", var_dir=tmp_path, server_side_encryption="DES")
    with pytest.raises(ValueError, match="needs PORTAL_S3_SSE=aws:kms"):
        storage.from_url("s3://b/p", var_dir=tmp_path, kms_key_id="k")
