"""What each kind of document says in the organization's own words, and whether it is made at all.

Portico's wording stands wherever an organization has not written its own. Wording may name `{project}`,
`{client}` and `{organization}`; they are filled in plainly (no format strings: a brace in the text stays a brace).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.documents import DocumentKind, DocumentSettings
from services.core import audit, clock
from services.core.actors import Actor, require_admin, require_staff
from services.core.common import LONG_TEXT_LINES, optional_text
from services.core.db import unit_of_work
from services.core.errors import Invalid

MAX_TITLE = 120
MAX_PARAGRAPH = 2000
PLACES = ("{project}", "{client}", "{organization}")


@dataclass(frozen=True, slots=True)
class Wording:
    kind: DocumentKind
    enabled: bool
    title: str
    intro: str
    closing: str
    custom: bool  # the organization wrote some of it

    def filled(self, *, project: str, client: str, organization: str) -> Wording:
        def fill(text: str) -> str:
            for place, value in zip(PLACES, (project, client, organization), strict=True):
                text = text.replace(place, value)
            return text

        return Wording(
            self.kind, self.enabled, fill(self.title), fill(self.intro), fill(self.closing), custom=self.custom
        )


DEFAULTS: dict[DocumentKind, Wording] = {
    DocumentKind.welcome: Wording(
        DocumentKind.welcome,
        enabled=True,
        title="Welcome to {project}",
        intro=(
            "Thank you for choosing {organization}. This packet introduces the people working on {project}, the "
            "milestones we have planned together, and how to follow the work in your client portal."
        ),
        closing="We look forward to working with you. Questions at any time are welcome.",
        custom=False,
    ),
    DocumentKind.progress: Wording(
        DocumentKind.progress,
        enabled=True,
        title="Progress report",
        intro="A milestone of {project} is done. Here is where the project stands, and what comes next.",
        closing="Your portal shows the project as it moves, day by day.",
        custom=False,
    ),
    DocumentKind.completion: Wording(
        DocumentKind.completion,
        enabled=True,
        title="Certificate of completion",
        intro="{organization} certifies that the project {project} for {client} has been completed.",
        closing="Thank you for the trust you placed in us.",
        custom=False,
    ),
}

LABELS = {
    DocumentKind.welcome: "Welcome packet",
    DocumentKind.progress: "Progress report",
    DocumentKind.completion: "Completion certificate",
}


def _merged(kind: DocumentKind, row: DocumentSettings | None) -> Wording:
    base = DEFAULTS[kind]
    if row is None:
        return base
    return Wording(
        kind,
        row.enabled,
        row.title or base.title,
        row.intro or base.intro,
        row.closing or base.closing,
        custom=bool(row.title or row.intro or row.closing),
    )


async def wording_in(session: AsyncSession, org_id: uuid.UUID, kind: DocumentKind) -> Wording:
    row = await session.scalar(
        select(DocumentSettings).where(DocumentSettings.org_id == org_id, DocumentSettings.kind == kind)
    )
    return _merged(kind, row)


@dataclass(frozen=True, slots=True)
class OwnWording:
    """What the organization wrote for a kind, as it wrote it ("" where Portico's wording stands)."""

    kind: DocumentKind
    enabled: bool
    title: str
    intro: str
    closing: str


async def list_own_wordings(actor: Actor) -> list[OwnWording]:
    """Each kind as the organization set it, in the order a project meets them (the settings form)."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        rows = {r.kind: r for r in await session.scalars(select(DocumentSettings))}
    return [
        OwnWording(kind, row.enabled, row.title, row.intro, row.closing)
        if (row := rows.get(kind))
        else OwnWording(kind, True, "", "", "")
        for kind in DocumentKind
    ]


def parse_kind(value: object) -> DocumentKind:
    try:
        return DocumentKind(str(value))
    except ValueError:
        choices = ", ".join(k.value for k in DocumentKind)
        raise Invalid(f"The kind of document is one of: {choices}.", "kind") from None


async def save_wording(
    actor: Actor, kind: DocumentKind | str, *, enabled: bool, title: str, intro: str, closing: str
) -> Wording:
    """Owners and admins set a kind's wording ("" for Portico's own) and whether it is made at all."""
    staff = require_admin(actor)
    kind = parse_kind(kind)
    if not isinstance(enabled, bool):
        raise Invalid("Say whether this document is made: true or false.", "enabled")
    values = {
        "title": optional_text(title, "title", "Title", MAX_TITLE),
        "intro": optional_text(intro, "intro", "Opening paragraph", MAX_PARAGRAPH, max_lines=LONG_TEXT_LINES),
        "closing": optional_text(closing, "closing", "Closing paragraph", MAX_PARAGRAPH, max_lines=LONG_TEXT_LINES),
    }
    async with unit_of_work(actor) as session:
        row = await session.scalar(select(DocumentSettings).where(DocumentSettings.kind == kind))
        if row is None:
            row = DocumentSettings(org_id=staff.org_id, kind=kind, enabled=enabled, **values)
            session.add(row)
        else:
            row.enabled = enabled
            for key, value in values.items():
                setattr(row, key, value)
        row.updated_at = clock.now()
        audit.record(
            session,
            actor,
            "documents.settings_changed",
            target_type="organization",
            target_id=staff.org_id,
            target_label=LABELS[kind],
            detail={"enabled": enabled, "own_wording": bool(any(values.values()))},
        )
        await session.flush()
        return _merged(kind, row)
