"""ORM models, one module per aggregate. Importing this package registers every table on Base.metadata."""

from models.audit import AuditAction, AuditEvent
from models.base import Base
from models.catalog import Interval, Purchase, PurchaseStatus, Service, Subscription
from models.clients import Client, Contact
from models.collaboration import (
    Comment,
    Milestone,
    NotificationPreference,
    NotificationSent,
    PendingNotification,
    RequestStatus,
    Update,
    Visibility,
    WorkRequest,
)
from models.documents import CalendarFeed, DocumentKind, DocumentRequest, DocumentSettings, DocumentStatus
from models.files import Approval, Decision, Deliverable, DeliverableStatus, DeliverableVersion, File, FileKind
from models.inbox import InboxItem, InboxKind, InboxRead
from models.invoices import Invoice, InvoiceLine, InvoiceStatus, InvoiceView, Payment, ReminderSent
from models.mail import OutboxAttachment, OutboxMail, OutboxTemplate
from models.organizations import Membership, Organization, Role
from models.payments import CheckoutAttempt, CheckoutStatus, StripeEvent
from models.portal import MagicLink, PortalSession
from models.projects import Project, ProjectStatus
from models.quotes import Quote, QuoteAcceptance, QuoteLine, QuoteStatus, QuoteView
from models.receivables import ReceivableDueDate, ReceivableMonth
from models.scheduling import JobRun
from models.shared_state import OneTimeTicket, RateHit
from models.staff import ApiToken, StaffSession, StaffUser
from models.team import PasswordReset, StaffInvitation
from models.time import TimeEntry, TimeStatus

__all__ = [
    "ApiToken",
    "Approval",
    "AuditAction",
    "AuditEvent",
    "Base",
    "CalendarFeed",
    "CheckoutAttempt",
    "CheckoutStatus",
    "Client",
    "Comment",
    "Contact",
    "Decision",
    "Deliverable",
    "DeliverableStatus",
    "DeliverableVersion",
    "DocumentKind",
    "DocumentRequest",
    "DocumentSettings",
    "DocumentStatus",
    "File",
    "FileKind",
    "InboxItem",
    "InboxKind",
    "InboxRead",
    "Interval",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "InvoiceView",
    "JobRun",
    "MagicLink",
    "Membership",
    "Milestone",
    "NotificationPreference",
    "NotificationSent",
    "OneTimeTicket",
    "Organization",
    "OutboxAttachment",
    "OutboxMail",
    "OutboxTemplate",
    "PasswordReset",
    "Payment",
    "PendingNotification",
    "PortalSession",
    "Project",
    "ProjectStatus",
    "Purchase",
    "PurchaseStatus",
    "Quote",
    "QuoteAcceptance",
    "QuoteLine",
    "QuoteStatus",
    "QuoteView",
    "RateHit",
    "ReceivableDueDate",
    "ReceivableMonth",
    "ReminderSent",
    "RequestStatus",
    "Role",
    "Service",
    "StaffInvitation",
    "StaffSession",
    "StaffUser",
    "StripeEvent",
    "Subscription",
    "TimeEntry",
    "TimeStatus",
    "Update",
    "Visibility",
    "WorkRequest",
]
