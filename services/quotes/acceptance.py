"""Quotes, client side: reading one (portal or public link, every view recorded), accepting it with a typed
signature, declining it with a reason; and staff converting one by hand on the client's word.

Acceptance is evidence: the name typed, the contact (or the link's visitor and the email they gave), the time, IP
and user agent, the terms' fingerprint and the SHA-256 of the quote exactly as the page showed it. The page sends
back the hash it showed; if the quote reads differently now, nothing is signed. Acceptance happens once, whatever
two tabs or a double click do: the quote row is locked (PostgreSQL), the change from sent to accepted is a
conditional UPDATE that only one transaction can make, and the acceptance row is unique per quote. In the same
transaction the quote becomes an invoice (its deposit, or its whole amount), sent to the client, and, when asked,
a project; the agency and the signer are mailed.

The writes run in a session bound to the organization (acceptance touches staff-only rows: receivables, the
project's inbox), after the contact's own right to the quote is checked; the audit log names the contact.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import Service
from models.clients import Contact
from models.inbox import InboxKind
from models.invoices import Invoice
from models.organizations import Organization
from models.projects import Project
from models.quotes import Quote, QuoteAcceptance, QuoteLine, QuoteStatus, QuoteView
from services.billing import invoice_views, invoices, line_items
from services.billing.invoice_access import well_formed_token
from services.catalog import project_templates
from services.core import audit, clock, config
from services.core.actors import Actor, PortalActor, SystemActor, require_staff
from services.core.common import LONG_TEXT_LINES, normalize_email, required_text
from services.core.db import rows_affected, unit_of_work
from services.core.errors import Conflict, Invalid, NotFound
from services.core.formatting import Formats
from services.mail import layout, outbox
from services.mail.layout import Recipient
from services.organizations import branding
from services.projects import inbox
from services.quotes import quote_views
from services.quotes.quote_views import QuoteDetail, build_detail, deposit_label
from services.quotes.quotes import NOT_FOUND, changed, load_quote
from services.staff import staff

PUBLIC_VIAS = ("public", "pdf")
PORTAL_VIAS = ("portal", "portal_pdf")
_SHA256 = re.compile(r"[0-9a-f]{64}")
CHANGED = "This quote changed since you opened it. Please read it again before you accept it."
MAX_REASON = 2000


@dataclass(frozen=True, slots=True)
class Signature:
    """What the Accept form sends: the typed name, the "I agree" box, the hash the page showed."""

    full_name: str
    agreed: bool
    shown_sha256: str
    email: str = ""  # the public link's visitor may give one; a contact's is known
    user_agent: str = ""


@dataclass(frozen=True, slots=True)
class _Signer:
    name: str
    email: str
    contact_id: uuid.UUID | None
    via: str
    ip: str
    user_agent: str


# --- reading -------------------------------------------------------------------------------------------------------


def _record_view(session: AsyncSession, actor: Actor, quote: Quote, *, via: str, ip: str, agent: str) -> None:
    session.add(
        QuoteView(
            org_id=quote.org_id,
            client_id=quote.client_id,
            quote_id=quote.id,
            via=via,
            contact_id=actor.contact_id if isinstance(actor, PortalActor) else None,
            ip=ip[:45],
            user_agent=agent[:400],
        )
    )
    audit.record(
        session,
        actor,
        "quote.viewed",
        org_id=quote.org_id,
        target_type="quote",
        target_id=quote.id,
        target_label=quote.number,
        detail={"via": via, "ip": ip},
    )


async def _by_token(token: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(quote id, org id) behind a public token, or None: unknown, malformed, or still a draft. The lookup is by
    the token's SHA-256, so timing says nothing about how close a guess came."""
    if not well_formed_token(token):
        return None
    async with unit_of_work(SystemActor(label="public link")) as session:
        found = (
            await session.execute(
                select(Quote.id, Quote.org_id, Quote.status).where(
                    Quote.public_token_hash == quote_views.public_token_hash(token)
                )
            )
        ).one_or_none()
    if found is None or found.status == QuoteStatus.draft:
        return None
    return found.id, found.org_id


async def open_public(
    token: str, *, ip: str, user_agent: str, via: str = "public", record: bool = True
) -> QuoteDetail | None:
    """The quote behind a public link, the view recorded (unless `record` is False: the page drawn again around a
    refused answer); None for an unknown token or a draft."""
    if via not in PUBLIC_VIAS:
        raise ValueError(f"unknown public view kind {via!r}")
    found = await _by_token(token)
    if found is None:
        return None
    viewer = SystemActor(org_id=found[1], label="public link", ip=ip)
    async with unit_of_work(viewer) as session:
        try:
            quote = await load_quote(session, viewer, found[0])
        except NotFound:  # deleted in between
            return None
        if record:
            _record_view(session, viewer, quote, via=via, ip=ip, agent=user_agent)
        return await build_detail(session, quote)


async def open_portal_quote(
    actor: PortalActor, quote_id: uuid.UUID | str, *, ip: str, user_agent: str, via: str = "portal"
) -> QuoteDetail:
    """The portal's quote page (or its PDF): the view recorded and the quote read in one unit of work. A draft,
    another client's quote or no such id are all "not found"."""
    if via not in PORTAL_VIAS:
        raise ValueError(f"unknown portal view kind {via!r}")
    if not isinstance(actor, PortalActor):
        raise NotFound(NOT_FOUND)
    if ip and not actor.ip:
        actor = dataclasses.replace(actor, ip=ip)
    async with unit_of_work(actor) as session:
        quote = await load_quote(session, actor, quote_id)
        _record_view(session, actor, quote, via=via, ip=ip, agent=user_agent)
        return await build_detail(session, quote)


# --- answering -----------------------------------------------------------------------------------------------------


def _check_signature(signature: Signature, *, ask_email: bool) -> tuple[str, str]:
    """(name, email typed) or `Invalid` with every problem at once."""
    problems: list[Invalid] = []
    name = line_items.collect(lambda: required_text(signature.full_name, "full_name", "Full name", 200), problems)
    if name is not None and len(name) < 2:
        problems.append(Invalid("Type your full name.", "full_name"))
    if not signature.agreed:
        problems.append(Invalid("Tick “I agree” to accept the quote and its terms.", "agree"))
    email = ""
    if ask_email and (signature.email or "").strip():
        email = line_items.collect(lambda: normalize_email(signature.email, "email"), problems) or ""
    if not _SHA256.fullmatch(signature.shown_sha256 or ""):
        problems.append(Invalid("This page is out of date. Reload the quote and try again.", "sha256"))
    if problems:
        raise Invalid.of(problems)
    assert name is not None
    return name, email


def _reason(value: str) -> str:
    return required_text(value, "reason", "Reason", MAX_REASON, max_lines=LONG_TEXT_LINES)


def _still_answerable(detail: QuoteDetail) -> None:
    status = detail.display_status
    if status == "accepted":
        raise Conflict("This quote was accepted already.")
    if status == "declined":
        raise Conflict("This quote was declined already.")
    if status == "expired":
        raise Conflict(
            f"This quote expired on {detail.formats.day(detail.valid_until)}. Ask {detail.seller.name} for a new one."
        )
    if status != "sent":
        raise NotFound(NOT_FOUND)


def _org_actor(actor: Actor, org_id: uuid.UUID) -> SystemActor:
    """The session's actor for an answer's writes: the organization, on behalf of `actor` (whom the log names)."""
    return SystemActor(org_id=org_id, label="quote answer", ip=actor.ip)


async def _load_answerable(session: AsyncSession, actor: Actor, quote_id: uuid.UUID | str) -> Quote:
    """The quote locked, when `actor` may answer it: a portal actor only its own client's, never a draft."""
    assert actor.org_id is not None
    quote = await load_quote(session, _org_actor(actor, actor.org_id), quote_id, lock=True)
    if quote.status == QuoteStatus.draft:
        raise NotFound(NOT_FOUND)
    if isinstance(actor, PortalActor) and (quote.client_id != actor.client_id or quote.org_id != actor.org_id):
        raise NotFound(NOT_FOUND)
    return quote


async def accept_in_portal(actor: PortalActor, quote_id: uuid.UUID | str, signature: Signature) -> QuoteDetail:
    """A signed-in contact accepts a quote of their client."""
    if not isinstance(actor, PortalActor):
        raise NotFound(NOT_FOUND)
    name, _ = _check_signature(signature, ask_email=False)
    logo = await branding.invoice_logo(actor.org_id)  # read before the transaction, not beside it
    async with unit_of_work(_org_actor(actor, actor.org_id)) as session:
        quote = await _load_answerable(session, actor, quote_id)
        contact = await session.get(Contact, actor.contact_id)
        if contact is None or contact.client_id != quote.client_id:
            raise NotFound(NOT_FOUND)
        signer = _Signer(name, contact.email, contact.id, "portal", actor.ip, signature.user_agent)
        return await _accept(session, actor, quote, signer, signature.shown_sha256, logo)


async def accept_public(token: str, signature: Signature, *, ip: str) -> QuoteDetail:
    """Whoever holds the quote's link accepts it (entry point without an actor: the token is the credential)."""
    name, email = _check_signature(signature, ask_email=True)
    found = await _by_token(token)
    if found is None:
        raise NotFound(NOT_FOUND)
    quote_id, org_id = found
    actor = SystemActor(org_id=org_id, label="public link", ip=ip)
    logo = await branding.invoice_logo(org_id)
    async with unit_of_work(actor) as session:
        quote = await _load_answerable(session, actor, quote_id)
        contact_id = None
        if email:  # the visitor is one of the client's contacts: the record says which
            contact_id = await session.scalar(
                select(Contact.id).where(
                    Contact.org_id == org_id, Contact.client_id == quote.client_id, Contact.email == email
                )
            )
        signer = _Signer(name, email, contact_id, "public", ip, signature.user_agent)
        return await _accept(session, actor, quote, signer, signature.shown_sha256, logo)


async def _claim(session: AsyncSession, quote: Quote, status: QuoteStatus, **values: object) -> None:
    """sent → `status`, by the one transaction whose UPDATE finds it still sent; any other gets `Conflict`."""
    now = clock.now()
    result = await session.execute(
        update(Quote)
        .where(Quote.id == quote.id, Quote.org_id == quote.org_id, Quote.status == QuoteStatus.sent)
        .values(status=status, decided_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if rows_affected(result) != 1:
        raise Conflict("This quote was answered already.")
    await session.refresh(quote)


async def _accept(
    session: AsyncSession, actor: Actor, quote: Quote, signer: _Signer, shown: str, logo: bytes | None
) -> QuoteDetail:
    detail = await build_detail(session, quote)
    _still_answerable(detail)
    if detail.sha256 != shown:
        raise Conflict(CHANGED)
    await _claim(session, quote, QuoteStatus.accepted)
    session.add(
        QuoteAcceptance(
            org_id=quote.org_id,
            client_id=quote.client_id,
            quote_id=quote.id,
            full_name=signer.name,
            contact_id=signer.contact_id,
            email=signer.email,
            accepted_at=quote.decided_at,
            via=signer.via,
            ip=signer.ip[:45],
            user_agent=signer.user_agent[:400],
            sha256=detail.sha256,
            terms_version=detail.terms_version,
        )
    )
    org = await session.get(Organization, quote.org_id)
    assert org is not None
    project = await _project(session, actor, org, quote, signer.contact_id)
    invoice = await _invoice(session, actor, org, quote, detail)
    to = await invoices.recipients(session, invoice)
    if not to and signer.email:
        to = [Recipient(signer.email, signer.name)]
    await invoices.send_in(session, actor, invoice, logo, to=to)
    audit.record(
        session,
        actor,
        "quote.accepted",
        org_id=quote.org_id,
        target_type="quote",
        target_id=quote.id,
        target_label=quote.number,
        detail={
            "name": signer.name,
            "email": signer.email,
            "via": signer.via,
            "ip": signer.ip,
            "sha256": detail.sha256,
            "invoice": invoice.number,
        },
    )
    await session.flush()
    accepted = await build_detail(session, quote)
    await _tell_of_acceptance(session, org, accepted, signer, invoice, logo)
    if project is not None:
        inbox.record_in(
            session, project, InboxKind.decision, f"Accepted quote {quote.number}", signer.name or signer.email
        )
    changed(session, quote)
    return accepted


async def _project(
    session: AsyncSession, actor: Actor, org: Organization, quote: Quote, contact_id: uuid.UUID | None
) -> Project | None:
    """The quote's project: the one it names, else the one it asks to start (from its template, if any)."""
    if quote.project_id is not None:
        return await session.get(Project, quote.project_id)
    if not quote.start_project:
        return None
    template = await session.get(Service, quote.project_template_id) if quote.project_template_id else None
    project = await project_templates.start_project_in(
        session,
        actor,
        org,
        client_id=quote.client_id,
        name=quote.title or f"Quote {quote.number}",
        template=template,
        requester_contact_id=contact_id,
        via="quote",
    )
    quote.project_id = project.id
    return project


async def _invoice(
    session: AsyncSession, actor: Actor, org: Organization, quote: Quote, detail: QuoteDetail
) -> Invoice:
    """A draft invoice for what acceptance bills: the deposit's lines (one per tax rate), else the quote's own."""
    stored = list(
        await session.scalars(
            select(QuoteLine)
            .where(QuoteLine.quote_id == quote.id, QuoteLine.org_id == quote.org_id)
            .order_by(QuoteLine.position)
        )
    )
    formats = Formats(org.locale, org.timezone)
    total = formats.money(quote.total_minor, quote.currency)
    if quote.deposit_percent > 0:
        label = deposit_label(quote.deposit_percent, quote.number)
        lines, discount = line_items.deposit_lines(stored, quote.deposit_percent, label), Decimal(0)
        notes = f"{label}, whose total is {total}. The balance is invoiced as the work proceeds."
    else:
        lines, discount = line_items.from_rows(stored), quote.discount_percent
        notes = f"For quote {quote.number}."
    today = quote_views.today_for(org)
    checked = invoices.CheckedFields(
        quote.currency, today, today + timedelta(days=org.payment_terms_days), discount, notes, "", lines
    )
    invoice = await invoices.new_draft_in(session, actor, org.id, quote.client_id, quote.project_id, checked)
    if invoice.total_minor != detail.deposit_minor:  # the page said what acceptance bills: it bills exactly that
        raise RuntimeError(f"quote {quote.id}: invoice total {invoice.total_minor} != shown {detail.deposit_minor}")
    quote.invoice_id = invoice.id
    await session.flush()
    return invoice


async def _tell_of_acceptance(
    session: AsyncSession, org: Organization, detail: QuoteDetail, signer: _Signer, invoice: Invoice, logo: bytes | None
) -> None:
    """The agency hears who accepted and what was invoiced; the signer gets the signed quote."""
    formats = Formats(org.locale, org.timezone)
    total = formats.money(detail.total_minor, detail.currency)
    billed = formats.money(invoice.total_minor, invoice.currency)
    who = f"{signer.name} ({signer.email})" if signer.email else signer.name
    what = "the deposit" if detail.has_deposit else "the whole amount"
    staff_blocks: list[layout.Block] = [
        f"{who} accepted quote {detail.number} for {detail.buyer.name} ({total}).",
        f"Invoice {invoice.number} for {what} ({billed}) was sent to the client.",
        *([f"The project “{detail.project_name}” is started."] if detail.start_project and detail.project_name else []),
        layout.Button("Open the quote", f"{config.get().base_url}/quotes/{detail.id}"),
    ]
    brand = layout.Branding.of(org)
    for recipient in await staff.agency_recipients(session, org):
        mail = layout.compose(brand, recipient.name, staff_blocks)
        outbox.queue(
            session,
            to=recipient.email,
            subject=f"Quote {detail.number} accepted by {detail.buyer.name}",
            text=mail.text,
            html=mail.html,
            org_id=org.id,
        )
    if not signer.email:
        return
    from services.quotes import quote_pdf  # reportlab, imported on first use

    signed = await asyncio.to_thread(quote_pdf.render_quote, detail, logo)
    mail = layout.compose(
        brand,
        signer.name,
        [
            f"Thank you: you accepted quote {detail.number} from {detail.seller.name} "
            f"on {formats.moment(detail.decided_at or clock.now())}.",
            "The signed quote, with the record of your acceptance, is attached.",
            f"Invoice {invoice.number} for {what} ({billed}) is issued. View and pay it here:",
            layout.Button("View the invoice", invoice_views.public_url(invoice.id)),
        ],
        footer=layout.sender_footer(org),
    )
    outbox.queue(
        session,
        to=signer.email,
        subject=f"You accepted quote {detail.number} from {detail.seller.name}",
        text=mail.text,
        html=mail.html,
        org_id=org.id,
        attachments=[(f"{detail.number}-signed.pdf", "application/pdf", signed)],
    )


async def decline_in_portal(actor: PortalActor, quote_id: uuid.UUID | str, reason: str) -> QuoteDetail:
    if not isinstance(actor, PortalActor):
        raise NotFound(NOT_FOUND)
    text = _reason(reason)
    async with unit_of_work(_org_actor(actor, actor.org_id)) as session:
        quote = await _load_answerable(session, actor, quote_id)
        return await _decline(session, actor, quote, text, actor.email)


async def decline_public(token: str, reason: str, *, email: str = "", ip: str) -> QuoteDetail:
    """Whoever holds the quote's link declines it (entry point without an actor: the token is the credential)."""
    problems: list[Invalid] = []
    text = line_items.collect(lambda: _reason(reason), problems)
    typed = line_items.collect(lambda: normalize_email(email, "email") if (email or "").strip() else "", problems)
    if problems:
        raise Invalid.of(problems)
    assert text is not None and typed is not None
    found = await _by_token(token)
    if found is None:
        raise NotFound(NOT_FOUND)
    actor = SystemActor(org_id=found[1], label="public link", ip=ip)
    async with unit_of_work(actor) as session:
        quote = await _load_answerable(session, actor, found[0])
        return await _decline(session, actor, quote, text, typed)


async def _decline(session: AsyncSession, actor: Actor, quote: Quote, reason: str, by: str) -> QuoteDetail:
    _still_answerable(await build_detail(session, quote))
    await _claim(session, quote, QuoteStatus.declined, decline_reason=reason, declined_by=by[:254])
    audit.record(
        session,
        actor,
        "quote.declined",
        org_id=quote.org_id,
        target_type="quote",
        target_id=quote.id,
        target_label=quote.number,
        detail={"reason": reason[:500], "by": by},
    )
    org = await session.get(Organization, quote.org_id)
    assert org is not None
    detail = await build_detail(session, quote)
    brand = layout.Branding.of(org)
    blocks: list[layout.Block] = [
        f"{by or 'The client'} declined quote {detail.number} for {detail.buyer.name}.",
        "Their reason:",
        reason,
        layout.Button("Open the quote", f"{config.get().base_url}/quotes/{detail.id}"),
    ]
    for recipient in await staff.agency_recipients(session, org):
        mail = layout.compose(brand, recipient.name, blocks)
        outbox.queue(
            session,
            to=recipient.email,
            subject=f"Quote {detail.number} declined by {detail.buyer.name}",
            text=mail.text,
            html=mail.html,
            org_id=org.id,
        )
    changed(session, quote)
    return detail


# --- converting by hand --------------------------------------------------------------------------------------------


async def convert_quote(actor: Actor, quote_id: uuid.UUID | str) -> QuoteDetail:
    """Staff accept a sent quote on the client's word (a call, a signed paper): it becomes a draft invoice to review
    and send (its deposit, or its whole amount) and, when asked, a project. No signature is recorded: the quote
    says it was converted, and by whom."""
    staff_actor = require_staff(actor)
    async with unit_of_work(actor) as session:
        quote = await load_quote(session, actor, quote_id, lock=True)
        if quote.status == QuoteStatus.draft:
            raise Conflict("Send the quote first: a draft has not been offered to the client.")
        if quote.status != QuoteStatus.sent:
            raise Conflict(f"This quote was {quote.status.value} already.")
        detail = await build_detail(session, quote)
        await _claim(session, quote, QuoteStatus.accepted, converted_by_user_id=staff_actor.user_id)
        org = await session.get(Organization, quote.org_id)
        assert org is not None
        await _project(session, actor, org, quote, None)
        invoice = await _invoice(session, actor, org, quote, detail)
        audit.record(
            session,
            actor,
            "quote.converted",
            org_id=quote.org_id,
            target_type="quote",
            target_id=quote.id,
            target_label=quote.number,
            detail={"invoice": invoice.number, "expired": detail.display_status == "expired"},
        )
        changed(session, quote)
        await session.flush()
        return await build_detail(session, quote)
