"""The approval certificate: one page stating what was approved (title, version, file name, SHA-256), by whom,
when and from where. It is drawn from the approval record alone, with reportlab's invariant mode, so staff and
the client download byte-identical documents, today and in a year.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from models.clients import Client
from models.organizations import Organization
from services.adapters import pdf
from services.core.actors import Actor
from services.core.db import unit_of_work
from services.core.errors import NotFound
from services.core.formatting import Formats
from services.files.deliverables import get_deliverable


@dataclass(frozen=True, slots=True)
class CertificateData:
    org_name: str
    client_name: str
    project_name: str
    title: str
    version: int
    file_name: str
    sha256: str
    approved_by: str  # name and address
    approved_at: str  # in the organization's zone and locale, with the UTC moment beside it
    ip: str
    user_agent: str
    deliverable_id: uuid.UUID
    page_size: str


async def certificate_data(actor: Actor, deliverable_id: uuid.UUID | str) -> CertificateData:
    """The approved deliverable's evidence as the certificate states it; NotFound until it is approved."""
    view = await get_deliverable(actor, deliverable_id)
    approval = view.approval
    if approval is None:
        raise NotFound("This deliverable has no approval yet.")
    async with unit_of_work(actor) as session:
        org = await session.get(Organization, view.org_id)
        client = await session.get(Client, view.client_id)
        assert org is not None and client is not None
        formats = Formats(org.locale, org.timezone)
        moment = approval.decided_at
        who = f"{approval.contact_name} <{approval.contact_email}>" if approval.contact_name else approval.contact_email
        return CertificateData(
            org_name=org.name,
            client_name=client.name,
            project_name=view.project_name,
            title=view.title,
            version=approval.version_number,
            file_name=approval.file_name,
            sha256=approval.sha256,
            approved_by=who,
            approved_at=f"{formats.moment(moment)} ({moment.strftime('%Y-%m-%d %H:%M:%S')} UTC)",
            ip=approval.ip or "not recorded",
            user_agent=approval.user_agent or "not recorded",
            deliverable_id=view.id,
            page_size=org.page_size,
        )


def file_name(data: CertificateData) -> str:
    return f"approval-certificate-{data.deliverable_id}.pdf"


def render_certificate(data: CertificateData) -> bytes:
    """Pure and CPU-bound: callers run it off the event loop."""

    def story(width: float) -> list[Flowable]:
        rows = [
            ("Deliverable", data.title),
            ("Project", data.project_name),
            ("Client", data.client_name),
            ("Version", str(data.version)),
            ("File", data.file_name),
            ("SHA-256 of the file", data.sha256),
            ("Approved by", data.approved_by),
            ("Approved at", data.approved_at),
            ("From IP address", data.ip),
            ("Browser", data.user_agent),
            ("Record", str(data.deliverable_id)),
        ]
        table = pdf.record_table(rows, width)
        return [
            pdf.text(data.org_name, pdf.NAME),
            Spacer(1, 6 * mm),
            pdf.text("Approval certificate", pdf.NAME),
            Spacer(1, 3 * mm),
            pdf.text(
                f"{data.approved_by} approved version {data.version} of “{data.title}” for {data.client_name}. "
                "The file approved is the one whose SHA-256 is given below: any copy with the same hash is "
                "byte for byte the file that was approved."
            ),
            Spacer(1, 6 * mm),
            table,
        ]

    return pdf.render(
        story,
        page_size=data.page_size,
        title=f"Approval certificate: {data.title}",
        author=data.org_name,
        footer=f"{data.org_name} · approval certificate · {data.title}",
    )
