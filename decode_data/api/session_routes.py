"""Signing in, signing up, OAuth and signing out over plain HTTP, so the server sets the cookie.

The session token lives only in an HttpOnly cookie (services/auth/cookies.py) that no script
in the page can read; a Reflex event cannot set such a cookie, an HTTP response can. The forms
post JSON here with fetch, then load the next page in full, so its websocket carries the cookie.

Cross-site request forgery: the cookies are SameSite=Lax, and every POST here must come from
the app's own page (its Origin, else its Referer, is one of settings.allowed_origins) and be
JSON, which a form on another site cannot send. The OAuth callback is a cross-site GET by
nature: the pending state in the browser's own HttpOnly cookie must match the provider's.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from decode_data import routes
from decode_data.api.support import ApiError, json_object, read_body
from decode_data.models import utcnow
from decode_data.services.auth import AccountLocked, AuthError, browser_sign_in, configured_providers, signed_notes
from decode_data.services.auth.cookies import (
    OAUTH_COOKIE_SECONDS,
    OAUTH_NEXT_COOKIE,
    OAUTH_STATE_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    read_cookie,
    session_cookie,
    set_cookie,
)
from decode_data.services.client_address import client_address
from decode_data.services.rate_limits import RateLimited
from decode_data.services.safe_next import safe_next
from decode_data.settings import get_settings

log = logging.getLogger(__name__)

NOT_FROM_THIS_SITE = "This request did not come from this site's own page, so it was refused."
UNKNOWN_PROVIDER = "This sign-in provider is not set up on this server."


def from_own_page(request: Request) -> bool:
    """The request was sent by a page of this app: its Origin (or, without one, its Referer)."""
    allowed = get_settings().allowed_origins
    origin = request.headers.get("origin")
    if origin:
        return origin in allowed
    parts = urlsplit(request.headers.get("referer", ""))
    return bool(parts.scheme and parts.netloc) and f"{parts.scheme}://{parts.netloc}" in allowed


def _client(request: Request) -> str | None:
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"), get_settings().trusted_proxies)


def _cookie(request: Request, name: str) -> str:
    return read_cookie(request.headers.get("cookie"), name)


def _text(body: dict, name: str) -> str:
    value = body.get(name, "")
    return value if isinstance(value, str) else ""


def _refused(exc: AuthError | RateLimited) -> JSONResponse:
    """A form error in plain words: 400 under a field, or 429 with Retry-After for a limit."""
    if isinstance(exc, RateLimited):
        wait_s = exc.retry_after_s
    elif isinstance(exc, AccountLocked):
        wait_s = max(1, math.ceil((exc.retry_at - utcnow()).total_seconds()))
    else:
        return JSONResponse({"error": exc.message, "field": exc.field or ""}, status_code=400)
    return JSONResponse({"error": exc.message, "field": ""}, status_code=429, headers={"Retry-After": str(wait_s)})


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "field": ""}, status_code=status)


async def _signing_in(request: Request, work: Callable[[dict, str | None, str], tuple[str, str]]) -> Response:
    """Check the request, run `work(body, client, user agent)` in a thread, set the cookie.

    A session this browser held before is ended, so a cookie planted or copied earlier does
    not outlive the sign-in."""
    if not from_own_page(request):
        return _error(403, NOT_FROM_THIS_SITE)
    try:
        body = json_object(await read_body(request))
        token, username = await run_in_threadpool(work, body, _client(request), request.headers.get("user-agent", ""))
    except ApiError as exc:
        return _error(exc.status, exc.message)
    except (AuthError, RateLimited) as exc:
        return _refused(exc)
    except Exception:
        log.exception("%s failed", request.url.path)
        return _error(500, "Something went wrong on the server; please try again.")
    if previous := _cookie(request, SESSION_COOKIE):  # this browser's earlier sign-in ends here
        await run_in_threadpool(browser_sign_in.sign_out, previous)
    response = JSONResponse({"next": safe_next(_text(body, "next")), "username": username})
    response.headers.append("set-cookie", session_cookie(token))
    return response


async def sign_in(request: Request) -> Response:
    return await _signing_in(
        request,
        lambda body, client, agent: browser_sign_in.sign_in(
            _text(body, "login"), _text(body, "password"), client, agent
        ),
    )


async def sign_up(request: Request) -> Response:
    def work(body: dict, client: str | None, agent: str) -> tuple[str, str]:
        fields = (_text(body, name) for name in ("username", "email", "password", "confirm"))
        return browser_sign_in.sign_up(*fields, client, agent)

    return await _signing_in(request, work)


async def sign_out(request: Request) -> Response:
    """End the session on the server and drop the cookie; the page then loads the home page."""
    if not from_own_page(request):
        return _error(403, NOT_FROM_THIS_SITE)
    await run_in_threadpool(browser_sign_in.sign_out, _cookie(request, SESSION_COOKIE))
    response = JSONResponse({"next": routes.HOME})
    response.headers.append("set-cookie", clear_cookie(SESSION_COOKIE))
    return response


def _page_url(path: str) -> str:
    """A page of the app as learners reach it (in --dev the backend answers on another port)."""
    return get_settings().public_url.rstrip("/") + path


def _back_to_sign_in(message: str, next_path: str, *, pending_used: bool = False) -> RedirectResponse:
    """To /signin, which shows `message` (signed, so only the server's own messages show);
    `pending_used`: a callback, whose pending-state cookies are dropped, they are of no more use."""
    note, signature = signed_notes.sign(message)
    query = urlencode({"next": next_path, "oauth_error": note, "sig": signature})
    response = RedirectResponse(f"{_page_url(routes.SIGN_IN)}?{query}", status_code=303)
    for name in (OAUTH_STATE_COOKIE, OAUTH_NEXT_COOKIE) if pending_used else ():
        response.headers.append("set-cookie", clear_cookie(name))
    return response


async def oauth_start(request: Request) -> Response:
    """A provider button: remember the pending state in this browser, then off to the provider."""
    provider = request.path_params["provider"]
    next_path = safe_next(request.query_params.get("next"))
    if request.headers.get("sec-fetch-site") == "cross-site":  # a link on another site, not our button
        return _back_to_sign_in("Start signing in from this site's sign-in page.", next_path)
    if provider not in configured_providers():
        return _back_to_sign_in(UNKNOWN_PROVIDER, next_path)
    try:
        url, state = await run_in_threadpool(browser_sign_in.start_oauth, provider)
    except AuthError as exc:
        return _back_to_sign_in(exc.message, next_path)
    except Exception:  # the provider's discovery document could not be read, and the like
        log.exception("Starting an OAuth sign-in with %s failed", provider)
        return _back_to_sign_in(
            f"Signing in with {configured_providers()[provider].label} is not available now.", next_path
        )
    response = RedirectResponse(url, status_code=303)
    response.headers.append("set-cookie", set_cookie(OAUTH_STATE_COOKIE, state, OAUTH_COOKIE_SECONDS))
    response.headers.append("set-cookie", set_cookie(OAUTH_NEXT_COOKIE, next_path, OAUTH_COOKIE_SECONDS))
    return response


async def oauth_callback(request: Request) -> Response:
    """Where the provider sends the browser back: sign in, set the cookie, go on to `next`."""
    provider = request.path_params["provider"]
    next_path = safe_next(_cookie(request, OAUTH_NEXT_COOKIE))
    if provider not in configured_providers():
        return _back_to_sign_in(UNKNOWN_PROVIDER, next_path, pending_used=True)
    try:
        token, _username = await run_in_threadpool(
            browser_sign_in.finish_oauth,
            provider,
            dict(request.query_params),
            _cookie(request, OAUTH_STATE_COOKIE),
            request.headers.get("user-agent", ""),
            _client(request),
        )
    except AuthError as exc:
        return _back_to_sign_in(exc.message, next_path, pending_used=True)
    except Exception:
        log.exception("Finishing an OAuth sign-in with %s failed", provider)
        return _back_to_sign_in("This sign-in could not be finished; please start again.", next_path, pending_used=True)
    response = RedirectResponse(_page_url(next_path), status_code=303)
    response.headers.append("set-cookie", session_cookie(token))
    for name in (OAUTH_STATE_COOKIE, OAUTH_NEXT_COOKIE):
        response.headers.append("set-cookie", clear_cookie(name))
    return response


session_routes = [
    Route(routes.SESSION_SIGN_IN, sign_in, methods=["POST"]),
    Route(routes.SESSION_REGISTER, sign_up, methods=["POST"]),
    Route(routes.SESSION_SIGN_OUT, sign_out, methods=["POST"]),
    Route(routes.starlette_path(routes.OAUTH_START), oauth_start, methods=["GET"]),
    Route(routes.starlette_path(routes.OAUTH_CALLBACK), oauth_callback, methods=["GET"]),
]
