"""Staff password reset over the web: the limits on asking for a link, and signing in once the new one is set."""

from __future__ import annotations

from portal_app.auth import staff as staff_auth
from portal_app.auth.ratelimit import SlidingWindow
from services.core.common import email_identity
from services.staff import password_reset

NEUTRAL_SENT = (
    "If that email belongs to a Portico account, a link to reset its password is on its way. It works for 30 minutes."
)

# Each request mails someone: per address (whatever its spelling) so no one's inbox is flooded, and per IP.
# Over either limit the answer is the same neutral text.
request_email_limiter = SlidingWindow("password-reset-email", limit=5, window=15 * 60)
request_ip_limiter = SlidingWindow("password-reset-ip", limit=20, window=15 * 60)


async def request_reset(email: str, *, ip: str) -> None:
    """Queue a reset link when the limits allow; the caller always shows NEUTRAL_SENT."""
    allowed = await request_email_limiter.hit(email_identity(email)) & await request_ip_limiter.hit(ip)
    if allowed:
        await password_reset.request_reset(email, ip)


async def reset_and_sign_in(token: str, new_password: str, *, ip: str, agent: str, browser: str) -> str | None:
    """Set the password; a one-time sign-in ticket usable only by `browser`, or None for a dead link.

    Raises `Invalid` for a refused password (the link then still works).
    """
    who = await password_reset.reset_password(token, new_password, ip=ip, user_agent=agent)
    return await staff_auth.tickets.issue(who, browser=browser) if who else None
