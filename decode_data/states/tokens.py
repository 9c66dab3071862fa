"""API tokens on the settings page: list, create (the secret is shown once) and revoke.

Every handler finds the learner from the session cookie; the token id a revoke sends is only
a choice among the learner's own tokens, and the service refuses anyone else's.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from decode_data.services.auth import AuthError
from decode_data.services.auth.api_tokens import MAX_NAME_CHARS, create_token, list_tokens, revoke_token
from decode_data.settings import get_settings
from decode_data.states.access import NotSignedIn, learner_session
from decode_data.states.auth import AuthState
from decode_data.states.token_models import TokenRow, curl_example, token_rows


def _rows(session, user) -> list[TokenRow]:
    return token_rows(list_tokens(session, user, include_revoked=True))


def read_tokens(token: str) -> list[TokenRow]:
    with learner_session(token) as (session, user):
        return _rows(session, user)


def create_for(token: str, name: str) -> tuple[str, list[TokenRow]]:
    """(raw token, the list after it); raises AuthError with a message for the form."""
    with learner_session(token) as (session, user):
        raw, _ = create_token(session, user, name)
        return raw, _rows(session, user)


def revoke_for(token: str, token_id: int) -> list[TokenRow]:
    with learner_session(token) as (session, user):
        revoke_token(session, user, token_id)
        return _rows(session, user)


class TokensState(AuthState):
    tokens: list[TokenRow] = []
    loaded: bool = False
    name: str = ""
    error: str = ""  # the create form's message
    list_error: str = ""  # a revoke that failed
    busy: bool = False
    new_token: str = ""  # the raw secret, shown once: cleared when dismissed or the page reloads
    new_token_name: str = ""
    copied: bool = False
    confirm_id: int = 0  # the token waiting for "yes, revoke it"; 0 when no dialog is open
    confirm_name: str = ""
    public_url: str = ""

    @rx.var
    def curl(self) -> str:
        return curl_example(self.public_url, self.new_token or "<token>")

    @rx.var
    def active_count(self) -> int:
        return sum(1 for t in self.tokens if t.active)

    @rx.event
    async def load(self):
        self.new_token, self.new_token_name, self.copied = "", "", False
        self.error, self.list_error, self.confirm_id, self.confirm_name = "", "", 0, ""
        self.public_url = get_settings().public_url
        try:
            self.tokens = await asyncio.to_thread(read_tokens, self.session_token)
        except NotSignedIn:
            return AuthState.require_login
        self.loaded = True
        return None

    @rx.event
    def set_name(self, name: str):
        self.name = name[: MAX_NAME_CHARS * 2]

    @rx.event
    async def create(self, form: dict):
        name = str(form.get("name", self.name) or "")
        self.error, self.busy = "", True
        yield
        try:
            raw, rows = await asyncio.to_thread(create_for, self.session_token, name)
        except AuthError as exc:
            self.error, self.busy = exc.message, False
            return
        except NotSignedIn:
            self.busy = False
            yield AuthState.require_login
            return
        self.busy, self.tokens, self.name = False, rows, ""
        self.new_token, self.new_token_name, self.copied = raw, name.strip(), False

    @rx.event
    def mark_copied(self):
        self.copied = True

    @rx.event
    def dismiss_new_token(self):
        self.new_token, self.new_token_name, self.copied = "", "", False

    @rx.event
    def ask_revoke(self, token_id: int):
        row = next((t for t in self.tokens if t.id == token_id and t.active), None)
        if row is not None:
            self.confirm_id, self.confirm_name, self.list_error = row.id, row.name, ""

    @rx.event
    def cancel_revoke(self):
        self.confirm_id, self.confirm_name = 0, ""

    @rx.event
    def dialog_open_change(self, is_open: bool):
        if not is_open:
            self.cancel_revoke()

    @rx.event
    async def confirm_revoke(self):
        token_id = self.confirm_id
        self.cancel_revoke()
        if not token_id:
            return None
        try:
            self.tokens = await asyncio.to_thread(revoke_for, self.session_token, token_id)
        except AuthError as exc:
            self.list_error = exc.message
        except NotSignedIn:
            return AuthState.require_login
        return None
