"""One look: sentence-case buttons, one confirmation style, the same font on NiceGUI and plain pages, no monospace
money. Checked on the code, where a new page would break it, and on a rendered page."""

from __future__ import annotations

import ast
import pathlib

from nicegui import ui
from nicegui.testing.user import User

from portal_app import look, responses
from tests.support.factories import make_world
from tests.support.pages import signed_in

PAGES = [*pathlib.Path("portal_app").rglob("*.py"), *pathlib.Path("components").rglob("*.py")]


def calls(name: str) -> list[tuple[pathlib.Path, ast.Call]]:
    found = []
    for path in PAGES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == name:
                found.append((path, node))
    return found


def test_every_notification_says_whether_it_is_good_or_bad_news() -> None:
    notes = calls("ui.notify")
    assert len(notes) > 20
    untyped = [f"{path}:{node.lineno}" for path, node in notes if not any(k.arg == "type" for k in node.keywords)]
    assert untyped == []  # a confirmation is green ("positive"), a refusal red ("negative"): never the dark default


def test_no_page_asks_with_a_dialog_of_its_own_before_taking_something_away() -> None:
    """Deleting, deactivating and removing access ask through components.confirm: no module builds its own
    dialog around such a button (a page's button that opens the confirmation is fine)."""
    words = {"Delete", "Deactivate", "Remove access", "Remove"}
    own = []
    for path in PAGES:
        if path.name == "confirm.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.With) or "ui.dialog" not in ast.unparse(node.items[0].context_expr):
                continue
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and ast.unparse(inner.func) == "ui.button"
                    and inner.args
                    and isinstance(inner.args[0], ast.Constant)
                    and inner.args[0].value in words
                ):
                    own.append(f"{path}:{inner.lineno}")
    assert own == []


def test_money_is_never_monospace() -> None:
    for path in PAGES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "font-mono" in line:
                assert not any(word in line for word in ("money", "amount", "total")), f"{path}:{number}"


def test_plain_pages_use_the_same_font_as_the_workspace_and_portal() -> None:
    page = bytes(responses.html_document("Title", "<p>Body</p>").body).decode()
    assert f"font-family:{look.FONT_STACK}" in page
    assert look.FONT_STACK in look.SHARED_CSS


async def test_buttons_are_sentence_case_on_a_rendered_page(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    await user.should_see("Jane Doe")
    buttons = user.find(ui.button).elements
    assert buttons and all(b.props.get("no-caps") for b in buttons)
