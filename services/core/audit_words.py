"""Audit events in words: "Ana recorded a payment of $5,000.00 on INV-0001" instead of `invoice.payment_recorded`.

The log keeps stable action codes (filters and integrations rely on them); people read these sentences, with the
code at hand in a tooltip. An action without a phrase here still reads as a sentence built from its code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from services.core import money
from services.core.errors import Invalid
from services.core.formatting import Formats

Detail = Mapping[str, Any]

# What the actor did, in the past tense; "{target}" is the event's target label (an invoice number, a title…).
PHRASES: dict[str, str] = {
    "api_token.created": "created the API token {target}",
    "api_token.revoked": "revoked the API token {target}",
    "calendar_feed.revoked": "revoked the calendar link {target}",
    "client.created": "added the client {target}",
    "client.updated": "updated the client {target}",
    "comment.added": "commented on {target}",
    "contact.activated": "reactivated the contact {target}",
    "contact.created": "added the contact {target}",
    "contact.deactivated": "deactivated the contact {target}",
    "contact.updated": "updated the contact {target}",
    "deliverable.approved": "approved the deliverable {target}",
    "deliverable.changes_requested": "asked for changes to the deliverable {target}",
    "deliverable.created": "created the deliverable {target}",
    "deliverable.deleted": "deleted the deliverable {target}",
    "deliverable.renamed": "renamed the deliverable to {target}",
    "document.made": "made the document {target}",
    "document.regenerate_requested": "asked for a document of {target} to be made again",
    "document.remade": "made the document {target} again",
    "documents.settings_changed": "changed the wording of the {target}",
    "file.deleted": "deleted the file {target}",
    "file.renamed": "renamed a file to {target}",
    "file.shared": "shared the file {target} with the client",
    "file.unshared": "stopped sharing the file {target} with the client",
    "file.uploaded": "uploaded the file {target}",
    "invoice.checkout_failed": "could not start a card payment for {target}",
    "invoice.checkout_started": "started a card payment for {target}",
    "invoice.payment_refused": "refused a payment event naming {target} that did not match its payment; nothing was applied",
    "invoice.created": "created the invoice {target}",
    "invoice.deleted": "deleted the draft invoice {target}",
    "invoice.sent": "sent the invoice {target}",
    "invoice.updated": "edited the invoice {target}",
    "invoice.viewed": "viewed the invoice {target}",
    "invoice.voided": "voided the invoice {target}",
    "invoice.reminder_sent": "sent a payment reminder for {target}",
    "milestone.added": "added the milestone {target}",
    "milestone.deleted": "deleted the milestone {target}",
    "milestone.updated": "updated the milestone {target}",
    "notifications.opted_out": "turned off notification mails",
    "notifications.preferences": "changed their notification settings",
    "org.created": "created the organization {target}",
    "org.invoice_settings_updated": "changed the invoice settings",
    "org.logo_removed": "removed the logo",
    "org.logo_updated": "uploaded a new logo",
    "org.updated": "changed the organization settings",
    "portal.invitation_sent": "invited {target} to the portal",
    "portal.link_refused": "was refused a sign-in link for {target}",
    "portal.link_requested": "asked for a sign-in link",
    "portal.session_revoked": "ended a portal session of {target}",
    "portal.signed_in": "signed in to the portal",
    "portal.signed_out": "signed out of the portal",
    "project.created": "created the project {target}",
    "project.rates_changed": "changed the hourly rate or hour budget of {target}",
    "project.updated": "updated the project {target}",
    "purchase.needs_review": "received a payment for {target} that needs review; it was not applied",
    "purchase.paid": "recorded a paid purchase of {target}",
    "purchase.refused": "refused a payment event naming a purchase of {target} that did not match it",
    "purchase.started": "started a purchase of {target}",
    "quote.accepted": "accepted and signed the quote {target}",
    "quote.converted": "accepted the quote {target} on the client's word and made its invoice",
    "quote.created": "created the quote {target}",
    "quote.declined": "declined the quote {target}",
    "quote.deleted": "deleted the draft quote {target}",
    "quote.sent": "sent the quote {target}",
    "quote.updated": "edited the quote {target}",
    "quote.viewed": "viewed the quote {target}",
    "request.assigned": "assigned the request {target}",
    "request.created": "opened the request {target}",
    "request.updated": "edited the request {target}",
    "service.archived": "archived the service {target}",
    "service.created": "added the service {target}",
    "service.moved": "moved the service {target} on the menu",
    "service.restored": "brought back the service {target}",
    "service.updated": "edited the service {target}",
    "settings.uploads_changed": "changed the upload settings",
    "staff.invitation_accepted": "accepted the invitation to join the team",
    "staff.invitation_resent": "sent the invitation to {target} again",
    "staff.invitation_revoked": "withdrew the invitation to {target}",
    "staff.password_reset": "reset their password by email",
    "staff.password_reset_requested": "asked for a password reset link",
    "staff.removed": "removed {target} from the team",
    "staff.break_glass_sign_in": "signed in with a password although SSO is required (owner break-glass)",
    "staff.sign_in_failed": "failed to sign in",
    "staff.sign_in_refused_sso": "was refused password sign-in because SSO is required",
    "staff.signed_in": "signed in",
    "staff.signed_out": "signed out",
    "staff.sso_failed": "was refused single sign-on",
    "stripe.account_bound": "bound {target} to its Stripe account",
    "stripe.account_created": "connected {target} to a new Stripe account",
    "stripe.account_disconnected": "disconnected {target} from its Stripe account",
    "stripe.account_state": "recorded the state Stripe reports for the Stripe account of {target}",
    "subscription.cancel_requested": "asked to end the subscription to {target} at the end of its period",
    "subscription.event_refused": "refused a subscription event for {target} from another Stripe account",
    "subscription.payment_failed": "could not collect a renewal of {target}",
    "subscription.renewed": "recorded the renewal invoice {target}",
    "subscription.status_changed": "recorded a new status of the subscription to {target}",
    "time.approved": "approved the time entry {target}",
    "time.changed": "changed the time entry {target}",
    "time.deleted": "deleted the time entry {target}",
    "time.logged": "logged time: {target}",
    "update.posted": "posted an update on {target}",
}

REQUEST_COLUMNS = {"backlog": "Backlog", "in_progress": "In progress", "done": "Done"}


def _amount(detail: Detail, formats: Formats) -> str:
    """The detail's amount in the organization's money format; the raw text when it cannot be read back."""
    text, code = str(detail.get("amount", "")), str(detail.get("currency", ""))
    try:
        return formats.money(money.to_minor(text, code), code)
    except Invalid:
        return f"{text} {code}".strip()


def _payment_recorded(target: str, detail: Detail, formats: Formats) -> str:
    return f"recorded a payment of {_amount(detail, formats)} on {target}"


def _payment_received(target: str, detail: Detail, formats: Formats) -> str:
    return f"received a card payment of {_amount(detail, formats)} on {target}"


def _request_moved(target: str, detail: Detail, formats: Formats) -> str:
    column = REQUEST_COLUMNS.get(str(detail.get("to", "")), str(detail.get("to", "")))
    return f"moved the request {target} to {column}" if column else f"moved the request {target}"


def _billing_changed(target: str, detail: Detail, formats: Formats) -> str:
    return f"made {target} a billing contact" if detail.get("billing") else f"made {target} no longer a billing contact"


def _portal_access(target: str, detail: Detail, formats: Formats) -> str:
    return f"gave {target} portal access" if detail.get("portal_enabled") else f"removed {target}'s portal access"


def _progress_set(target: str, detail: Detail, formats: Formats) -> str:
    percent = detail.get("percent")
    if isinstance(percent, int):
        return f"set the progress of {target} to {percent}%"
    return f"set the progress of {target} to follow its milestones"


def _staff_invited(target: str, detail: Detail, formats: Formats) -> str:
    return f"invited {target} to the team as {detail.get('role', 'a member')}"


def _role_changed(target: str, detail: Detail, formats: Formats) -> str:
    return f"changed the role of {target} from {detail.get('from', '?')} to {detail.get('to', '?')}"


def _version(detail: Detail) -> str:
    version = detail.get("version")
    return f" (version {version})" if isinstance(version, int) else ""


def _deliverable_sent(target: str, detail: Detail, formats: Formats) -> str:
    return f"sent the deliverable {target}{_version(detail)} for review"


def _version_added(target: str, detail: Detail, formats: Formats) -> str:
    return f"uploaded a new version of the deliverable {target}{_version(detail)}"


def _milestone_done(target: str, detail: Detail, formats: Formats) -> str:
    title = str(detail.get("title", ""))
    return f"ticked off the milestone {title} of {target}" if title else f"ticked off a milestone of {target}"


def _entries(detail: Detail) -> str:
    count = detail.get("entries")
    return f"{count} time entr{'y' if count == 1 else 'ies'}" if isinstance(count, int) else "time entries"


def _week_copied(target: str, detail: Detail, formats: Formats) -> str:
    return f"copied {_entries(detail)} from the {target}"


def _time_rejected(target: str, detail: Detail, formats: Formats) -> str:
    reason = str(detail.get("reason", ""))
    return f"rejected the time entry {target}" + (f": “{reason}”" if reason else "")


def _drafted_from_hours(target: str, detail: Detail, formats: Formats) -> str:
    project = str(detail.get("project", ""))
    return f"drafted the invoice {target} from {_entries(detail)}" + (f" on {project}" if project else "")


def _rate_changed(target: str, detail: Detail, formats: Formats) -> str:
    # the event names the person by id only: the sentence says whose rate when a label is there
    whose = "a team member" if target == "it" else target
    return f"changed the default hourly rate of {whose}"


# Phrases that need the event's detail (amounts, the column a card moved to, what was switched on or off).
BUILDERS: dict[str, Callable[[str, Detail, Formats], str]] = {
    "invoice.payment_recorded": _payment_recorded,
    "invoice.payment_received": _payment_received,
    "request.moved": _request_moved,
    "contact.billing_changed": _billing_changed,
    "contact.portal_access_changed": _portal_access,
    "project.progress_set": _progress_set,
    "staff.invited": _staff_invited,
    "staff.role_changed": _role_changed,
    "deliverable.sent": _deliverable_sent,
    "deliverable.version_added": _version_added,
    "milestone.done": _milestone_done,
    "time.week_copied": _week_copied,
    "time.rejected": _time_rejected,
    "invoice.drafted_from_hours": _drafted_from_hours,
    "staff.rate_changed": _rate_changed,
}


def phrase(action: str, target: str, detail: Detail, formats: Formats) -> str:
    """What happened, without who: "recorded a payment of $5,000.00 on INV-0001"."""
    target = target or "it"
    if action in BUILDERS:
        return BUILDERS[action](target, detail, formats)
    if action in PHRASES:
        return PHRASES[action].format(target=target)
    noun, _, verb = action.partition(".")
    return " ".join(x for x in (verb.replace("_", " "), noun.replace("_", " "), target) if x)


def sentence(who: str, action: str, target: str, detail: Detail, formats: Formats) -> str:
    """ "Ana recorded a payment of $5,000.00 on INV-0001"."""
    return f"{who or 'Someone'} {phrase(action, target, detail, formats)}"


def action_label(action: str) -> str:
    """An action code as the audit filter offers it: "Invoice: payment recorded"."""
    noun, _, verb = action.partition(".")
    return f"{noun.replace('_', ' ').capitalize()}: {verb.replace('_', ' ')}" if verb else action
