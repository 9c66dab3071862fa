"""The progress page (/progress): each lesson's steps and help taken, activity, recent runs."""

from __future__ import annotations

import reflex as rx

from decode_data.components.shell import loading_or, page_shell
from decode_data.states.auth import AuthState
from decode_data.states.progress_models import LessonProgress, RunRow, StepProgress
from decode_data.states.progress_page import ACTIVITY_DAYS, ProgressState

ROUTE = "/progress"
TITLE = "Progress"
SERIES = (("runs", "dbt runs", "teal"), ("queries", "Queries", "blue"), ("checks", "Checks", "amber"))


def _stat(label: str, value, stat_id=None) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.text(value, size="3", weight="bold", id=stat_id),
        spacing="0",
        min_width="6em",
    )


def _step_row(step: StepProgress) -> rx.Component:
    return rx.table.row(
        rx.table.cell(step.number),
        rx.table.row_header_cell(step.title),
        rx.table.cell(
            rx.cond(
                step.done,
                rx.badge("Done", icon="check", color_scheme="teal", variant="soft"),
                rx.badge("Open", color_scheme="gray", variant="soft"),
            )
        ),
        rx.table.cell(step.attempts),
        rx.table.cell(step.hints),
        rx.table.cell(rx.cond(step.solution_shown, "Yes", "No")),
    )


def _status(lesson: LessonProgress) -> rx.Component:
    return rx.cond(
        lesson.completed,
        rx.badge("Completed", icon="check", color_scheme="teal"),
        rx.cond(
            lesson.started,
            rx.badge("In progress", color_scheme="blue", variant="soft"),
            rx.badge("Not started", color_scheme="gray", variant="soft"),
        ),
    )


def _lesson(lesson: LessonProgress) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(rx.link(lesson.title, href="/lessons/" + lesson.id, high_contrast=True), size="4", as_="h3"),
                _status(lesson),
                rx.spacer(),
                rx.text(lesson.percent, "%", size="2", weight="bold"),
                width="100%",
                align="center",
                spacing="3",
            ),
            rx.progress(
                value=lesson.percent, max=100, aria_label="Steps completed in " + lesson.title, color_scheme="teal"
            ),
            rx.hstack(
                _stat("Steps done", rx.text(lesson.steps_done, " of ", lesson.steps_total)),
                _stat("Attempts", lesson.attempts),
                _stat("Hints used", lesson.hints_used),
                _stat("Solutions revealed", lesson.solutions_revealed),
                rx.cond(lesson.has_quiz, _stat("Quiz score", lesson.quiz_score)),
                spacing="5",
                wrap="wrap",
            ),
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
            ),
            spacing="3",
            width="100%",
        ),
        id="progress-" + lesson.id,
        width="100%",
    )


def _activity_chart() -> rx.Component:
    bars = [
        rx.recharts.bar(data_key=key, name=name, stack_id="activity", fill=rx.color(color, 9))
        for key, name, color in SERIES
    ]
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(f"Activity, last {ACTIVITY_DAYS} days", size="4", as_="h2"),
                rx.spacer(),
                rx.text(ProgressState.activity_count, " in all", size="2", color_scheme="gray"),
                width="100%",
                align="center",
            ),
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
            rx.text("Days are UTC calendar days.", size="1", color_scheme="gray"),
            spacing="3",
            width="100%",
        ),
        id="activity-chart",
        width="100%",
    )


def _run_row(run: RunRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(run.when, white_space="nowrap"),
        rx.table.cell(run.lesson),
        rx.table.cell(rx.code(run.command, variant="ghost")),
        rx.table.cell(
            rx.badge(
                run.status,
                variant="soft",
                color_scheme=rx.match(
                    run.status,
                    ("success", "teal"),
                    ("passed", "teal"),
                    ("timeout", "amber"),
                    ("rejected", "gray"),
                    "red",
                ),
            )
        ),
        rx.table.cell(run.seconds, " s", text_align="right", white_space="nowrap"),
    )


def _recent() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Recent runs", size="4", as_="h2"),
            rx.cond(
                ProgressState.recent.length() > 0,
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
                ),
                rx.text(
                    "Nothing yet: runs, queries and checks you make in a lesson appear here.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        id="recent-runs",
        width="100%",
    )


def _content() -> rx.Component:
    return rx.cond(
        ProgressState.error != "",
        rx.callout(ProgressState.error, icon="triangle_alert", color_scheme="red", role="alert"),
        rx.vstack(
            rx.text(
                ProgressState.completed_count,
                " of ",
                ProgressState.lessons.length(),
                " lessons completed.",
                size="3",
                color_scheme="gray",
            ),
            _activity_chart(),
            rx.heading("Lessons", size="5", as_="h2", margin_top="0.5em"),
            rx.foreach(ProgressState.lessons, _lesson),
            _recent(),
            spacing="4",
            width="100%",
        ),
    )


def progress_page() -> rx.Component:
    return page_shell(
        rx.heading("Your progress", size="7", as_="h1"),
        loading_or(ProgressState.loaded, _content()),
    )


ON_LOAD = [AuthState.require_login, ProgressState.load]
