"""Where files, previews and approval certificates are fetched: one place, for the pages that link to them and the
routes that answer (portal_app/routes/file_downloads.py)."""

from __future__ import annotations

import re
import uuid

# The paths whose answers are a stored file's bytes (staff and portal downloads, the API's content): sent as stored,
# never compressed (portal_app/compression.py).
STORED_FILE_PATH = re.compile(r"^/(?:files/[^/]+|portal/[^/]+/files/[^/]+|api/v1/files/[^/]+/content)$")


def staff_file(file_id: uuid.UUID, *, inline: bool = False) -> str:
    """A file for signed-in staff: a download, or (`inline`) a preview of an image, PDF or video."""
    return f"/files/{file_id}" + ("?inline=1" if inline else "")


def portal_file(slug: str, file_id: uuid.UUID, *, inline: bool = False) -> str:
    """A file for a signed-in contact of the client it belongs to."""
    return f"/portal/{slug}/files/{file_id}" + ("?inline=1" if inline else "")


def staff_certificate(deliverable_id: uuid.UUID) -> str:
    return f"/deliverables/{deliverable_id}/certificate.pdf"


def portal_certificate(slug: str, deliverable_id: uuid.UUID) -> str:
    return f"/portal/{slug}/deliverables/{deliverable_id}/certificate.pdf"


def portal_deliverable(slug: str, deliverable_id: uuid.UUID) -> str:
    return f"/portal/{slug}/deliverables/{deliverable_id}"
