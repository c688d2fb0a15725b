"""People: the organization's staff and their roles; owners and admins invite, change roles and remove access."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.events import ClickEventArguments, ValueChangeEventArguments

from components.confirm import confirm
from components.forms import FieldErrors, dialog_actions, pressed
from portal_app.staff.layout import StaffPage, frame, staff_page
from services.core import money
from services.core.actors import StaffActor
from services.core.common import MAX_PAGE_SIZE
from services.core.errors import ServiceError
from services.core.formatting import Formats
from services.organizations import organizations
from services.staff import staff, team
from services.staff.staff import StaffMemberRow
from services.staff.team import ROLE_NAMES, InvitationRow
from services.time import rates

MEMBERS_PAGE = 50
ROLE_LABELS = {role.value: label for role, label in ROLE_NAMES.items()}


def grantable(actor: StaffActor) -> dict[str, str]:
    """The roles the actor may give: only an owner makes owners."""
    return {k: v for k, v in ROLE_LABELS.items() if k != "owner" or actor.role.value == "owner"}


def invite_dialog(actor: StaffActor, on_sent: Callable[[], Awaitable[None]]) -> ui.dialog:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
        ui.label("Invite someone to the team").classes("text-lg font-semibold")
        email = ui.input("Email").props("outlined type=email autofocus").classes("w-full").mark("invite-email")
        role = ui.select(grantable(actor), value="member", label="Role").props("outlined").classes("w-full")
        role.mark("invite-role")
        ui.label("They get an email with a link to join, valid for 7 days.").classes("text-sm text-gray-600")
        errors = FieldErrors(email=email, role=role)

        async def send() -> None:
            try:
                row = await team.invite(actor, email.value, role.value)
            except ServiceError as exc:
                errors.show_all([(getattr(p, "field", None), p.message) for p in getattr(exc, "problems", (exc,))])
                return
            dialog.close()
            email.value, role.value = "", "member"
            errors.clear()
            ui.notify(f"Invitation sent to {row.email}", type="positive")
            await on_sent()

        dialog_actions(dialog, "Send invitation", send).mark("send-invitation")
    return dialog


def invitation_row(actor: StaffActor, row: InvitationRow, formats: Formats, refresh: Callable[[], Awaitable[None]]):
    with ui.row().classes("w-full items-center gap-4 border-b border-gray-200 py-2").mark("invitation"):
        with ui.column().classes("gap-0 flex-1 min-w-0"):
            ui.label(row.email).classes("font-medium break-all")
            when = f"Expired {formats.day(row.expires_at)}" if row.expired else f"Until {formats.day(row.expires_at)}"
            ui.label(f"{ROLE_NAMES[row.role]} · invited by {row.invited_by} · {when}").classes("text-sm text-gray-500")
        if not actor.is_admin:
            return

        async def resend(event: ClickEventArguments) -> None:
            async with pressed(event):
                try:
                    await team.resend(actor, row.id)
                except ServiceError as exc:
                    ui.notify(exc.message, type="negative")
                    return
            ui.notify(f"Sent a new link to {row.email}", type="positive")
            await refresh()

        async def revoke() -> None:
            if not await confirm(
                f"Withdraw the invitation to {row.email}?",
                "The link in their email stops working. You can invite them again later.",
                "Revoke",
            ):
                return
            try:
                await team.revoke(actor, row.id)
            except ServiceError as exc:
                ui.notify(exc.message, type="negative")
            await refresh()

        ui.button("Resend", icon="send", on_click=resend).props("flat dense no-caps").mark("resend")
        ui.button("Revoke", icon="block", on_click=revoke).props("flat dense no-caps color=negative").mark("revoke")


def rate_button(
    actor: StaffActor, member: StaffMemberRow, currency: str, formats: Formats, refresh: Callable[[], Awaitable[None]]
) -> None:
    """A member's default hourly rate (what their time bills at on a project without a rate of its own)."""
    rate = member.default_rate_minor
    text = f"{formats.money(rate, currency)}/h" if rate is not None else "No default rate"

    async def edit() -> None:
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-sm"):
            ui.label(f"Default hourly rate of {member.name}").classes("text-lg font-semibold")
            ui.label("Used on projects without a rate of their own. Leave empty to clear.").classes(
                "text-sm text-gray-600"
            )
            value = str(money.from_minor(rate, currency)) if rate is not None else ""
            field = ui.input("Hourly rate", value=value).props(f'outlined suffix="{currency}"').classes("w-full")
            field.mark("rate-input")
            errors = FieldErrors(hourly_rate=field)

            async def save() -> None:
                try:
                    await rates.set_default_rate(actor, member.user_id, (field.value or "").strip() or None)
                except ServiceError as exc:
                    errors.show(getattr(exc, "field", None), exc.message)
                    return
                dialog.close()
                ui.notify(f"Saved the default rate of {member.name}", type="positive")
                await refresh()

            dialog_actions(dialog, "Save", save).mark("rate-save")
        dialog.on("hide", dialog.delete)
        dialog.open()

    ui.button(text, icon="payments", on_click=edit).props("flat dense no-caps").mark(f"rate-{member.email}")


def member_row(
    actor: StaffActor,
    member: StaffMemberRow,
    formats: Formats,
    refresh: Callable[[], Awaitable[None]],
    currency: str = "",
):
    """`currency`: the organization's default, for owners and admins, who see and set default rates."""
    with ui.row().classes("w-full items-center gap-4 border-b border-gray-200 py-2").mark("member"):
        with ui.column().classes("gap-0 flex-1 min-w-0"):
            ui.label(member.name).classes("font-medium")
            seen = formats.moment(member.last_seen_at) if member.last_seen_at else "—"
            ui.label(f"{member.email} · since {formats.day(member.joined_at)} · last active {seen}").classes(
                "text-sm text-gray-500 break-all"
            )
        if actor.is_admin and currency:
            rate_button(actor, member, currency, formats, refresh)
        # An admin may not touch an owner; members only read.
        editable = actor.is_admin and (member.role.value != "owner" or actor.role.value == "owner")
        if not editable:
            ui.label(ROLE_LABELS[member.role.value]).classes("w-32").mark("role-label")
            return
        choices = grantable(actor) | {member.role.value: ROLE_LABELS[member.role.value]}
        role = ui.select(choices, value=member.role.value, label="Role").props("outlined dense").classes("w-40")
        role.mark("member-role")
        errors = FieldErrors(role=role)

        async def change(event: ValueChangeEventArguments) -> None:
            if event.value == member.role.value:
                return
            try:
                await team.change_role(actor, member.user_id, event.value)
            except ServiceError as exc:
                errors.show("role", exc.message)
                return
            ui.notify(f"{member.name} is now {ROLE_LABELS[event.value]}", type="positive")
            await refresh()

        async def remove() -> None:
            if not await confirm(
                f"Remove {member.name}'s access?",
                "They are signed out at once and their API tokens stop working. What they wrote keeps their name.",
                "Remove access",
            ):
                return
            try:
                await team.remove_member(actor, member.user_id)
            except ServiceError as exc:
                errors.show("role", exc.message)
                return
            ui.notify(f"Removed {member.name}", type="positive")
            await refresh()

        role.on_value_change(change)
        ui.button("Remove access", icon="person_remove", on_click=remove).props(
            "flat dense no-caps color=negative"
        ).mark("remove-access", f"remove-{member.email}")


@staff_page("/people")
async def people_page(context: StaffPage) -> RedirectResponse | None:
    actor, formats = context.actor, context.org.formats
    shown = MEMBERS_PAGE  # "Show more" raises it
    # default rates are in the organization's currency; only owners and admins see them
    currency = (await organizations.get_invoice_settings(actor)).default_currency if actor.is_admin else ""

    @ui.refreshable
    async def invitations() -> None:
        rows = await team.list_invitations(actor)
        if rows:
            ui.label("Invitations").classes("text-lg font-semibold")
        for row in rows:
            invitation_row(actor, row, formats, invitations.refresh)

    @ui.refreshable
    async def members() -> None:
        page = await staff.list_staff(actor, limit=shown)
        for member in page.items:
            member_row(actor, member, formats, members.refresh, currency)
        more = page.total - len(page.items)
        if more > 0 and shown < MAX_PAGE_SIZE:
            ui.button(f"Show more ({more})", on_click=more_members).props("flat dense no-caps")
        elif more > 0:
            ui.label(f"Showing the first {len(page.items)} of {page.total}.").classes("text-sm text-gray-500")

    async def more_members() -> None:
        nonlocal shown
        shown = min(shown + MEMBERS_PAGE, MAX_PAGE_SIZE)
        await members.refresh()

    with frame(context, "People"):
        with ui.row().classes("w-full items-center justify-between"):
            ui.label("Everyone who works in this workspace, and what they may do.").classes("text-gray-600")
            if actor.is_admin:
                dialog = invite_dialog(actor, invitations.refresh)
                ui.button("Invite", icon="person_add", on_click=dialog.open).mark("invite")
        await invitations()
        ui.label("Team").classes("text-lg font-semibold")
        await members()
    return None
