"""What the browser's sign-in, sign-up, OAuth and sign-out requests do, each in one short
database session: the HTTP endpoints (decode_data/api/session_routes.py) call these and only
turn the outcome into a response and a cookie.

Failures are the services' own AuthError / RateLimited, whose messages are written for people.
"""

from __future__ import annotations

from decode_data.db import session_scope
from decode_data.services.auth.accounts import authenticate, register
from decode_data.services.auth.errors import AuthError
from decode_data.services.auth.oauth import authorization_url, complete_login
from decode_data.services.auth.sessions import end_session, start_session


def sign_in(login: str, password: str, client: str | None, user_agent: str) -> tuple[str, str]:
    """(new session token, username); AuthError (AccountLocked after too many failures)."""
    with session_scope() as session:
        user = authenticate(session, login, password, client or None)
        return start_session(session, user, user_agent), user.username


def sign_up(
    username: str, email: str, password: str, confirm: str, client: str | None, user_agent: str
) -> tuple[str, str]:
    """(new session token, username) of a new account; AuthError naming the field, or RateLimited."""
    if password != confirm:
        raise AuthError("The two passwords differ: type the same password twice.", "confirm")
    with session_scope() as session:
        user = register(session, username, email, password, client or None)
        return start_session(session, user, user_agent), user.username


def start_oauth(provider: str) -> tuple[str, str]:
    """(the provider's URL to send the browser to, the pending state for its cookie)."""
    with session_scope() as session:
        url, pending = authorization_url(session, provider)
        return url, pending.state


def finish_oauth(
    provider: str, params: dict, browser_state: str, user_agent: str, client: str | None = None
) -> tuple[str, str]:
    """(new session token, username) for the provider's callback; OAuthLoginError says why not
    (a new account past the sign-up limit of `client` among the reasons)."""
    with session_scope() as session:
        user = complete_login(session, provider, params, browser_state=browser_state, client=client or None)
        return start_session(session, user, user_agent), user.username


def sign_out(token: str) -> None:
    """End this browser's session on the server (an unknown or ended token is fine)."""
    with session_scope() as session:
        end_session(session, token)
