"""Helpers for the hostile-input tests: an organization seeded with one object of every kind the REST API serves
(so fuzzed paths sometimes hit real ids), the API wrapped in an app whose lifespan does the seeding, and text
payloads that try to turn a value into markup."""

from __future__ import annotations

import html
import io
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

import httpx
from fastapi import FastAPI
from hypothesis import strategies as st
from nicegui import Client, ui
from pypdf import PdfReader

from portal_app.routes.api import build_api
from services.core import db
from services.core.errors import Invalid
from services.staff import api_tokens
from tests.support.api import api_http
from tests.support.factories import OrgWorld, make_world

PDF = b"%PDF-1.4\n" + b"a portable document\n" * 20

# --- payloads --------------------------------------------------------------------------------------------------------

# What people paste to find an escaping bug: HTML and attribute breaks, template syntax, reportlab's mini-markup
# (a Paragraph parses <b>, <font>, <para> and entities), header injection, direction overrides, emoji.
HOSTILE_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><b>bold</b>',
    "'><svg onload=alert(1)>",
    "{{7*7}} ${7*7} {% raw %}",
    "</para><font color=red>red</font>",
    "<b>bold",
    "<i>unclosed",
    "a <br/> b",
    "&amp; &lt;b&gt; &#60;",
    "Tom & Jerry <3",
    "line one\r\nBcc: victim@example.test",
    "cr\rlf\n",
    "\u202eevil\u202c txt.exe",
    "tab\there \x0b\x0c\x1b[31m",
    "emoji 🎉👩‍💻 and ✓",
    "<" * 50 + ">" * 50,
    "x" * 300,
    '<a href="javascript:alert(1)">link</a>' * 20,
]

_NO_NUL = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])


def hostile_text(max_size: int = 200) -> st.SearchStrategy[str]:
    """A string without NUL: mostly known payloads (alone or around random text), sometimes anything."""
    payload = st.sampled_from(HOSTILE_PAYLOADS)
    anything = st.text(_NO_NUL, max_size=max_size)
    around = st.text(_NO_NUL, max_size=10)
    mixed = st.builds(lambda a, b, c: f"{a}{b}{c}", around, payload, around)
    return st.one_of(payload, payload, mixed, anything).map(lambda s: s[:max_size])


# What the services refuse in typed text (services.core.common): control characters anywhere, line breaks in a
# one-line field. A refused value is retried tamed, so every example still renders something.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_LINE_BREAK = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
T = TypeVar("T")


def tame(value: str, limit: int = 100) -> str:
    """`value` as the services take it in any field: no control characters, one line, short."""
    return _LINE_BREAK.sub(" ", _CONTROL.sub("", value))[:limit]


async def saved(write: Callable[..., Awaitable[T]], *values: str) -> T:
    """`write(*values)`, or when the service refuses them (a clear Invalid, by design), `write` of their tamed
    forms."""
    try:
        return await write(*values)
    except Invalid:
        return await write(*(tame(value) for value in values))


# --- where a value may land: NiceGUI elements, HTML, PDF text, mail ---------------------------------------------------

HTML_ELEMENTS = (ui.html, ui.markdown, ui.restructured_text)


def elements_holding(client: Client, marker: str) -> list[tuple[ui.element, str]]:
    """Each element of the page whose state (text, props, slots, as sent to the browser) holds `marker`."""
    found = []
    for element in client.elements.values():
        state = repr(element._to_dict()) + repr({name: slot.template for name, slot in element.slots.items()})
        if marker in state:
            found.append((element, state))
    return found


def assert_rendered_as_text(client: Client, marker: str) -> int:
    """Every element that holds `marker` shows it as text: no HTML element, no innerHTML or html prop, no slot
    template it is part of (a Vue template would evaluate `{{ }}`) or that renders props as HTML. Returns how many
    elements hold it."""
    found = elements_holding(client, marker)
    for element, state in found:
        where = f"{type(element).__name__} {state[:300]}"
        assert not isinstance(element, HTML_ELEMENTS), f"rendered as HTML: {where}"
        assert "innerHTML" not in element.props, f"in an innerHTML prop: {where}"
        assert element.props.get("html") is not True, f"in an element with html=True: {where}"
        for slot in element.slots.values():
            template = slot.template or ""
            assert marker not in template, f"inside a Vue template: {where}"
            assert "v-html" not in template, f"in props a v-html template renders: {where}"
    return len(found)


def words(text: str) -> str:
    """`text` with each run of whitespace as one space, as HTML and a mail greeting lay it out."""
    return " ".join(text.split())


def assert_escaped_html(body: str, value: str) -> None:
    """An HTML page or mail part shows `value` escaped: each of its lines (HTML may break them with <br>) is there
    in escaped form and, when it has markup characters, not in raw form."""
    laid_out = words(body)
    lines = value.splitlines() or [value]
    for line in lines:
        assert any(words(html.escape(line, quote=quote)) in laid_out for quote in (True, False)), (line, value)
    # the first line carries the field's marker, so it cannot be mistaken for the document's own markup
    if "<" in lines[0]:
        assert words(lines[0]) not in laid_out, f"unescaped in the HTML: {lines[0]!r}"


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() or "" for page in reader.pages)


SOFT_HYPHEN = "\u00ad"


def printed(value: str) -> re.Pattern[str]:
    """What a reader sees of `value` printed, as PDF text extraction gives it back: its ASCII letters, digits and
    punctuation (the document font may lack glyphs for the rest; layout moves the spaces), and a hyphen where a
    soft hyphen fell at the end of a line (reportlab breaks there and prints one, as typesetting should)."""
    pattern = ""
    for ch in value:
        if "!" <= ch <= "~":
            pattern += re.escape(ch)
        elif ch == SOFT_HYPHEN:
            pattern += "-?"
    return re.compile(pattern)


def squeezed(text: str) -> str:
    return "".join(ch for ch in text if "!" <= ch <= "~")


# --- a seeded organization for the API fuzz ------------------------------------------------------------------------


@dataclass
class FuzzWorld:
    """The seeded organization's token and one real id per path parameter name (`client_id`, `invoice_id`, …)."""

    token: str = ""
    ids: dict[str, str] = field(default_factory=dict)


async def _created(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def seed_fuzz_world(slug: str = "fuzz") -> FuzzWorld:
    """An organization with a client, contact and project (the factories), and through the API a milestone, an
    update, a request, a file, a deliverable, a time entry, a service, an invoice (sent) and a quote."""
    world: OrgWorld = await make_world(slug)
    token = await api_tokens.create_token(world.actor, "fuzz")
    project = str(world.project.id)
    ids = {"client_id": str(world.client.id), "contact_id": str(world.contact.id), "project_id": project}
    due = (date.today() + timedelta(days=30)).isoformat()
    line = {"description": "Design", "quantity": "2", "unit_price": "100.00", "tax_rate": "20"}
    async with api_http(token) as http:
        ids["milestone_id"] = await _created(
            await http.post(f"/api/v1/projects/{project}/milestones", json={"title": "Launch", "due_date": due})
        )
        ids["update_id"] = await _created(
            await http.post(f"/api/v1/projects/{project}/updates", json={"body": "Hello", "visibility": "public"})
        )
        ids["request_id"] = await _created(
            await http.post("/api/v1/requests", json={"project_id": project, "title": "Fix the logo"})
        )
        ids["file_id"] = await _created(
            await http.post(
                f"/api/v1/projects/{project}/files",
                files={"file": ("brief.pdf", PDF, "application/pdf")},
                data={"shared": "true"},
            )
        )
        ids["deliverable_id"] = await _created(
            await http.post(
                f"/api/v1/projects/{project}/deliverables",
                files={"file": ("home.pdf", PDF, "application/pdf")},
                data={"title": "Homepage"},
            )
        )
        ids["entry_id"] = await _created(
            await http.post(
                "/api/v1/time-entries",
                json={"project_id": project, "date": date.today().isoformat(), "hours": "1.5", "description": "Work"},
            )
        )
        ids["service_id"] = await _created(
            await http.post("/api/v1/services", json={"name": "Audit", "price": "10.00", "currency": "USD"})
        )
        invoice = await _created(
            await http.post(
                "/api/v1/invoices",
                json={"client_id": ids["client_id"], "currency": "USD", "due_date": due, "lines": [line]},
            )
        )
        sent = await http.post(f"/api/v1/invoices/{invoice}/send")
        assert sent.status_code == 200, sent.text
        ids["invoice_id"] = invoice
        ids["quote_id"] = await _created(
            await http.post(
                "/api/v1/quotes",
                json={"client_id": ids["client_id"], "currency": "USD", "valid_until": due, "lines": [line]},
            )
        )
    return FuzzWorld(token, ids)


def fuzz_app(database_url: str, seeded: FuzzWorld) -> FastAPI:
    """The API mounted at /api as the app mounts it, in an app whose lifespan configures the database and seeds
    `seeded`: whoever runs the app (schemathesis's ASGI client runs it on an event loop thread of its own) then uses
    the async engine on that one loop only."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        db.configure(database_url)
        try:
            made = await seed_fuzz_world()
            seeded.token, seeded.ids = made.token, made.ids
            yield
        finally:
            await db.close()

    app = FastAPI(lifespan=lifespan)
    app.mount("/api", build_api())
    return app


def real_ids_for(names: list[str], seeded: FuzzWorld) -> dict[str, str]:
    """Path parameters `names` filled with seeded ids where one exists (a fresh UUID otherwise)."""
    return {name: seeded.ids.get(name, str(uuid.uuid4())) for name in names}
