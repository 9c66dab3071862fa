"""The progress page: every lesson's steps, attempts and help taken, plus recent activity.

One thread reads it all for the signed-in learner (progress rows and run history are database
reads); the state keeps the plain rows progress_models builds from them.
"""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from decode_data.services import history
from decode_data.services.lessons import list_lessons
from decode_data.services.progress import get_progress
from decode_data.states.access import NotSignedIn, learner_session
from decode_data.states.auth import AuthState
from decode_data.states.progress_models import (
    LessonProgress,
    RunRow,
    activity_points,
    activity_total,
    lesson_progress,
    run_rows,
)

logger = logging.getLogger(__name__)

ACTIVITY_DAYS = 14
RECENT_RUNS = 20


def read_progress(token: str) -> tuple[list[LessonProgress], list[dict], list[RunRow]]:
    """(lesson cards, activity per day for the chart, recent runs) of this cookie's learner."""
    with learner_session(token) as (session, user):
        lessons = list_lessons()
        cards = [lesson_progress(lesson, get_progress(session, user, lesson)) for lesson in lessons]
        activity = activity_points(history.activity_by_day(session, user, days=ACTIVITY_DAYS))
        recent = run_rows(
            history.recent(session, user, limit=RECENT_RUNS), {lesson.id: lesson.title for lesson in lessons}
        )
    return cards, activity, recent


class ProgressState(AuthState):
    lessons: list[LessonProgress] = []
    activity: list[dict] = []
    recent: list[RunRow] = []
    loaded: bool = False
    error: str = ""

    @rx.var
    def activity_count(self) -> int:
        return activity_total(self.activity)

    @rx.var
    def completed_count(self) -> int:
        return sum(1 for lesson in self.lessons if lesson.completed)

    @rx.event
    async def load(self):
        try:
            self.lessons, self.activity, self.recent = await asyncio.to_thread(read_progress, self.session_token)
            self.error = ""
        except NotSignedIn:
            return AuthState.require_login
        except Exception:  # noqa: BLE001 - a message for the learner, the details for the log
            logger.exception("Reading the progress page failed")
            self.error = "Your progress could not be loaded; please reload the page."
        self.loaded = True
        return None
