"""The portal project page's sections, each built on a throwaway page from view data made by hand: no database,
no services. What they show, what they hand their callbacks, and what a redraw keeps."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from nicegui import ui
from nicegui.testing.user import User

from models.collaboration import RequestStatus, Visibility
from models.projects import ProjectStatus
from portal_app.portal.project_sections import (
    BoardSection,
    Replies,
    RequestDetail,
    UpdatesFeed,
    milestones_card,
    request_view,
    summary_card,
)
from services.core.actors import PortalActor
from services.core.common import Page
from services.core.errors import Invalid, ServiceError
from services.core.formatting import Formats
from services.projects.discussion import CommentView, UpdateView
from services.projects.milestones import MilestoneView, Progress, ProjectOverview
from services.projects.project_views import UPDATES_PAGE
from services.projects.projects import ProjectView
from services.projects.work_requests import Board, RequestCard
from tests.support.pages import error_of, eventually

TODAY = date(2026, 5, 4)
AT = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
PROJECT_ID = uuid.uuid4()
JANE = PortalActor(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), "jane@client.test")
US = Formats()  # en_US, UTC: the default organization's way


def overview_of(*milestones: MilestoneView, next_deadline: date | None = None) -> ProjectOverview:
    project = ProjectView(
        id=PROJECT_ID,
        client_id=JANE.client_id,
        client_name="Acme",
        name="Acme Website",
        description="A new site for spring.",
        status=ProjectStatus.active,
        phase="Design",
        lead_user_id=None,
        lead_name="Ada Lead",
        start_date=None,
        due_date=None,
        created_at=AT,
    )
    progress = Progress(50, "milestones", sum(m.done for m in milestones), len(milestones))
    return ProjectOverview(project, "Ada Lead", progress, next_deadline, milestones)


def milestone(title: str, due: date | None, *, done: bool = False) -> MilestoneView:
    return MilestoneView(uuid.uuid4(), PROJECT_ID, title, due, done, AT if done else None)


def card(title: str, status: RequestStatus, comments: int = 0) -> RequestCard:
    return RequestCard(
        id=uuid.uuid4(),
        project_id=PROJECT_ID,
        project_name="Acme Website",
        client_id=JANE.client_id,
        title=title,
        description="",
        status=status,
        position=0,
        assignee_user_id=None,
        assignee_name="",
        requester_name="Jane Doe",
        source="portal",
        comment_count=comments,
        created_at=AT,
        updated_at=AT,
    )


def board_of(*cards: RequestCard) -> Board:
    return Board({status: [c for c in cards if c.status == status] for status in RequestStatus})


def update(body: str, *comments: CommentView) -> UpdateView:
    return UpdateView(uuid.uuid4(), PROJECT_ID, None, body, Visibility.public, "Sam Staff", False, AT, comments)


def comment(body: str) -> CommentView:
    return CommentView(uuid.uuid4(), body, Visibility.public, "Jane Doe", True, AT)


async def shown(user: User, build: Callable[[], None]) -> None:
    """Open a throwaway page that `build` draws."""

    @ui.page("/test-section")
    def section() -> None:
        build()

    await user.open("/test-section")


def texts_within(user: User, marker: str) -> list[str]:
    return [e.text for box in user.find(marker=marker).elements for e in box.descendants() if isinstance(e, ui.label)]


def textarea(user: User, marker: str) -> ui.textarea:
    [box] = user.find(marker=marker).elements
    assert isinstance(box, ui.textarea)
    return box


async def nothing() -> None:
    return None


async def accepted(text: str) -> ServiceError | None:
    return None


async def ignored(request_id: str) -> None:
    return None


async def test_the_summary_shows_the_phase_lead_progress_and_next_deadline(user: User) -> None:
    due = TODAY + timedelta(days=9)
    overview = overview_of(milestone("Discovery", None, done=True), milestone("Design", due), next_deadline=due)
    await shown(user, lambda: summary_card(overview, US))
    await user.should_see(marker="summary")
    summary = texts_within(user, "summary")
    assert {"Design", "Project lead: Ada Lead", "50% done", "1 of 2 milestones done"} <= set(summary)
    assert {"Next deadline: May 13, 2026", "A new site for spring."} <= set(summary)


async def test_the_summary_writes_the_deadline_the_organizations_way(user: User) -> None:
    due = TODAY + timedelta(days=9)
    await shown(user, lambda: summary_card(overview_of(next_deadline=due), Formats("de_DE", "Europe/Berlin")))
    await user.should_see("Next deadline: 13.05.2026")


async def test_a_summary_without_a_deadline_says_there_is_none(user: User) -> None:
    await shown(user, lambda: summary_card(overview_of(), US))
    await user.should_see("No upcoming deadlines")


async def test_only_an_unfinished_milestone_past_its_date_reads_was_due(user: User) -> None:
    late, finished, ahead = TODAY - timedelta(days=3), TODAY - timedelta(days=10), TODAY + timedelta(days=5)
    overview = overview_of(
        milestone("Wireframes", late), milestone("Kick-off", finished, done=True), milestone("Launch", ahead)
    )
    await shown(user, lambda: milestones_card(overview, TODAY, US))
    await user.should_see(marker="milestones")
    shown_texts = texts_within(user, "milestones")
    assert {"Was due May 1, 2026", "Due Apr 24, 2026", "Due May 9, 2026"} <= set(shown_texts)
    assert [t for t in shown_texts if t.startswith("Was due")] == ["Was due May 1, 2026"]


async def test_a_project_without_milestones_says_so(user: User) -> None:
    await shown(user, lambda: milestones_card(overview_of(), TODAY, US))
    await user.should_see("No milestones yet.")


async def test_a_card_moved_since_moves_to_its_new_column_when_the_board_is_shown_again(user: User) -> None:
    footer = card("Fix the footer", RequestStatus.backlog, comments=2)
    board = BoardSection(board_of(footer), ignored)
    await shown(user, board.draw)
    await user.should_see(marker=f"request-{footer.id}")
    assert {"Fix the footer", "From Jane Doe · 2 comments"} <= set(texts_within(user, "column-backlog"))
    [before] = user.find(marker=f"request-{footer.id}").elements

    board.show(board_of(replace(footer, status=RequestStatus.done)))  # moved on by staff
    await eventually(lambda: "Fix the footer" in texts_within(user, "column-done"))
    assert "Fix the footer" not in texts_within(user, "column-backlog")
    assert before.is_deleted


async def test_a_click_on_a_card_hands_its_id_to_the_page(user: User) -> None:
    footer = card("Fix the footer", RequestStatus.in_progress)
    opened: list[str] = []

    async def on_open(request_id: str) -> None:
        opened.append(request_id)
        ui.notify("opened")

    await shown(user, BoardSection(board_of(footer), on_open).draw)
    user.find(marker=f"request-{footer.id}").click()
    await user.should_see("opened")
    assert opened == [str(footer.id)]


async def test_a_reply_being_typed_survives_the_feeds_redraw(user: User) -> None:
    news = update("Logo drafts attached.", comment("Nice!"))
    feed = UpdatesFeed(JANE, Page([news], total=1, limit=20, offset=0), nothing, US)
    await shown(user, feed.entries)
    await user.should_see("Nice!")
    user.find(marker=f"reply-update-{news.id}").type("I like the second")
    box = textarea(user, f"reply-update-{news.id}")

    feed.show(Page([update("Colours next week."), news], total=2, limit=20, offset=0))
    await user.should_see("Colours next week.")
    again = textarea(user, f"reply-update-{news.id}")
    assert again is not box and again.value == "I like the second"
    await user.should_not_see("Show older updates")


async def test_the_feed_offers_older_updates_when_more_are_there(user: User) -> None:
    asked: list[int] = []

    async def changed() -> None:
        asked.append(feed.limit)
        ui.notify("reloading")

    feed = UpdatesFeed(JANE, Page([update("Newest")], total=21, limit=UPDATES_PAGE, offset=0), changed, US)
    await shown(user, feed.entries)
    user.find(kind=ui.button, content="Show older updates").click()
    await user.should_see("reloading")
    assert asked == [2 * UPDATES_PAGE]


async def test_a_request_shows_its_facts_updates_and_discussion(user: User) -> None:
    hero = card("Hero image", RequestStatus.in_progress)
    detail = RequestDetail(hero, [update("Photos are in.")], [comment("Cheaper stock, please.")])
    await shown(user, lambda: request_view(detail, Replies(accepted, nothing), US))
    await user.should_see("Hero image")
    for text in ("In progress", "From Jane Doe · Added May 1, 2026", "Photos are in.", "Cheaper stock, please."):
        await user.should_see(text)
    await user.should_not_see("No replies yet.")


async def test_a_refused_reply_says_why_on_its_box_and_a_sent_one_clears_it(user: User) -> None:
    hero = card("Hero image", RequestStatus.backlog)
    sent: list[str] = []

    async def send(text: str) -> ServiceError | None:
        if not text.strip():
            return Invalid("Write a reply first.", "body")
        sent.append(text)
        return None

    async def after() -> None:
        ui.notify("replied")

    await shown(user, lambda: request_view(RequestDetail(hero, [], []), Replies(send, after), US))
    await user.should_see("No replies yet.")
    box = textarea(user, f"reply-request-{hero.id}")
    user.find(marker=f"send-request-{hero.id}").click()
    assert await eventually(error_of(box)) == "Write a reply first."

    user.find(marker=f"reply-request-{hero.id}").type("Blue, please.")
    user.find(marker=f"send-request-{hero.id}").click()
    await user.should_see("replied")
    assert sent == ["Blue, please."] and box.value == "" and not box.props.get("error-message")
