"""Downloads for signed-in staff: an invoice's or a quote's PDF without counting it as the client's view."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from portal_app.auth.staff import current_staff, login_redirect
from portal_app.responses import (
    NO_TRACE,
    invoice_not_found,
    pdf_response,
    quote_not_found,
    render_pdf,
    render_quote_pdf,
)
from services.billing import invoices
from services.core.errors import Invalid, NotFound
from services.documents import documents
from services.organizations import branding
from services.quotes import quotes

router = APIRouter(include_in_schema=False)


@router.get("/invoices/{invoice_id}/pdf")
async def staff_invoice_pdf(request: Request, invoice_id: str) -> Response:
    context = await current_staff(request)
    if context is None:
        return login_redirect(request)
    try:
        detail = await invoices.get_invoice(context.actor, invoice_id)
    except NotFound:
        return invoice_not_found()
    return pdf_response(detail, await render_pdf(detail, await branding.invoice_logo(context.actor.org_id)))


@router.get("/quotes/{quote_id}/pdf")
async def staff_quote_pdf(request: Request, quote_id: str) -> Response:
    """A draft's too: staff check what the client will get before sending it."""
    context = await current_staff(request)
    if context is None:
        return login_redirect(request)
    try:
        detail = await quotes.get_quote(context.actor, quote_id)
    except NotFound:
        return quote_not_found()
    return pdf_response(detail, await render_quote_pdf(detail, await branding.invoice_logo(context.actor.org_id)))


@router.get("/projects/{project_id}/documents/{kind}/preview.pdf")
async def staff_document_preview(
    request: Request, project_id: str, kind: str, milestone: str | None = None
) -> Response:
    """A generated document as it would be made now (SPEC §17): drawn for this answer, never stored or sent."""
    context = await current_staff(request)
    if context is None:
        return login_redirect(request)
    try:
        data = await documents.preview(context.actor, project_id, kind, milestone)
    except (NotFound, Invalid) as exc:
        return Response(exc.message, status_code=404, media_type="text/plain; charset=utf-8")
    headers = {**NO_TRACE, "Content-Disposition": f'inline; filename="{kind}-preview.pdf"'}  # a kind checked above
    return Response(data, media_type="application/pdf", headers=headers)
