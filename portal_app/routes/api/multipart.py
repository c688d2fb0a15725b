"""Uploads to the API: a multipart form read after the token is checked, its file handed on in chunks.

Starlette spools the form's file to a temporary file as it parses (the request-size guard in
portal_app.upload_limit bounds it); the service then reads it chunk by chunk, never whole, into the store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from services.adapters.storage import CHUNK
from services.core.errors import Invalid

MAX_FIELDS = 10  # a file and a few short fields: anything more is not one of ours


@asynccontextmanager
async def upload_form(request: Request) -> AsyncIterator[FormData]:
    """The request's form, its temporary file removed afterwards. A body that is not multipart has no fields."""
    async with request.form(max_files=1, max_fields=MAX_FIELDS) as form:
        yield form


def the_file(form: FormData) -> UploadFile:
    found = form.get("file")
    if not isinstance(found, UploadFile):
        raise Invalid('Attach the file as the multipart/form-data field "file".', "file")
    return found


def text_field(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name, default)
    if not isinstance(value, str):
        raise Invalid(f'"{name}" must be a text field, not a file.', name)
    return value


def flag(form: FormData, name: str, default: bool = False) -> bool:
    """A yes/no form field: "true" or "false" (any case), else a 422 saying so."""
    value = text_field(form, name, "true" if default else "false").strip().lower()
    if value not in ("true", "false"):
        raise Invalid(f'"{name}" must be "true" or "false".', name)
    return value == "true"


async def chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


def form_body(required: list[str], **fields: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI for a handler that reads its multipart body itself (FastAPI sees no body parameter)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "required": required, "properties": fields},
                }
            },
        }
    }


FILE_FIELD = {"type": "string", "format": "binary", "description": "The file's bytes; its name is kept for display"}
