"""Plumbing of the JSON API: bearer-token auth, one DB session per call, JSON errors only.

Every endpoint runs its work through ``call``: the token is checked and the service runs in
the same short session, in a worker thread (services block on the database, the disk and
dbt). Known failures become ``{"error": ...}`` with a fitting status; anything unexpected is
logged and answered with a generic 500, so a client never sees a stack trace.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from decode_data.db import session_scope
from decode_data.services.auth.api_tokens import user_for_api_token
from decode_data.services.lessons import Lesson, LessonNotFound, get_lesson
from decode_data.services.rate_limits import RateLimited, count_api_write

log = logging.getLogger(__name__)

BODY_LIMIT = 1_000_000  # bytes of JSON; the save policy's file limit applies after parsing


class ApiError(Exception):
    """A failure the client should read: an HTTP status and a message for people."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own 404/405 (unknown route or method) in the API's JSON shape."""
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, exc.detail, dict(exc.headers or {}) or None)


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Send your API token as 'Authorization: Bearer <token>'.", {"WWW-Authenticate": "Bearer"})
    return token.strip()


def lesson_or_404(lesson_id: str) -> Lesson:
    try:
        return get_lesson(lesson_id)
    except LessonNotFound:
        raise ApiError(404, f"There is no lesson '{lesson_id}'.") from None


def step_or_404(lesson: Lesson, step_id: str) -> str:
    if not any(step.id == step_id for step in lesson.steps):
        known = ", ".join(step.id for step in lesson.steps) or "none"
        raise ApiError(404, f"Lesson '{lesson.id}' has no step '{step_id}' (its steps: {known}).")
    return step_id


def to_json(value: Any) -> Any:
    """Dataclasses, tuples and datetimes (ISO 8601) as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


async def read_body(request: Request) -> bytes:
    """The raw body, read with a size cap so a huge request cannot fill the server's memory."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > BODY_LIMIT:
            raise ApiError(413, f"The request body is too large (limit {BODY_LIMIT:,} bytes).")
    return bytes(body)


MAX_JSON_DEPTH = 32  # no request of this API nests deeper than a few levels


def json_object(body: bytes) -> dict:
    try:
        data = json.loads(body or b"null")
    except RecursionError:  # thousands of nested brackets: the parser's own limit
        raise ApiError(400, f"The request body is nested too deeply (limit {MAX_JSON_DEPTH} levels).") from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The request body must be JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    if _depth(data) > MAX_JSON_DEPTH:
        raise ApiError(400, f"The request body is nested too deeply (limit {MAX_JSON_DEPTH} levels).")
    return data


def _depth(value: Any) -> int:
    """How deeply lists and objects nest, walked without recursion."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            todo += [(child, level + 1) for child in (item.values() if isinstance(item, dict) else item)]
    return deepest


async def call(request: Request, work: Callable[..., Any], *, with_body: bool = False) -> JSONResponse:
    """Authenticate, run ``work(session, user)`` in a thread and answer with its JSON result.

    With ``with_body`` the request's JSON object is passed as a third argument; it is parsed
    only once the token is known good, so a stranger learns nothing but 401. Writes (any method
    but GET and HEAD) count against the user's DECODE_DATA_API_WRITES_PER_MINUTE; past it, and
    past any other rate limit the work hits, the answer is 429 with Retry-After.
    """
    write = request.method not in ("GET", "HEAD")
    try:
        token = bearer_token(request)
        body = await read_body(request) if with_body else b""

        def run() -> Any:
            with session_scope() as session:
                user = user_for_api_token(session, token)
                if user is None:
                    raise ApiError(
                        401,
                        "This API token is not valid (revoked, or mistyped).",
                        {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                    )
                try:
                    if write:
                        count_api_write(session, user)
                    return work(session, user, json_object(body)) if with_body else work(session, user)
                except RateLimited as exc:
                    raise ApiError(429, exc.message, {"Retry-After": str(exc.retry_after_s)}) from None

        return JSONResponse(to_json(await run_in_threadpool(run)))
    except ApiError as exc:
        return error_response(exc.status, exc.message, exc.headers)
    except Exception:
        log.exception("API call %s %s failed", request.method, request.url.path)
        return error_response(500, "Something went wrong on the server; the error is logged.")
