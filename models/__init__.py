"""ORM models, one module per aggregate. Importing this package registers every table on Base.metadata."""

from models.audit import AuditEvent
from models.base import Base
from models.clients import Client, Contact
from models.invoices import Invoice, InvoiceLine, InvoiceStatus, InvoiceView, Payment, ReminderSent
from models.mail import OutboxAttachment, OutboxMail
from models.organizations import Membership, Organization, Role
from models.payments import CheckoutAttempt, CheckoutStatus, StripeEvent
from models.portal import MagicLink, PortalSession
from models.projects import Project, ProjectStatus
from models.staff import ApiToken, StaffSession, StaffUser

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "CheckoutAttempt",
    "CheckoutStatus",
    "Client",
    "Contact",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "InvoiceView",
    "MagicLink",
    "Membership",
    "Organization",
    "OutboxAttachment",
    "OutboxMail",
    "Payment",
    "PortalSession",
    "Project",
    "ProjectStatus",
    "ReminderSent",
    "Role",
    "StaffSession",
    "StaffUser",
    "StripeEvent",
]
