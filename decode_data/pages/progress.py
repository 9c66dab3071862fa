"""The progress page (/progress): each lesson's steps and help taken, activity, recent runs."""

from __future__ import annotations

import reflex as rx

from decode_data import routes
from decode_data.components import ui
from decode_data.components.shell import loading_or, page_shell
from decode_data.states.auth import AuthState
from decode_data.states.progress_models import LessonProgress, RunRow, StepProgress
from decode_data.states.progress_page import ACTIVITY_DAYS, ProgressState

TITLE = "Progress"
SERIES = (("runs", "dbt runs", ui.ACCENT), ("queries", "Queries", ui.INFO), ("checks", "Checks", ui.WARNING))


def _stat(label: str, value, stat_id=None) -> rx.Component:
    return rx.vstack(
        ui.muted(label, size="1"),
        rx.text(value, size="3", weight="bold", id=stat_id),
        spacing="0",
        min_width="6em",
    )


def _step_row(step: StepProgress) -> rx.Component:
    return rx.table.row(
        rx.table.cell(step.number),
        rx.table.row_header_cell(step.title, min_width="10em"),
        rx.table.cell(
            rx.cond(
                step.done,
                rx.badge("Done", icon="check", color_scheme=ui.ACCENT, variant="soft"),
                rx.badge("Open", color_scheme=ui.MUTED, variant="soft"),
            )
        ),
        rx.table.cell(step.attempts),
        rx.table.cell(step.hints),
        rx.table.cell(rx.cond(step.solution_shown, "Yes", "No")),
    )


def _status(lesson: LessonProgress) -> rx.Component:
    return rx.cond(
        lesson.completed,
        rx.badge("Completed", icon="check", color_scheme=ui.ACCENT),
        rx.cond(
            lesson.started,
            rx.badge("In progress", color_scheme=ui.INFO, variant="soft"),
            rx.badge("Not started", color_scheme=ui.MUTED, variant="soft"),
        ),
    )


def _steps_table(lesson: LessonProgress) -> rx.Component:
    return ui.scroll_x(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("#", width="3em"),
                    rx.table.column_header_cell("Step"),
                    rx.table.column_header_cell("Status", width="7em"),
                    rx.table.column_header_cell("Attempts", width="6em"),
                    rx.table.column_header_cell("Hints", width="5em"),
                    rx.table.column_header_cell("Solution seen", width="8em"),
                )
            ),
            rx.table.body(rx.foreach(lesson.steps, _step_row)),
            size="1",
            width="100%",
        )
    )


def _lesson(lesson: LessonProgress) -> rx.Component:
    return ui.section_card(
        rx.hstack(
            rx.heading(rx.link(lesson.title, href=routes.lesson(lesson.id), high_contrast=True), size="4", as_="h3"),
            _status(lesson),
            rx.spacer(),
            rx.text(lesson.percent, "%", size="2", weight="bold"),
            width="100%",
            align="center",
            spacing=ui.STACK_GAP,
            wrap="wrap",
        ),
        ui.progress_bar(lesson.percent, "Steps completed in " + lesson.title),
        rx.hstack(
            _stat("Steps done", rx.text(lesson.steps_done, " of ", lesson.steps_total)),
            _stat("Attempts", lesson.attempts),
            _stat("Hints used", lesson.hints_used),
            _stat("Solutions revealed", lesson.solutions_revealed),
            rx.cond(lesson.has_quiz, _stat("Quiz score", lesson.quiz_score)),
            spacing="5",
            wrap="wrap",
        ),
        _steps_table(lesson),
        id="progress-" + lesson.id,
    )


def _activity_chart() -> rx.Component:
    bars = [
        rx.recharts.bar(data_key=key, name=name, stack_id="activity", fill=rx.color(color, 9))
        for key, name, color in SERIES
    ]
    return ui.section_card(
        ui.card_header(f"Activity, last {ACTIVITY_DAYS} days", ui.muted(ProgressState.activity_count, " in all")),
        rx.box(
            rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
                rx.recharts.x_axis(data_key="day"),
                rx.recharts.y_axis(allow_decimals=False),
                rx.recharts.graphing_tooltip(),
                rx.recharts.legend(),
                *bars,
                data=ProgressState.activity,
                width="100%",
                height=260,
            ),
            width="100%",
            role="img",
            aria_label=f"Stacked bars: dbt runs, queries and checks per day over the last {ACTIVITY_DAYS} days",
        ),
        ui.muted("Days are UTC calendar days.", size="1"),
        id="activity-chart",
    )


def _run_row(run: RunRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(run.when, white_space="nowrap"),
        rx.table.cell(run.lesson),
        rx.table.cell(rx.code(run.command, variant="ghost")),
        rx.table.cell(ui.status_badge(run.status)),
        rx.table.cell(run.seconds, " s", text_align="right", white_space="nowrap"),
    )


def _recent() -> rx.Component:
    return ui.section_card(
        rx.cond(
            ProgressState.recent.length() > 0,
            ui.scroll_x(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("When (UTC)"),
                            rx.table.column_header_cell("Lesson"),
                            rx.table.column_header_cell("Command"),
                            rx.table.column_header_cell("Status"),
                            rx.table.column_header_cell("Seconds", text_align="right"),
                        )
                    ),
                    rx.table.body(rx.foreach(ProgressState.recent, _run_row)),
                    size="1",
                    width="100%",
                )
            ),
            ui.muted("Nothing yet: runs, queries and checks you make in a lesson appear here."),
        ),
        title="Recent runs",
        id="recent-runs",
    )


def _content() -> rx.Component:
    return rx.cond(
        ProgressState.error != "",
        ui.error_callout(ProgressState.error),
        rx.vstack(
            ui.muted(
                ProgressState.completed_count, " of ", ProgressState.lessons.length(), " lessons completed.", size="3"
            ),
            _activity_chart(),
            rx.heading("Lessons", size="5", as_="h2", margin_top="0.5em"),
            rx.foreach(ProgressState.lessons, _lesson),
            _recent(),
            spacing=ui.SECTION_GAP,
            width="100%",
        ),
    )


def progress_page() -> rx.Component:
    return page_shell(ui.page_title("Your progress"), loading_or(ProgressState.loaded, _content()))


ON_LOAD = [AuthState.require_login, ProgressState.load]
