"""Sign in with GitHub, Google or any OpenID Connect provider (authorization code + PKCE).

Starting stores the pending state in the database and the same `state` in a short-lived cookie;
the callback page must present both, so a callback started in another browser is refused.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from decode_data.db import session_scope
from decode_data.services.auth import AuthError, authorization_url, complete_login, configured_providers, start_session
from decode_data.states.access import safe_next
from decode_data.states.auth import AuthState

STATE_COOKIE = "dd_oauth_state"


def provider_buttons() -> list[dict[str, str]]:
    return [{"name": p.name, "label": p.label} for p in configured_providers().values()]


def _start(provider: str) -> tuple[str, str]:
    with session_scope() as session:
        url, pending = authorization_url(session, provider)
        return url, pending.state


def _finish(provider: str, params: dict, browser_state: str, user_agent: str) -> tuple[str, str]:
    with session_scope() as session:
        user = complete_login(session, provider, params, browser_state=browser_state)
        return start_session(session, user, user_agent), user.username


class OAuthState(AuthState):
    providers: list[dict[str, str]] = []
    pending_state: str = rx.Cookie("", name=STATE_COOKIE, max_age=600, same_site="lax")
    next_path: str = rx.Cookie("", name="dd_oauth_next", max_age=600, same_site="lax")
    error: str = ""

    @rx.event
    def load_providers(self):
        self.providers = provider_buttons()

    @rx.event
    async def start(self, provider: str):
        self.error = ""
        try:
            url, state = await asyncio.to_thread(_start, provider)
        except (AuthError, LookupError, OSError) as exc:
            self.error = getattr(exc, "message", None) or f"Signing in with {provider} is not available now."
            return None
        self.pending_state = state
        self.next_path = safe_next(self.router.url.query_parameters.get("next"))
        return rx.redirect(url)  # another host: the browser leaves the app for the provider

    @rx.event
    async def finish(self):
        """on_load of /auth/callback/<provider>: trade the code for an identity, then sign in."""
        provider = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        params = dict(self.router.url.query_parameters)
        try:
            token, username = await asyncio.to_thread(
                _finish, provider, params, self.pending_state, self.router.headers.user_agent
            )
        except (AuthError, LookupError) as exc:
            self.error = getattr(exc, "message", None) or "This sign-in link is not valid; please start again."
            return None
        finally:
            self.pending_state = ""
        self._signed_in_as(token, username)
        target, self.next_path = safe_next(self.next_path), ""
        return rx.redirect(target)
