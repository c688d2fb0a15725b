"""What a browser does to open a NiceGUI page, without a browser: the GET, then the page's socket.io connection.

A NiceGUI page is not served until its websocket is connected: the GET builds the page's client on the server
and embeds the client's id in the HTML; the page's script then opens `/_nicegui_ws/socket.io/` with that id
in the query and `implicit_handshake=true`, and the server attaches the socket to the client while it accepts
the socket.io connection (nicegui.py `_on_connect`). This module speaks that protocol by hand, Engine.IO 4
over one websocket (`0` open, `40` connect and its ack, `44` refused, `2`/`3` ping and pong, `42` events),
rather than through python-socketio's AsyncClient: a view then costs the benchmark one websocket and no
aiohttp session, so the client takes less of the two cores the servers also run on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
from websockets.asyncio.client import ClientConnection, connect

SOCKET_PATH = "/_nicegui_ws/socket.io/"
TIMEOUT = 30.0  # seconds for one GET or one handshake; a view slower than this counts as an error
ACK_SECONDS = 3.0  # how often NiceGUI's page script acknowledges the messages it has handled
CLIENT_ID = re.compile(r"'client_id': '([0-9a-f-]{36})'")
NEXT_MESSAGE_ID = re.compile(r"'next_message_id': (\d+)")
ELEMENTS = re.compile(r"parseElements\(String\.raw`(.*?)`\)", re.DOTALL)
# NiceGUI escapes these in the page's element JSON; its parseElements() undoes them in this order.
UNESCAPE = (("&#36;", "$"), ("&#96;", "`"), ("&gt;", ">"), ("&lt;", "<"), ("&amp;", "&"))


class ViewFailed(Exception):
    """A view that did not end with a connected client: an HTTP status other than 200, or what went wrong."""

    def __init__(self, kind: str, status: int | None = None) -> None:
        super().__init__(kind)
        self.kind, self.status = kind, status


@dataclass(frozen=True)
class CookieSpec:
    name: str
    value: str
    path: str = "/"


@dataclass
class Tally:
    """Views that ended connected, and the others by what went wrong."""

    ok: int = 0
    non_200: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def failed(self, failure: ViewFailed) -> None:
        if failure.status is not None:
            self.non_200[failure.status] += 1
        else:
            self.errors[failure.kind] += 1

    def add(self, other: Tally) -> None:
        self.ok += other.ok
        self.non_200.update(other.non_200)
        self.errors.update(other.errors)

    def problems(self) -> str:
        parts = [f"HTTP {status} x{count}" for status, count in sorted(self.non_200.items())]
        parts += [f"{kind} x{count}" for kind, count in sorted(self.errors.items())]
        return ", ".join(parts) or "none"


@dataclass(frozen=True)
class OpenedPage:
    client_id: str
    next_message_id: int
    html: str


class Browser:
    """One browser: a cookie jar and a keep-alive HTTP connection to one server."""

    def __init__(self, base_url: str, cookies: list[CookieSpec]) -> None:
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT, follow_redirects=False)
        # A returning browser: it already has Portico's browser id, as after its first page.
        for spec in [CookieSpec("portico_browser", secrets.token_urlsafe(32)), *cookies]:
            self.http.cookies.set(spec.name, spec.value, domain="127.0.0.1", path=spec.path)

    def socket_cookie(self) -> str:
        """The Cookie header a browser sends with the page's websocket: the cookies scoped to the whole site."""
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies.jar if c.path == "/" and c.value)

    async def close(self) -> None:
        await self.http.aclose()


async def open_page(browser: Browser, path: str) -> OpenedPage:
    """GET the page; its NiceGUI client id and first message id from the HTML. Raises ViewFailed."""
    try:
        response = await browser.http.get(path)
    except httpx.HTTPError as exc:
        raise ViewFailed(f"GET {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise ViewFailed(f"HTTP {response.status_code}", response.status_code)
    client_id, next_id = CLIENT_ID.search(response.text), NEXT_MESSAGE_ID.search(response.text)
    if client_id is None or next_id is None:
        raise ViewFailed("no NiceGUI client in the page")
    return OpenedPage(client_id.group(1), int(next_id.group(1)), response.text)


def _socket_url(base_url: str, page: OpenedPage) -> str:
    query = {
        "client_id": page.client_id,
        "next_message_id": page.next_message_id,
        "implicit_handshake": "true",
        "document_id": str(uuid.uuid4()),
        "tab_id": str(uuid.uuid4()),
        "EIO": "4",
        "transport": "websocket",
    }
    return base_url.replace("http://", "ws://", 1) + SOCKET_PATH + "?" + urlencode(query)


async def _handshake(socket: ClientConnection) -> float:
    """Connects the page's client; returns how long a browser waits for the server's next ping before it gives
    the connection up (Engine.IO's ping interval plus its ping timeout, from the open packet)."""
    opening = await socket.recv()
    if not isinstance(opening, str) or not opening.startswith("0"):
        raise ViewFailed("no Engine.IO open packet")
    timings = json.loads(opening[1:])
    patience = (timings["pingInterval"] + timings["pingTimeout"]) / 1000
    await socket.send("40")  # connect to the default namespace; the server attaches the page's client first
    while True:
        packet = await socket.recv()
        if packet == "2":
            await socket.send("3")
        elif isinstance(packet, str) and packet.startswith("40"):
            return patience
        elif isinstance(packet, str) and packet.startswith("44"):
            raise ViewFailed("handshake refused")


async def connect_page(browser: Browser, page: OpenedPage) -> tuple[ClientConnection, float]:
    """The page's websocket, connected to its client on the server, and how long a browser would wait for a ping
    on it. Raises ViewFailed."""
    try:
        async with asyncio.timeout(TIMEOUT):
            socket = await connect(
                _socket_url(browser.base_url, page),
                additional_headers={"Cookie": browser.socket_cookie()},
                ping_interval=None,  # Engine.IO pings on its own; a browser sends no websocket pings either
                max_size=None,
                compression=None,
            )
            try:
                patience = await _handshake(socket)
            except BaseException:
                await socket.close()
                raise
            return socket, patience
    except TimeoutError as exc:
        raise ViewFailed("timeout") from exc
    except (OSError, ConnectionError) as exc:
        raise ViewFailed(f"websocket {type(exc).__name__}") from exc
    except Exception as exc:
        if isinstance(exc, ViewFailed):
            raise
        raise ViewFailed(f"websocket {type(exc).__name__}") from exc


async def view(browser: Browser, path: str) -> None:
    """One full page view: GET, websocket, client connected; then the tab is closed."""
    socket, _ = await connect_page(browser, await open_page(browser, path))
    await socket.close()


class Tab:
    """An open page that stays connected: it answers the server's pings and acknowledges messages as a browser,
    and like a browser gives the connection up when the server's next ping is late past the agreed patience."""

    def __init__(self, browser: Browser, path: str) -> None:
        self.browser, self.path = browser, path
        self.socket: ClientConnection | None = None
        self.client_id = ""
        self.next_message_id = 0
        self.acked = 0
        self.closed_by_server = False
        self.patience = 0.0
        self.end = ""  # why the connection ended: the server closed it, or its pings stopped as a browser sees it
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def connected(self) -> bool:
        return self.socket is not None and not self.closed_by_server

    async def open(self) -> None:
        page = await open_page(self.browser, self.path)
        self.client_id, self.next_message_id = page.client_id, page.next_message_id
        self.socket, self.patience = await connect_page(self.browser, page)
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._ack())]

    async def _listen(self) -> None:
        socket = self.socket
        assert socket is not None
        with contextlib.suppress(Exception):  # a closed socket ends the tab, whatever the exception says
            loop = asyncio.get_running_loop()
            ping_due = loop.time() + self.patience  # a browser counts from the last ping only
            while True:
                try:
                    packet = await asyncio.wait_for(socket.recv(), max(ping_due - loop.time(), 0))
                except TimeoutError:
                    self.end = f"no ping from the server for {self.patience:g} s (a browser closes)"
                    await socket.close()
                    break
                if packet == "2":
                    ping_due = loop.time() + self.patience
                    await socket.send("3")
                elif isinstance(packet, str) and packet.startswith("42"):
                    self._handled(packet)
                elif packet == "1" or (isinstance(packet, str) and packet.startswith("41")):
                    self.end = "Engine.IO close" if packet == "1" else "socket.io disconnect"
                    break
        self.end = self.end or f"websocket closed ({socket.close_code})"
        self.closed_by_server = True

    def _handled(self, packet: str) -> None:
        event = json.loads(packet[2:])
        if len(event) > 1 and isinstance(event[1], dict) and isinstance(event[1].get("_id"), int):
            self.next_message_id = max(self.next_message_id, event[1]["_id"] + 1)

    async def _ack(self) -> None:
        while self.connected and self.socket is not None:
            await asyncio.sleep(ACK_SECONDS)
            if self.next_message_id > self.acked:
                payload = {"client_id": self.client_id, "next_message_id": self.next_message_id}
                with contextlib.suppress(Exception):
                    await self.socket.send("42" + json.dumps(["ack", payload]))
                self.acked = self.next_message_id

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close()


@dataclass(frozen=True)
class PageShape:
    """How much a page holds, from the element JSON in its HTML."""

    elements: int
    cards: int
    table_rows: int

    def __str__(self) -> str:
        return f"{self.elements} elements, {self.cards} cards, {self.table_rows} table rows"


def page_shape(html: str) -> PageShape:
    found = ELEMENTS.search(html)
    if found is None:
        return PageShape(0, 0, 0)
    raw = found.group(1)
    for escaped, plain in UNESCAPE:
        raw = raw.replace(escaped, plain)
    elements = json.loads(raw).values()
    cards = sum(1 for e in elements if e.get("tag") == "q-card")
    rows = sum(len(e.get("props", {}).get("rows", [])) for e in elements if e.get("tag") == "nicegui-table")
    return PageShape(len(elements), cards, rows)
