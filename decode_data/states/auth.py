"""Who is signed in: the session token from the request's cookie, the page guard, signing out.

The browser holds the token in an HttpOnly cookie that only the server sets and clears
(decode_data/api/session_routes.py); no script in the page can read it. The event websocket's
handshake carries it, so states read it from the connection's Cookie header: no state var holds
it. The token's hash is in the app database (services/auth/sessions.py), so signing out or
expiry ends it on the server, not just in this browser.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import reflex as rx

from decode_data import routes
from decode_data.db import session_scope
from decode_data.services.auth import user_for_session
from decode_data.services.auth.cookies import SESSION_COOKIE, read_cookie
from decode_data.states import backend_calls


def _username_for(token: str) -> str | None:
    with session_scope() as session:
        user = user_for_session(session, token) if token else None
        return user.username if user else None


def sign_out_event():
    """The sign-out buttons: the server ends the session and clears the cookie, then the home
    page loads afresh (the request runs in the page, see backend_calls)."""
    return backend_calls.post(routes.SESSION_SIGN_OUT, AuthState.signed_out)


class AuthState(rx.State):
    """The name shown in the header; every page state derives from it."""

    username: str = ""

    @property
    def session_token(self) -> str:
        """This connection's session token (its Cookie header), or ""; never stored in the state."""
        return read_cookie(self.router.headers.cookie, SESSION_COOKIE)

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
            return rx.redirect(f"{routes.SIGN_IN}?next={quote(self._here(), safe='')}")
        self.username = username
        return None

    @rx.event
    async def load_identity(self):
        """on_load of public pages: show "Dashboard" instead of "Sign in" to a signed-in visitor."""
        self.username = await asyncio.to_thread(_username_for, self.session_token) or ""

    @rx.event
    def signed_out(self, result: dict):
        """The sign-out endpoint's answer (sign_out_button); on success the home page is loading."""
        if result.get("done"):
            self.username = ""
            return None
        return rx.toast.error(f"Signing out did not work: {result.get('error', '')}", position="top-center")

    @rx.event
    def to_sign_in(self):
        """on_load of /login, a common guess: the sign-in page, keeping ?next= (no history entry)."""
        query = self.router.url.query
        return rx.redirect(routes.SIGN_IN + (f"?{query}" if query else ""), replace=True)
