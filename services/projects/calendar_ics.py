"""A calendar feed as iCalendar text (RFC 5545): all-day events for due dates, from plain view data.

Each event's UID names what it is about (a milestone, a project's due date, an invoice) and the site it comes
from, never the feed: a calendar that refreshes the feed updates the event in place instead of adding another,
and a new feed URL after a reset shows the same events.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

PRODID = "-//Portico//Client portal calendar//EN"
# How often calendars are asked to fetch again (REFRESH-INTERVAL, and Apple's and Google's X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class DueDay:
    """One all-day event: `kind` and `subject_id` make its UID."""

    kind: str  # "milestone", "project" or "invoice"
    subject_id: uuid.UUID
    day: date
    summary: str
    description: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class FeedDocument:
    name: str  # the calendar's name, as calendars show it
    body: bytes  # text/calendar, UTF-8


def uid(kind: str, subject_id: uuid.UUID, base_url: str) -> str:
    return f"{kind}-{subject_id}@{urlsplit(base_url).hostname or 'portico'}"


def render(name: str, days: list[DueDay], *, base_url: str, now: datetime) -> FeedDocument:
    # imported on the first fetch, not when `serve` starts (a few hundredths of a second no page needs)
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    for due in days:
        event = Event()
        event.add("uid", uid(due.kind, due.subject_id, base_url))
        event.add("dtstamp", now)
        # All-day: a DATE start and the next day as the (exclusive) end, so no time zone is involved.
        event.add("dtstart", due.day)
        event.add("dtend", due.day + timedelta(days=1))
        event.add("summary", due.summary)
        if due.description:
            event.add("description", due.description)
        if due.url:
            event.add("url", due.url)
        event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        calendar.add_component(event)
    return FeedDocument(name, calendar.to_ical())
