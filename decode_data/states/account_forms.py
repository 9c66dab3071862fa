"""The sign-in and register forms: validate through services/auth, then set the session cookie."""

from __future__ import annotations

import asyncio

import reflex as rx

from decode_data.db import session_scope
from decode_data.services.auth import AuthError, authenticate, register, start_session
from decode_data.services.client_address import client_address
from decode_data.services.rate_limits import RateLimited
from decode_data.settings import get_settings
from decode_data.states.access import safe_next
from decode_data.states.auth import AuthState


def _sign_in(login: str, password: str, client: str, user_agent: str) -> tuple[str, str]:
    with session_scope() as session:
        user = authenticate(session, login, password, client or None)
        return start_session(session, user, user_agent), user.username


def _register(username: str, email: str, password: str, client: str, user_agent: str) -> tuple[str, str]:
    with session_scope() as session:
        user = register(session, username, email, password, client or None)
        return start_session(session, user, user_agent), user.username


class AccountFormState(AuthState):
    """One error message per field plus one for the form, cleared on each submit."""

    error: str = ""
    field: str = ""
    busy: bool = False

    def _client(self) -> str:
        """The client's address: the connection's peer, or X-Forwarded-For as far as proxies are trusted."""
        headers = self.router.headers.raw_headers
        peer = headers.get("asgi-scope-client") or self.router.session.client_ip
        return client_address(peer, headers.get("x-forwarded-for"), get_settings().trusted_proxies) or ""

    def _fail(self, exc: AuthError | RateLimited) -> None:
        self.error, self.field, self.busy = exc.message, exc.field or "", False

    def _next(self) -> str:
        return safe_next(self.router.url.query_parameters.get("next"))

    async def _submit(self, work, *args):
        self.error, self.field, self.busy = "", "", True
        yield
        try:
            token, username = await asyncio.to_thread(work, *args, self.router.headers.user_agent)
        except (AuthError, RateLimited) as exc:
            self._fail(exc)
            return
        self.busy = False
        self._signed_in_as(token, username)
        yield rx.redirect(self._next())


class SignInState(AccountFormState):
    @rx.event
    async def submit(self, form: dict):
        async for update in self._submit(_sign_in, form.get("login", ""), form.get("password", ""), self._client()):
            yield update


class RegisterState(AccountFormState):
    @rx.event
    async def submit(self, form: dict):
        if form.get("password", "") != form.get("confirm", ""):
            self._fail(AuthError("The two passwords differ: type the same password twice.", "confirm"))
            return
        async for update in self._submit(
            _register, form.get("username", ""), form.get("email", ""), form.get("password", ""), self._client()
        ):
            yield update
