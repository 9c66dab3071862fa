"""The cookies the server sets for signing in, and reading them back from a Cookie header.

They are set only by HTTP responses of the backend (decode_data/api/session_routes.py) and are
always `HttpOnly` (no script in the page can read them), `SameSite=Lax` (another site's page
cannot make the browser send them with a POST) and `Path=/`, plus `Secure` when PUBLIC_URL is
https. The Reflex states read the session token from the event websocket's Cookie header, so no
state var and nothing in the page's storage ever holds it.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from decode_data.settings import get_settings

SESSION_COOKIE = "dd_session"
OAUTH_STATE_COOKIE = "dd_oauth_state"  # the pending provider sign-in this browser started
OAUTH_NEXT_COOKIE = "dd_oauth_next"  # where that sign-in goes afterwards
OAUTH_COOKIE_SECONDS = 600  # as long as a pending OAuth state lives in the database


def set_cookie(name: str, value: str, max_age_s: int) -> str:
    """A Set-Cookie header value; `value` is percent-encoded, so any text is safe in it."""
    parts = [f"{name}={quote(value, safe='')}", f"Max-Age={max_age_s}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if get_settings().public_url.startswith("https://"):
        parts.append("Secure")
    return "; ".join(parts)


def session_cookie(token: str) -> str:
    """Set-Cookie for a new sign-in: lasts as long as the session does in the database."""
    return set_cookie(SESSION_COOKIE, token, get_settings().session_days * 86400)


def clear_cookie(name: str) -> str:
    """Set-Cookie that makes the browser drop `name` now."""
    return set_cookie(name, "", 0) + "; Expires=Thu, 01 Jan 1970 00:00:00 GMT"


def read_cookie(cookie_header: str | None, name: str) -> str:
    """The value of `name` in a Cookie request header ("" when absent); the first one wins."""
    for pair in (cookie_header or "").split(";"):
        key, sep, value = pair.strip().partition("=")
        if sep and key.strip() == name:
            return unquote(value.strip().strip('"'))
    return ""
