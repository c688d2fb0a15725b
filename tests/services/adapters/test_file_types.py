"""File types from content: what the bytes are, whatever the name says; markup is never inline."""

from __future__ import annotations

import io
import zipfile

import pytest

from services.adapters.file_types import DEFAULT_ALLOWED, Sniffed, check, sniff
from services.core.errors import Invalid

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("head", "content_type", "inline"),
    [
        (PNG, "image/png", True),
        (JPEG, "image/jpeg", True),
        (PDF, "application/pdf", True),
        (MP4, "video/mp4", True),
        (b"Meeting notes\nPhase 2: build", "text/plain", False),
        ("Zürich, Kraków, 東京 — notes".encode(), "text/plain", False),
        (b"<!DOCTYPE html><html><script>alert(1)</script>", "text/html", False),
        (b"  <svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/svg+xml", False),
        (b"<?xml version='1.0'?><svg/>", "image/svg+xml", False),
        (b"\x00\x01\x02\x03binary", "application/octet-stream", False),
    ],
)
def test_the_bytes_decide_the_type(head: bytes, content_type: str, inline: bool) -> None:
    assert sniff(head) == Sniffed(content_type, inline)


def test_an_office_document_is_known_by_its_zip_contents() -> None:
    assert sniff(docx()).content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_a_script_named_like_a_picture_is_still_markup() -> None:
    """The name plays no part: "logo.png" that is HTML is refused as HTML."""
    found = sniff(b"<html><body onload=steal()>")
    assert (found.content_type, found.inline) == ("text/html", False)
    with pytest.raises(Invalid, match="not accepted here: it is text/html"):
        check(found)


def test_the_organizations_list_decides_what_is_accepted() -> None:
    check(sniff(PDF))
    with pytest.raises(Invalid, match="it is an unknown kind of file"):
        check(sniff(b"\x00\x01\x02binary"))
    with pytest.raises(Invalid, match="it is application/pdf"):
        check(sniff(PDF), allowed=frozenset({"image/png"}))
    assert "image/svg+xml" not in DEFAULT_ALLOWED and "text/html" not in DEFAULT_ALLOWED
