from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, ClientOwned, TenantOwned, Timestamped


class Client(TenantOwned, Timestamped, Base):
    """A customer company of the agency."""

    __tablename__ = "clients"
    __table_args__ = (Index("ix_clients_org_id_name_key", "org_id", "name_key"),)

    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased name: the sort and search key, so listing and searching use one index.
    name_key: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    address: Mapped[str] = mapped_column(String(1000), default="")
    archived: Mapped[bool] = mapped_column(default=False)


class Contact(ClientOwned, Timestamped, Base):
    """A person at a client. The email is unique per organization: it is how the portal finds them."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("org_id", "email"),)

    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(100), default="")
    portal_enabled: Mapped[bool] = mapped_column(default=False)
    billing: Mapped[bool] = mapped_column(default=False)  # receives invoices and reminders
    active: Mapped[bool] = mapped_column(default=True)
    last_sign_in_at: Mapped[datetime | None]
