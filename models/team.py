"""The agency's team beyond its members: invitations to join an organization, and password resets.

Both hold only the SHA-256 of the secret their mail carries, expire, and are used once. Both are staff-only:
the scoping hook hides them from portal actors whatever a query forgets.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, StaffOnly, TenantOwned, Timestamped
from models.organizations import Role


class StaffInvitation(TenantOwned, Timestamped, StaffOnly, Base):
    """An owner or admin asked `email` to join the organization with `role`; the mailed link lives 7 days."""

    __tablename__ = "staff_invitations"
    # The People page lists an organization's pending invitations; inviting checks for a pending one per email.
    __table_args__ = (Index("ix_staff_invitations_org_id_email", "org_id", "email"),)

    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16, validate_strings=True))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]


class PasswordReset(IdMixin, Timestamped, StaffOnly, Base):
    """A "forgot password" link for a staff user (not tied to one organization: a user may be in several)."""

    __tablename__ = "staff_password_resets"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
    ip: Mapped[str] = mapped_column(String(45), default="")
