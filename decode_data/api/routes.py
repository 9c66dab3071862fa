"""The JSON API for integrations (editors, CI, scripts): /api/v1/, personal API tokens.

The Reflex app mounts it with ``rx.App(api_transformer=api_app)``; the same Starlette app also
carries the browser's sign-in and sign-out endpoints (session_routes.py), which are not JSON API
calls of an integration but need the backend's HTTP responses to set an HttpOnly cookie. Each endpoint is a thin
call into the same services as the web UI and the CLI, so an integration saves through the
same save policy and is graded by the same checks, and sees only its token owner's workspace.
"""

from __future__ import annotations

from sqlmodel import Session
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Mount, Route

from decode_data import routes as app_routes
from decode_data.api.session_routes import session_routes
from decode_data.api.support import ApiError, call, http_error, lesson_or_404, step_or_404
from decode_data.models import User
from decode_data.services import checking, progress, rate_limits, workspace
from decode_data.services.grader import LessonError
from decode_data.services.lessons import Lesson, list_lessons
from decode_data.services.save_policy import PathRejected


def _lesson_summary(session: Session, user: User, lesson: Lesson) -> dict:
    view = progress.get_progress(session, user, lesson)
    return {
        "id": lesson.id,
        "title": lesson.title,
        "summary": lesson.summary,
        "level": lesson.level,
        "minutes": lesson.minutes,
        "steps": [{"id": step.id, "title": step.title} for step in lesson.steps],
        "progress": {
            "percent": view.percent,
            "completed": view.completed,
            "completed_steps": view.completed_steps,
            "next_step": view.next_step,
            "current_step": view.current_step,
            "started_at": view.started_at,
        },
    }


def _read(session: Session, user: User, lesson: Lesson, path: str) -> dict:
    workspace.ensure_workspace(session, user, lesson)  # a pruned folder is rebuilt from the DB
    try:
        return {"path": path, "content": workspace.read_file(user, lesson, path)}
    except PathRejected as exc:
        raise ApiError(400, exc.reason) from None
    except FileNotFoundError:
        raise ApiError(404, f"There is no file '{path}' in your workspace of '{lesson.id}'.") from None


def _save(session: Session, user: User, lesson: Lesson, path: str, body: dict) -> dict:
    content = body.get("content")
    if not isinstance(content, str):
        raise ApiError(400, 'Send the file as JSON: {"content": "<the file text>"}.')
    try:
        saved = workspace.save_file(session, user, lesson, path, content)
    except PathRejected as exc:  # SaveRejected too: the reason is written for the learner
        raise ApiError(400, exc.reason) from None
    return {"path": saved, "saved": True}


def _check(session: Session, user: User, lesson: Lesson, step_id: str) -> dict:
    step_or_404(lesson, step_id)
    rate_limits.count_job(session, user)  # RateLimited: 429 (see support.call)
    try:
        return checking.check_step(session, user, lesson, step_id).to_dict()
    except LessonError as exc:
        raise ApiError(500, f"This lesson cannot be graded right now: {exc}") from None


def _files(session: Session, user: User, lesson: Lesson) -> dict:
    workspace.ensure_workspace(session, user, lesson)
    return {"files": workspace.list_files(user, lesson)}


async def lessons(request: Request):
    return await call(
        request,
        lambda session, user: {"lessons": [_lesson_summary(session, user, lesson) for lesson in list_lessons()]},
    )


async def lesson_progress(request: Request):
    lesson_id = request.path_params["lesson_id"]
    return await call(request, lambda session, user: progress.get_progress(session, user, lesson_or_404(lesson_id)))


async def files(request: Request):
    lesson_id = request.path_params["lesson_id"]
    return await call(request, lambda session, user: _files(session, user, lesson_or_404(lesson_id)))


async def file(request: Request):
    lesson_id, path = request.path_params["lesson_id"], request.path_params["path"]
    if request.method == "PUT":
        return await call(
            request,
            lambda session, user, body: _save(session, user, lesson_or_404(lesson_id), path, body),
            with_body=True,
        )
    return await call(request, lambda session, user: _read(session, user, lesson_or_404(lesson_id), path))


async def check(request: Request):
    lesson_id, step_id = request.path_params["lesson_id"], request.path_params["step_id"]
    return await call(request, lambda session, user: _check(session, user, lesson_or_404(lesson_id), step_id))


api_app = Starlette(
    routes=[
        Mount(
            app_routes.API,
            routes=[
                Route("/lessons", lessons),
                Route("/lessons/{lesson_id}/progress", lesson_progress),
                Route("/lessons/{lesson_id}/files", files),
                Route("/lessons/{lesson_id}/files/{path:path}", file, methods=["GET", "PUT"]),
                Route("/lessons/{lesson_id}/steps/{step_id}/check", check, methods=["POST"]),
            ],
        ),
        *session_routes,  # the browser's sign-in and sign-out: they set the HttpOnly session cookie
    ],
    exception_handlers={HTTPException: http_error},
)
