"""The lesson-complete moment: what the learner can now do, the quiz, and where to go next."""

from __future__ import annotations

import reflex as rx

from decode_data import routes
from decode_data.states.lesson import LessonState
from decode_data.states.quiz import QuizState


def lesson_complete() -> rx.Component:
    return rx.cond(
        LessonState.complete,
        rx.callout.root(
            rx.callout.icon(rx.icon("trophy")),
            rx.vstack(
                rx.text("Lesson complete: ", LessonState.title, weight="bold"),
                rx.text("Every step passes. Along the way you practised:", size="2"),
                rx.el.ul(rx.foreach(LessonState.learned, lambda title: rx.el.li(rx.text(title, size="2")))),
                rx.cond(
                    QuizState.questions.length() > 0,
                    rx.text("Test what stuck with the quiz below.", size="2"),
                ),
                rx.cond(
                    LessonState.next_lesson_id != "",
                    rx.link(
                        rx.button("Next lesson: ", LessonState.next_lesson_title, rx.icon("arrow_right", size=14)),
                        href=routes.lesson(LessonState.next_lesson_id),
                        id="next-lesson",
                    ),
                    rx.link(rx.button("Back to all lessons"), href=routes.DASHBOARD, id="next-lesson"),
                ),
                spacing="2",
                width="100%",
            ),
            color_scheme="teal",
            id="lesson-complete",
            width="100%",
        ),
    )
