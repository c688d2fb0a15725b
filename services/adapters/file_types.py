"""What an uploaded file is, read from its first bytes (never from its name), and whether it may be shown inline.

`filetype` (magic numbers for images, video, audio, archives, PDF and office documents) answers for binary
formats; a file it does not know is plain text when its opening bytes decode as UTF-8 without control
characters, and markup (HTML, SVG, XML) is told apart so that it is only ever downloaded: a browser would run
the script such a file can carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import filetype

from services.core.errors import Invalid

HEAD = 8192  # bytes read to decide: enough for every magic number, and for zip-based office documents' names

# Shown inline in the portal's previews (images, PDF, video); everything else is a download.
INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "video/mp4", "video/webm"})
# The kinds of file an organization may accept (Settings), each a set of sniffed types: the key is stored.
FILE_KINDS: dict[str, tuple[str, frozenset[str]]] = {
    "images": ("Images (PNG, JPEG, GIF, WebP)", frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})),
    "pdf": ("PDF documents", frozenset({"application/pdf"})),
    "video": ("Video (MP4, WebM, QuickTime)", frozenset({"video/mp4", "video/webm", "video/quicktime"})),
    "text": ("Plain text", frozenset({"text/plain"})),
    "documents": (
        "Office documents (Word, Excel, PowerPoint, OpenDocument)",
        frozenset(
            {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                "application/vnd.oasis.opendocument.text",
                "application/vnd.oasis.opendocument.spreadsheet",
                "application/vnd.oasis.opendocument.presentation",
            }
        ),
    ),
    "archives": ("ZIP archives", frozenset({"application/zip"})),
}


def allowed_types(kinds: str | list[str] | tuple[str, ...]) -> frozenset[str]:
    """The sniffed types the named kinds accept (a space-separated string as stored, or a list); unknown keys count
    for nothing."""
    names = kinds.split() if isinstance(kinds, str) else kinds
    return frozenset(t for name in names if name in FILE_KINDS for t in FILE_KINDS[name][1])


# What an organization accepts unless it chooses otherwise (Settings): every kind.
DEFAULT_ALLOWED = allowed_types(list(FILE_KINDS))

_MARKUP = re.compile(rb"^\s*(?:<\?xml|<!doctype\s+html|<html|<svg|<!--|<script|<body|<head|<iframe)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Sniffed:
    content_type: str  # from the bytes
    inline: bool  # may be shown in the page (a preview) rather than only downloaded


def sniff(head: bytes) -> Sniffed:
    """The type of a file whose first bytes are `head` (pass at least HEAD bytes, or the whole of a small file)."""
    if _MARKUP.match(head[:1024]):
        kind = "image/svg+xml" if b"<svg" in head[:1024].lower() else "text/html"
        return Sniffed(kind, inline=False)
    guessed = filetype.guess(head)
    if guessed is not None:
        return Sniffed(guessed.mime, inline=guessed.mime in INLINE)
    if _looks_like_text(head):
        return Sniffed("text/plain", inline=False)
    return Sniffed(OCTET_STREAM, inline=False)


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the end of the sample
            return False
        text = head[: exc.start].decode("utf-8")
    return not _CONTROL.search(text)


def check(sniffed: Sniffed, allowed: frozenset[str] = DEFAULT_ALLOWED) -> None:
    """Refuse a type the organization does not accept, saying what the file was found to be."""
    if sniffed.content_type not in allowed:
        found = "an unknown kind of file" if sniffed.content_type == OCTET_STREAM else sniffed.content_type
        raise Invalid(f"This type of file is not accepted here: it is {found}.", "file")
