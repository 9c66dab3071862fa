"""The lesson page, the heart of the product: steps and teacher on the left, IDE on the right."""

from __future__ import annotations

import reflex as rx

from decode_data.components.shell import page_shell
from decode_data.components.step_panel import step_panel
from decode_data.components.workbench import workbench
from decode_data.states.auth import AuthState
from decode_data.states.check import CheckState
from decode_data.states.editor import EditorState
from decode_data.states.lesson import LessonState
from decode_data.states.quiz import QuizState
from decode_data.states.runner import RunnerState


def _confirm_reset() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Reset this lesson?"),
            rx.alert_dialog.description(
                "Your files go back to the starter versions and your warehouse is emptied. "
                "Completed steps stay completed."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button("Cancel", variant="soft", color_scheme="gray", on_click=LessonState.ask_reset(False))
                ),
                rx.alert_dialog.action(
                    rx.button("Reset", color_scheme="red", on_click=LessonState.reset_lesson, id="confirm-reset")
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
        ),
        open=LessonState.confirm_reset,
    )


def _title_bar() -> rx.Component:
    return rx.hstack(
        rx.link("Lessons", href="/dashboard", size="2", color_scheme="gray"),
        rx.icon("chevron_right", size=14),
        rx.heading(LessonState.title, size="5", as_="h1"),
        rx.spacer(),
        rx.link(
            rx.button(rx.icon("chart_bar", size=14), "Query & visualize", variant="soft", size="2"),
            href="/lessons/" + LessonState.lesson_id + "/query",
            id="open-query",
        ),
        rx.button(
            rx.icon("download", size=14),
            "Export",
            variant="soft",
            size="2",
            on_click=LessonState.export_zip,
            id="export",
        ),
        rx.button(
            rx.icon("rotate_ccw", size=14),
            "Reset",
            variant="soft",
            color_scheme="red",
            size="2",
            on_click=LessonState.ask_reset(True),
            id="reset",
        ),
        align="center",
        width="100%",
        wrap="wrap",
        spacing="2",
    )


def lesson_page() -> rx.Component:
    return page_shell(
        rx.cond(
            LessonState.not_found,
            rx.callout("There is no such lesson. Pick one on the dashboard.", icon="circle_alert", color_scheme="red"),
            rx.vstack(
                _title_bar(),
                rx.grid(
                    step_panel(),
                    workbench(),
                    columns="minmax(300px, 34%) minmax(0, 1fr)",
                    spacing="4",
                    width="100%",
                    align_items="start",
                ),
                _confirm_reset(),
                spacing="3",
                width="100%",
            ),
        ),
        wide=True,
    )


ON_LOAD = [
    AuthState.require_login,
    LessonState.load_lesson,
    EditorState.load_files,
    CheckState.load_step_help,
    QuizState.load,
    RunnerState.start_inspect,
]
