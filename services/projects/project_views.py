"""What a project page shows, read in one unit of work: the overview with its first milestones, the first cards
of each board column and the first updates of the feed. Each part is a fixed-size page whatever the project
holds; the page asks for more of one part by raising that part's limit (`Shown`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from services.core.actors import Actor
from services.core.common import Page
from services.core.db import unit_of_work
from services.projects import discussion, milestones, work_requests
from services.projects.discussion import UpdateView
from services.projects.milestones import ProjectOverview
from services.projects.work_requests import Board, ColumnLimits

UPDATES_PAGE = 10  # updates a project page shows at first; "Show older updates" adds as many again


@dataclass(frozen=True, slots=True)
class Shown:
    """How much of each growing part a page shows: milestones, cards per board column, updates."""

    milestones: int = milestones.MILESTONES_PAGE
    columns: ColumnLimits = field(default_factory=dict)
    updates: int = UPDATES_PAGE


@dataclass(frozen=True, slots=True)
class ProjectData:
    overview: ProjectOverview
    board: Board
    updates: Page[UpdateView]


async def project_data(actor: Actor, project_id: uuid.UUID | str, shown: Shown = Shown()) -> ProjectData:
    """The page's data in six queries whatever the project holds; NotFound if the actor may not see the project."""
    async with unit_of_work(actor) as session:
        overview = await milestones.overview_of(session, actor, project_id, shown.milestones)
        pid = overview.project.id
        board = await work_requests.board_of(session, actor, work_requests.in_project(pid), shown.columns)
        updates = await discussion.first_updates(session, actor, pid, shown.updates)
    return ProjectData(overview, board, updates)
