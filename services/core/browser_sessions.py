"""What staff and portal sessions share: when a session row is still usable, and when it can go."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, not_

from models.base import BrowserSession


def live(model: type[BrowserSession], now: datetime, idle: timedelta) -> ColumnElement[bool]:
    """Not ended, before its absolute limit, and seen within the idle limit."""
    return and_(model.ended_at.is_(None), model.expires_at > now, model.last_seen_at > now - idle)


def dead(model: type[BrowserSession], now: datetime, idle: timedelta) -> ColumnElement[bool]:
    """Can never be used again: what the purge job deletes."""
    return not_(live(model, now, idle))
