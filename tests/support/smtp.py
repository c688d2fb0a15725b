"""An aiosmtpd SMTP server on 127.0.0.1 that keeps what it receives."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.support.postgres import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.fail_next = 0  # answer this many deliveries with a temporary error
        self._arrived = threading.Condition()
        self._hold_after: int | None = None  # see `hold_after`
        self.holding = threading.Event()  # a conversation is held at its recipient
        self._release = threading.Event()

    def hold_after(self, count: int) -> None:
        """Once `count` messages have arrived, hold the next conversation at its recipient (before any of its
        content is sent) until `release()`: a sender stopped there has handed over nothing."""
        self._hold_after, self._release = count, threading.Event()
        self.holding.clear()

    def release(self) -> None:
        self._hold_after = None
        self._release.set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # aiosmtpd handler hook
        if self._hold_after is not None and len(self.messages) >= self._hold_after:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self._release.wait)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd handler hook
        with self._arrived:
            if self.fail_next:
                self.fail_next -= 1
                return "451 Requested action aborted: try again later"
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            self._arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Block until `count` messages have arrived (an event, not a sleep)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} mails, got {len(self.messages)}")
            return list(self.messages)

    def first(self, wanted: Callable[[EmailMessage], bool], timeout: float = 30.0) -> EmailMessage:
        """The first mail that is `wanted`, waiting for each mail as it arrives: `serve` sends others of its own
        meanwhile (a project's welcome packet, say), so a test names the mail it means rather than counting."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: any(wanted(m) for m in self.messages), timeout=timeout):
                subjects = [(m["To"], m["Subject"]) for m in self.messages]
                raise AssertionError(f"no such mail among {subjects}")
            return next(m for m in self.messages if wanted(m))

    def clear(self) -> None:
        self.release()
        with self._arrived:
            self.messages.clear()
            self.fail_next = 0


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """The server gone: its port refuses connections until the block ends, then it listens there again,
        with the same inbox (a mail server that restarted)."""
        self.controller.stop()
        try:
            yield
        finally:
            self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
            self.controller.start()
