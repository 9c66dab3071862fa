"""The quiz card under the steps: one radio group per question, graded on submit."""

from __future__ import annotations

import reflex as rx

from decode_data.components import ui
from decode_data.states.quiz import QuizItem, QuizState


def _question(item: QuizItem) -> rx.Component:
    return rx.vstack(
        rx.text(item.index + 1, ". ", item.question, weight="medium", size="2"),
        rx.radio_group.root(
            rx.foreach(item.choices, lambda choice, i: rx.radio_group.item(choice, value=i.to_string())),
            value=item.chosen,
            on_change=lambda value: QuizState.choose(item.index, value),
            direction="column",
            size="2",
            name="quiz-" + item.index.to_string(),
        ),
        rx.cond(
            item.graded,
            rx.callout.root(
                rx.callout.text(rx.text.strong(rx.cond(item.correct, "Right. ", "Not quite. ")), item.explanation),
                color_scheme=rx.cond(item.correct, ui.ACCENT, ui.WARNING),
                size="1",
                class_name="quiz-verdict",
            ),
        ),
        spacing=ui.GAP,
        width="100%",
        class_name="quiz-question",
    )


def quiz_panel() -> rx.Component:
    return rx.cond(
        QuizState.questions.length() > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading("Quiz", size="4", as_="h2"),
                    rx.spacer(),
                    rx.cond(
                        QuizState.score != "",
                        rx.badge("Score ", QuizState.score, id="quiz-score", color_scheme=ui.ACCENT),
                    ),
                    width="100%",
                    align="center",
                ),
                ui.muted("Check what you learned in this lesson."),
                rx.foreach(QuizState.questions, _question),
                rx.cond(QuizState.error != "", ui.field_error(QuizState.error)),
                rx.button("Submit answers", on_click=QuizState.submit, id="quiz-submit"),
                spacing=ui.STACK_GAP,
                width="100%",
            ),
            width="100%",
            flex_shrink="0",
            id="quiz",
        ),
    )
