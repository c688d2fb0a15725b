"""The demo's files: a creative brief shared with the client, and a homepage design waiting for its review.

Both are drawn here (a one-page PDF with reportlab, a wireframe PNG with Pillow, which reportlab brings), so the
demo shows real previews without shipping binary files.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator

from PIL import Image, ImageDraw
from reportlab.platypus import Flowable, Spacer

from services.adapters import pdf
from services.core.actors import StaffActor
from services.files import deliverables, files

BRIEF = [
    "Goal: a campaign site that turns spring catalogue readers into newsletter subscribers and buyers.",
    "Audience: outdoor enthusiasts, 25–45, on their phones first.",
    "Must have: product stories, a store finder, a sign-up that takes one field.",
    "Tone: warm, practical, a little playful. Photography over illustration.",
    "Measures: sign-ups per visit, store-finder searches, time to first product view.",
]


def brief_pdf(client_name: str) -> bytes:
    def story(width: float) -> list[Flowable]:
        return [
            pdf.text("Creative brief", pdf.NAME),
            pdf.text(client_name),
            Spacer(1, 12),
            *(pdf.text(f"• {line}") for line in BRIEF),
        ]

    return pdf.render(story, page_size="A4", title="Creative brief", author="Northwind Studio", footer="Creative brief")


def homepage_png(accent: str = "#4f46e5") -> bytes:
    """A wireframe of a homepage: header, hero, three cards, footer."""
    image = Image.new("RGB", (960, 640), "#f8fafc")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 960, 64), fill="#0f172a")
    draw.rectangle((32, 20, 180, 44), fill="#e2e8f0")
    for n in range(4):
        draw.rectangle((560 + n * 96, 26, 640 + n * 96, 38), fill="#94a3b8")
    draw.rectangle((32, 96, 928, 336), fill=accent)
    draw.rectangle((72, 160, 520, 200), fill="#ffffff")
    draw.rectangle((72, 220, 420, 240), fill="#c7d2fe")
    draw.rectangle((72, 272, 232, 312), fill="#ffffff")
    for n in range(3):
        left = 32 + n * 304
        draw.rectangle((left, 368, left + 288, 560), fill="#ffffff", outline="#cbd5e1")
        draw.rectangle((left + 16, 384, left + 272, 480), fill="#e2e8f0")
        draw.rectangle((left + 16, 496, left + 200, 512), fill="#94a3b8")
    draw.rectangle((0, 592, 960, 640), fill="#0f172a")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def seed_files(actor: StaffActor, project_id: uuid.UUID, client_name: str) -> None:
    """The brief, shared with the client, and the homepage design sent for review."""
    await files.upload(actor, "Creative brief.pdf", _once(brief_pdf(client_name)), project_id=project_id, shared=True)
    design = await deliverables.create(
        actor, project_id, "Homepage design", "Homepage design v1.png", _once(homepage_png())
    )
    await deliverables.send_for_review(actor, design.id)
