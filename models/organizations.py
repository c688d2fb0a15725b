from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, StaffOnly, Timestamped

# Space-separated keys of services.adapters.file_types.FILE_KINDS: every kind, until an owner narrows it.
DEFAULT_FILE_KINDS = "images pdf video text documents archives"


class Role(enum.StrEnum):
    owner = "owner"
    admin = "admin"
    member = "member"


class Organization(IdMixin, Timestamped, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    portal_enabled: Mapped[bool] = mapped_column(default=True)
    accent_color: Mapped[str] = mapped_column(String(7), default="#4f46e5")
    welcome_message: Mapped[str] = mapped_column(String(2000), default="")
    support_email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(1000), default="")
    # The logo as uploaded (PNG or JPEG, checked by content, small): shown in the portal and on invoices.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_content_type: Mapped[str] = mapped_column(String(32), default="")
    # Invoicing settings
    invoice_prefix: Mapped[str] = mapped_column(String(20), default="INV-")
    next_invoice_number: Mapped[int] = mapped_column(default=1)
    quote_prefix: Mapped[str] = mapped_column(String(20), default="Q-", server_default="Q-")
    next_quote_number: Mapped[int] = mapped_column(default=1, server_default="1")
    quote_validity_days: Mapped[int] = mapped_column(default=30, server_default="30")
    page_size: Mapped[str] = mapped_column(String(6), default="A4")  # A4 or Letter
    default_currency: Mapped[str] = mapped_column(String(3), default="USD")
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    # Days relative to the due date at which reminders go out: before (negative), on (0) and after.
    reminder_schedule: Mapped[list[int]] = mapped_column(JSON, default=lambda: [-3, 0, 7, 14, 30])
    payment_instructions: Mapped[str] = mapped_column(String(2000), default="")
    # How money and dates read for this organization's staff, clients, PDFs and mails (services.core.formatting).
    locale: Mapped[str] = mapped_column(String(16), default="en_US", server_default="en_US")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # Staff sign in through the OpenID Connect provider only (password sign-in is refused; see README for the
    # owners' break-glass path).
    require_sso: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # Stripe Connect (services.card_payments.stripe_accounts): the connected account this organization is paid into,
    # and its state as Stripe last reported it. One account belongs to one organization at most.
    stripe_account_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_charges_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    stripe_payouts_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    stripe_requirements: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    # When Stripe last reported that state (a read-back or `account.updated`); None while it never has, as for an
    # account bound from the command line while Stripe could not be asked.
    stripe_state_at: Mapped[datetime | None]
    # Uploads (services.files): the largest file accepted, and the kinds of file accepted (services.adapters.file_types).
    upload_limit_mb: Mapped[int] = mapped_column(default=50, server_default="50")
    allowed_file_kinds: Mapped[str] = mapped_column(
        String(200), default=DEFAULT_FILE_KINDS, server_default=DEFAULT_FILE_KINDS
    )


class Membership(IdMixin, Timestamped, StaffOnly, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16, validate_strings=True))
    # The member's hourly rate where a project has none (minor units of the organization's default currency).
    default_rate_minor: Mapped[int | None] = mapped_column(BigInteger)
