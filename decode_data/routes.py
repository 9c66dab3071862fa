"""Every path of the web app, in one place: page registration, links, redirects and OAuth
callbacks use these names, so a route changes here and nowhere else.

Plain Python without Reflex, so services (OAuth callback URLs) can use it too. The helpers
build a path from a lesson id given as a string or as a Reflex string var alike.
"""

from __future__ import annotations

from typing import Any

HOME = "/"
SIGN_IN = "/signin"
LOGIN = "/login"  # a common guess for the sign-in page; it redirects to SIGN_IN
REGISTER = "/register"
OAUTH_CALLBACK = "/auth/callback/[provider]"
DASHBOARD = "/dashboard"
LESSONS = "/lessons"
LESSON = f"{LESSONS}/[lesson]"
LESSON_QUERY = f"{LESSON}/query"
PROGRESS = "/progress"
SETTINGS = "/settings"
API = "/api/v1"
# HTTP endpoints of the backend (not pages) that set or clear the HttpOnly session cookie.
SESSION_SIGN_IN = "/session/sign-in"
SESSION_REGISTER = "/session/register"
SESSION_SIGN_OUT = "/session/sign-out"
OAUTH_START = "/session/oauth/[provider]"

AFTER_SIGN_IN = DASHBOARD  # where sign-in and sign-up land without a ?next=


def lesson(lesson_id: Any) -> Any:
    """/lessons/<id>; `lesson_id` may be a Reflex var (the result is then a var too)."""
    return LESSONS + "/" + lesson_id


def lesson_query(lesson_id: Any) -> Any:
    """/lessons/<id>/query."""
    return LESSONS + "/" + lesson_id + "/query"


def oauth_callback(provider: str) -> str:
    """/auth/callback/<provider>: what the provider sends the browser back to."""
    return OAUTH_CALLBACK.replace("[provider]", provider)


def oauth_start(provider: str) -> str:
    """/session/oauth/<provider>: the backend starts a provider sign-in there."""
    return OAUTH_START.replace("[provider]", provider)


def starlette_path(route: str) -> str:
    """A route in Starlette's spelling: /auth/callback/[provider] -> /auth/callback/{provider}."""
    return route.replace("[", "{").replace("]", "}")


def lesson_id_from_path(path: str) -> str:
    """/lessons/<id> and /lessons/<id>/query -> <id>; "" for any other path."""
    parts = [p for p in path.split("/") if p]
    return parts[1] if len(parts) >= 2 and "/" + parts[0] == LESSONS else ""
