"""The dashboard: every lesson with the learner's progress, and where they left off."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import reflex as rx

from decode_data.services.lessons import list_lessons
from decode_data.services.progress import get_progress
from decode_data.states.access import learner_session
from decode_data.states.auth import AuthState


@dataclass
class LessonCard:
    id: str
    title: str
    summary: str
    level: str
    minutes: int
    percent: int
    steps_done: int
    steps: int
    started: bool
    completed: bool
    next_step_title: str


def _cards(token: str) -> tuple[list[LessonCard], str]:
    """Cards in catalog order, and the id of the lesson touched last (to continue)."""
    cards, latest, latest_at = [], "", None
    with learner_session(token) as (session, user):
        for lesson in list_lessons():
            view = get_progress(session, user, lesson)
            next_title = next((s.title for s in lesson.steps if s.id == (view.current_step or view.next_step)), "")
            cards.append(
                LessonCard(
                    id=lesson.id,
                    title=lesson.title,
                    summary=lesson.summary,
                    level=lesson.level,
                    minutes=lesson.minutes,
                    percent=view.percent,
                    steps_done=len(view.completed_steps),
                    steps=len(lesson.steps),
                    started=view.started_at is not None,
                    completed=view.completed,
                    next_step_title=next_title,
                )
            )
            if view.updated_at and not view.completed and (latest_at is None or view.updated_at > latest_at):
                latest, latest_at = lesson.id, view.updated_at
    return cards, latest


class DashboardState(AuthState):
    cards: list[LessonCard] = []
    continue_id: str = ""
    loaded: bool = False

    @rx.var
    def continue_card(self) -> LessonCard | None:
        return next((c for c in self.cards if c.id == self.continue_id), None)

    @rx.event
    async def load(self):
        self.cards, self.continue_id = await asyncio.to_thread(_cards, self.session_token)
        self.loaded = True
