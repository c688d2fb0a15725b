"""Files encrypted at rest on local disk: a per-file data key, AES-GCM over fixed-size chunks, a wrapped key header.

An object is a header, then sealed chunks:

    magic (8) | format version (1) | key id (8) | chunk size (4) | wrap nonce (12) | wrapped data key (32 + 16)
    chunk 0 | chunk 1 | ... | last chunk        each: plaintext (chunk size, the last 0..chunk size) + GCM tag (16)

The data key is random per file; it is wrapped with AES-GCM under a key-encryption key (KEK) derived with HKDF from
the secret key, the header's first fields (magic, version, key id, chunk size) as associated data, so changing any
of them fails the unwrap. The key id is derived from the KEK: rotation tells which secret wrapped an object without
trying them all. Chunks follow the STREAM construction: a chunk's nonce is its index and a flag saying it is the
last, so a chunk moved, dropped, or a cut at a chunk boundary fails authentication. Rotation re-wraps the data key
and copies the chunks as they are. An object without the magic was written before encryption and is plaintext.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.core import config
from services.core.errors import ServiceError

MAGIC = b"\x89PTCENC\n"  # not text, not the start of any type uploads may have (magic bytes are checked on upload)
VERSION = 1
CHUNK_SIZE = 64 * 1024  # plaintext bytes per chunk: a range read decrypts at most one extra chunk at each end
TAG_SIZE = 16
KEY_SIZE = 32
_PREFIX = struct.Struct(">8sB8sI")  # magic, version, key id, chunk size: the wrap's associated data
_WRAP_NONCE = 12
HEADER_SIZE = _PREFIX.size + _WRAP_NONCE + KEY_SIZE + TAG_SIZE
_MAX_CHUNK = 16 * 1024 * 1024  # a header asking for more is damaged, not a reason to allocate it
_KEK_INFO = b"portico/files/key-encryption-key/v1"
DAMAGED = "The file is damaged and cannot be downloaded."


class Corrupt(ServiceError):
    """A stored object failed authentication (or its header makes no sense): its bytes are never handed out.

    `message` is what a user sees; `detail` says what was wrong, for the log."""

    status_code = 500

    def __init__(self, detail: str) -> None:
        super().__init__(DAMAGED)
        self.detail = detail

    def __str__(self) -> str:
        return f"{DAMAGED} ({self.detail})"


@dataclass(frozen=True, slots=True)
class Kek:
    key_id: bytes
    aead: AESGCM


@lru_cache(maxsize=8)
def _kek(secret: str) -> Kek:
    material = HKDF(algorithm=SHA256(), length=KEY_SIZE, salt=None, info=_KEK_INFO).derive(secret.encode())
    key_id = hmac.new(material, b"portico/files/key-id", hashlib.sha256).digest()[:8]
    return Kek(key_id, AESGCM(material))


class Keyring:
    """The current KEK (every new object and every rewrap) and the previous ones (read only)."""

    def __init__(self, secret: str, previous: Sequence[str] = ()) -> None:
        if not secret:
            raise RuntimeError("services.config.configure() needs a secret key to encrypt files")
        self.current = _kek(secret)
        self._by_id = {k.key_id: k for k in (*(_kek(s) for s in previous if s), self.current)}

    def find(self, key_id: bytes) -> Kek | None:
        return self._by_id.get(key_id)


def keyring() -> Keyring:
    """The keyring of the configured secret key and previous secret keys."""
    settings = config.get()
    return Keyring(settings.secret_key, settings.previous_secret_keys)


@dataclass(frozen=True, slots=True)
class Sealed:
    """One encrypted object's key and layout, from its header."""

    key_id: bytes
    chunk_size: int
    data_key: bytes

    @property
    def _aead(self) -> AESGCM:
        return AESGCM(self.data_key)

    @property
    def sealed_chunk(self) -> int:
        return self.chunk_size + TAG_SIZE

    def header(self, kek: Kek) -> bytes:
        """The header that wraps this object's data key under `kek` (a fresh wrap nonce each time)."""
        prefix = _PREFIX.pack(MAGIC, VERSION, kek.key_id, self.chunk_size)
        nonce = os.urandom(_WRAP_NONCE)
        return prefix + nonce + kek.aead.encrypt(nonce, self.data_key, prefix)

    def chunk_count(self, object_size: int) -> int:
        """How many chunks an object of `object_size` bytes holds; Corrupt if no object could be that long."""
        body = object_size - HEADER_SIZE
        if body < TAG_SIZE:
            raise Corrupt("cut short: no room for the last chunk")
        count = -(-body // self.sealed_chunk)
        if body - (count - 1) * self.sealed_chunk < TAG_SIZE:
            raise Corrupt("cut short inside a chunk's tag")
        return count

    def plain_size(self, object_size: int) -> int:
        return object_size - HEADER_SIZE - self.chunk_count(object_size) * TAG_SIZE

    def offset(self, index: int) -> int:
        """Where chunk `index` starts in the object."""
        return HEADER_SIZE + index * self.sealed_chunk

    def seal(self, index: int, plain: bytes, *, last: bool) -> bytes:
        return self._aead.encrypt(_nonce(index, last=last), plain, None)

    def open(self, index: int, sealed: bytes, *, last: bool) -> bytes:
        if not last and len(sealed) != self.sealed_chunk:
            raise Corrupt(f"chunk {index} is cut short")
        try:
            return self._aead.decrypt(_nonce(index, last=last), sealed, None)
        except InvalidTag:
            raise Corrupt(f"chunk {index} failed authentication") from None


def _nonce(index: int, *, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def new_sealed(kek: Kek, chunk_size: int = CHUNK_SIZE) -> Sealed:
    return Sealed(kek.key_id, chunk_size, AESGCM.generate_key(bit_length=KEY_SIZE * 8))


def parse_header(head: bytes, ring: Keyring) -> Sealed | None:
    """The object's key and layout from its first HEADER_SIZE bytes; None when it has no header (plaintext)."""
    if not head.startswith(MAGIC):
        return None
    if len(head) < HEADER_SIZE:
        raise Corrupt("the header is cut short")
    prefix = head[: _PREFIX.size]
    _, version, key_id, chunk_size = _PREFIX.unpack(prefix)
    if version != VERSION:
        raise Corrupt(f"unknown format version {version}")
    if not 0 < chunk_size <= _MAX_CHUNK:
        raise Corrupt(f"impossible chunk size {chunk_size}")
    kek = ring.find(key_id)
    if kek is None:
        raise Corrupt(
            f"wrapped under key id {key_id.hex()}, which no configured secret key derives "
            "(a changed PORTAL_SECRET_KEY without the old one in PORTAL_PREVIOUS_SECRET_KEYS, or a damaged header)"
        )
    nonce = head[_PREFIX.size : _PREFIX.size + _WRAP_NONCE]
    try:
        data_key = kek.aead.decrypt(nonce, head[_PREFIX.size + _WRAP_NONCE : HEADER_SIZE], prefix)
    except InvalidTag:
        raise Corrupt("the wrapped data key failed authentication") from None
    return Sealed(key_id, chunk_size, data_key)


class Encryptor:
    """Seals a stream: full chunks as soon as one more byte follows them (only then is a chunk known not to be
    the last), the rest (0..chunk size bytes) as the last chunk at the end."""

    def __init__(self, kek: Kek, chunk_size: int = CHUNK_SIZE) -> None:
        self.sealed = new_sealed(kek, chunk_size)
        self.header = self.sealed.header(kek)
        self._pending = bytearray()
        self._index = 0

    def feed(self, data: bytes) -> Iterator[bytes]:
        self._pending += data
        size = self.sealed.chunk_size
        while len(self._pending) > size:
            plain = bytes(self._pending[:size])
            del self._pending[:size]
            yield self.sealed.seal(self._index, plain, last=False)
            self._index += 1

    def finish(self) -> bytes:
        last = self.sealed.seal(self._index, bytes(self._pending), last=True)
        self._pending.clear()
        return last


@dataclass(slots=True)
class Rotation:
    """What `rotate-file-keys` did."""

    rewrapped: int = 0
    encrypted: int = 0
    damaged: int = 0

    def count(self, done: Literal["rewrapped", "encrypted"] | None) -> None:
        if done == "rewrapped":
            self.rewrapped += 1
        elif done == "encrypted":
            self.encrypted += 1


def reseal(path: Path, ring: Keyring, *, prefix: str) -> Literal["rewrapped", "encrypted"] | None:
    """The object at `path` under the current KEK: its data key rewrapped (the chunks copied byte for byte), or,
    plaintext from before encryption, sealed; None when it already is. The new object is written to a temporary
    file beside it (named with `prefix`, which the unfinished-write sweep removes) and renamed over it, so a crash
    leaves the old object or the new one, never half of either."""
    with path.open("rb") as source:
        sealed = parse_header(source.read(HEADER_SIZE), ring)
        if sealed is not None and sealed.key_id == ring.current.key_id:
            return None
        if sealed is not None:
            sealed.chunk_count(os.fstat(source.fileno()).st_size)  # a cut object stays as it is, for the log
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=prefix)
        try:
            with os.fdopen(descriptor, "wb") as out:
                if sealed is not None:
                    out.write(sealed.header(ring.current))
                    shutil.copyfileobj(source, out, 1024 * 1024)  # the source is past its header already
                else:
                    source.seek(0)
                    encryptor = Encryptor(ring.current)
                    out.write(encryptor.header)
                    while data := source.read(CHUNK_SIZE):
                        for piece in encryptor.feed(data):
                            out.write(piece)
                    out.write(encryptor.finish())
                out.flush()
                os.fsync(out.fileno())  # the new object is on disk before it replaces the old one
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return "rewrapped" if sealed is not None else "encrypted"
