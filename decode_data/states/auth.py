"""Who is signed in: the session cookie, the page guard and signing out.

The cookie holds a random token whose hash is in the app database (services/auth/sessions.py),
so signing out or expiry ends it on the server, not just in this browser.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import reflex as rx

from decode_data import routes
from decode_data.db import session_scope
from decode_data.services.auth import end_session, user_for_session
from decode_data.settings import get_settings

SESSION_COOKIE = "dd_session"


def _session_cookie() -> rx.Cookie:
    settings = get_settings()
    return rx.Cookie(
        "",
        name=SESSION_COOKIE,
        max_age=settings.session_days * 86400,
        same_site="lax",
        secure=settings.public_url.startswith("https://"),
    )


def _username_for(token: str) -> str | None:
    with session_scope() as session:
        user = user_for_session(session, token) if token else None
        return user.username if user else None


def _end(token: str) -> None:
    with session_scope() as session:
        end_session(session, token)


class AuthState(rx.State):
    """The session cookie and the name shown in the header; every page state derives from it."""

    session_token: str = _session_cookie()
    username: str = ""

    @rx.var
    def signed_in(self) -> bool:
        return self.username != ""

    def _here(self) -> str:
        url = self.router.url
        return url.path + (f"?{url.query}" if url.query else "")

    @rx.event
    async def require_login(self):
        """on_load guard of every private page: unknown or ended sessions go to sign in."""
        username = await asyncio.to_thread(_username_for, self.session_token)
        if username is None:
            self.username = ""
            self.session_token = ""
            return rx.redirect(f"{routes.SIGN_IN}?next={quote(self._here(), safe='')}")
        self.username = username
        return None

    @rx.event
    async def load_identity(self):
        """on_load of public pages: show "Dashboard" instead of "Sign in" to a signed-in visitor."""
        self.username = await asyncio.to_thread(_username_for, self.session_token) or ""

    @rx.event
    async def sign_out(self):
        await asyncio.to_thread(_end, self.session_token)
        self.session_token = ""
        self.username = ""
        return rx.redirect(routes.HOME)

    @rx.event
    def to_sign_in(self):
        """on_load of /login, a common guess: the sign-in page, keeping ?next= (no history entry)."""
        query = self.router.url.query
        return rx.redirect(routes.SIGN_IN + (f"?{query}" if query else ""), replace=True)

    def _signed_in_as(self, token: str, username: str):
        self.session_token = token
        self.username = username
