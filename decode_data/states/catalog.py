"""The lesson catalog as the landing page shows it.

Thin on purpose: the catalog service reads lesson.yml files, this state only copies the
fields a card needs into plain dicts the browser can hold.
"""

from __future__ import annotations

import logging

import reflex as rx

from decode_data.services.lessons import Lesson, LessonFormatError, list_lessons

logger = logging.getLogger(__name__)


def lesson_card(lesson: Lesson) -> dict[str, str]:
    """The fields of one lesson card, as strings so the frontend renders them as-is."""
    return {
        "id": lesson.id,
        "title": lesson.title,
        "summary": lesson.summary,
        "level": lesson.level,
        "minutes": str(lesson.minutes),
    }


class CatalogState(rx.State):
    """Lesson cards for the landing page, loaded each time the page opens."""

    lessons: list[dict[str, str]] = []
    loaded: bool = False
    error: str = ""

    @rx.event
    def load(self):
        """Read the catalog; a broken lesson.yml becomes a message, not a crashed page."""
        try:
            self.lessons = [lesson_card(lesson) for lesson in list_lessons()]
            self.error = ""
        except (LessonFormatError, OSError):
            # The details (file, field) are for the operator's log, not for visitors.
            logger.exception("Could not load the lesson catalog")
            self.lessons = []
            self.error = "The lesson catalog could not be loaded. Please try again later."
        self.loaded = True
