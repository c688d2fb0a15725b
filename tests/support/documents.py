"""Reading generated documents back: their requests, their files and the text of their PDFs."""

from __future__ import annotations

import io
import uuid

from pypdf import PdfReader
from sqlalchemy import select

from models import DocumentRequest, File, OutboxMail, Update
from services.adapters import storage
from services.core.actors import SystemActor
from services.core.db import unit_of_work


async def requests_of(project_id: uuid.UUID) -> list[DocumentRequest]:
    async with unit_of_work(SystemActor()) as session:
        return list(
            await session.scalars(
                select(DocumentRequest)
                .where(DocumentRequest.project_id == project_id)
                .order_by(DocumentRequest.created_at)
            )
        )


async def document_files(project_id: uuid.UUID) -> list[File]:
    async with unit_of_work(SystemActor()) as session:
        return list(
            await session.scalars(
                select(File).where(File.project_id == project_id, File.kind != "upload").order_by(File.created_at)
            )
        )


async def stored_bytes(row: File) -> bytes:
    return b"".join([chunk async for chunk in storage.get().read(row.storage_key)])


def pdf_text(data: bytes) -> str:
    """The PDF's text, its lines joined by spaces (reportlab breaks long lines where it must)."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


async def mails_to(address: str) -> list[OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(OutboxMail).where(OutboxMail.to_addr == address)))


async def public_updates(project_id: uuid.UUID) -> list[Update]:
    async with unit_of_work(SystemActor()) as session:
        return list(
            await session.scalars(select(Update).where(Update.project_id == project_id, Update.visibility == "public"))
        )
