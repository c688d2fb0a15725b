"""Updates and their comments as staff see them, each public or internal, and the boxes to write them.

Internal items are marked three ways at once (amber background, a lock, an "Internal" badge) so that nobody
mistakes what the client cannot see for what it can. Fed with plain `FeedEntry`/`FeedComment`, no services.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from nicegui import ui
from nicegui.events import ClickEventArguments

from components.forms import pressed

PUBLIC, INTERNAL = "public", "internal"
VISIBILITY_LABELS = {PUBLIC: "Public", INTERNAL: "Internal"}
VISIBILITY_HINT = "Public items reach the client's portal and emails. Only your team sees internal updates."


@dataclass(frozen=True, slots=True)
class FeedComment:
    id: str
    body: str
    author: str
    when: str
    internal: bool
    by_client: bool = False


@dataclass(frozen=True, slots=True)
class FeedEntry:
    id: str
    body: str
    author: str
    when: str
    internal: bool
    by_client: bool = False
    comments: Sequence[FeedComment] = ()


def internal_marker() -> None:
    with ui.row().classes("items-center gap-1 no-wrap").mark("internal"):
        ui.icon("lock", size="xs").classes("text-amber-900").props('aria-hidden="true"')
        ui.badge("Internal", color="warning").props("rounded")  # the checked palette (portal_app.look)


def _surface(internal: bool) -> str:
    return "bg-amber-50 border border-amber-300" if internal else "bg-white border border-gray-200"


def _byline(author: str, when: str, *, by_client: bool, internal: bool) -> None:
    with ui.row().classes("w-full items-center gap-2"):
        ui.icon("person" if by_client else "support_agent", size="xs").classes("text-gray-500")
        ui.label(author or ("Client" if by_client else "The team")).classes("text-sm font-medium")
        if by_client:
            ui.badge("Client", color="teal-8").props("outline rounded")
        ui.label(when).classes("text-xs text-gray-500")
        ui.space()
        if internal:
            internal_marker()


def comment_item(comment: FeedComment) -> None:
    with ui.column().classes(f"w-full gap-1 rounded p-2 {_surface(comment.internal)}").mark(f"comment-{comment.id}"):
        _byline(comment.author, comment.when, by_client=comment.by_client, internal=comment.internal)
        ui.label(comment.body).classes("whitespace-pre-line break-words text-sm")


def entry_card(entry: FeedEntry) -> ui.card:
    """The update with its comments; the caller adds a reply box inside the returned card."""
    with ui.card().classes(f"w-full gap-2 {_surface(entry.internal)}").props("flat").mark(f"update-{entry.id}") as box:
        if entry.internal:
            box.props["aria-label"] = "Internal update"
        _byline(entry.author, entry.when, by_client=entry.by_client, internal=entry.internal)
        ui.label(entry.body).classes("whitespace-pre-line break-words")
        if entry.comments:
            with ui.column().classes("w-full gap-2 pl-3 border-l-2 border-gray-200"):
                for comment in entry.comments:
                    comment_item(comment)
    return box


def visibility_choice(value: str = PUBLIC, *, explained: bool = True) -> ui.toggle:
    """Public or Internal; `explained` adds what each means (once per form is enough)."""
    with ui.row().classes("items-center gap-3"):
        toggle = ui.toggle(VISIBILITY_LABELS, value=value).props("no-caps dense unelevated toggle-color=primary")
        toggle.props["aria-label"] = "Who sees it"
        toggle.mark("visibility")
        ui.icon("lock", size="xs").classes("text-amber-900").bind_visibility_from(toggle, "value", value=INTERNAL)
        if explained:
            ui.label(VISIBILITY_HINT).classes("text-xs text-gray-600")
    return toggle


Send = Callable[[str, str], Awaitable[str | None]]  # text, visibility → an error message, or None when sent


class ReplyBox:
    """A reply textarea, its visibility choice and button. Text survives redraws through `drafts`; `typing`
    tells the page while the box has the focus, so a live redraw can wait rather than pull it away."""

    def __init__(
        self,
        key: str,
        send: Send,
        *,
        drafts: dict[str, str],
        internal_only: bool = False,
        typing: Callable[[str, bool], None] | None = None,
        label: str = "Write a reply",
    ) -> None:
        self.key, self.send, self.drafts, self.internal_only = key, send, drafts, internal_only
        self.box = ui.textarea(label, value=drafts.get(key, "")).props("outlined autogrow dense").classes("w-full")
        self.box.mark(f"reply-{key}")
        self.box.on_value_change(lambda e: drafts.__setitem__(key, e.value or ""))
        if typing is not None:
            self.box.on("focus", lambda: typing(key, True))
            self.box.on("blur", lambda: typing(key, False))
        with ui.row().classes("w-full items-center justify-between gap-2"):
            if internal_only:
                with ui.row().classes("items-center gap-1"):
                    ui.icon("lock", size="xs").classes("text-amber-900")
                    ui.label("Replies to an internal update are internal too.").classes("text-xs text-gray-600")
                self.visibility = None
            else:
                self.visibility = visibility_choice(explained=False)
                self.visibility.mark(f"visibility-{key}")
            ui.button("Reply", icon="send", on_click=self._submit).props("unelevated no-caps dense").mark(f"send-{key}")

    async def _submit(self, event: ClickEventArguments) -> None:
        text = self.box.value or ""
        seen_by = INTERNAL if self.internal_only or self.visibility is None else self.visibility.value
        # Forget the draft first: a redraw while the reply is saved must not bring the sent text back.
        self.drafts.pop(self.key, None)
        async with pressed(event):  # one press, one reply
            problem = await self.send(text, seen_by)
        if self.box.is_deleted:
            return
        if problem is not None:
            self.drafts[self.key] = text
            self.box.props["error"], self.box.props["error-message"] = True, problem
            self.box.update()
            return
        self.box.props.pop("error", None)
        self.box.props.pop("error-message", None)
        self.box.value = ""
