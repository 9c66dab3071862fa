"""The left side of the lesson page: steps, the step's instructions, and the teacher's answers
(check feedback with its diff grid, hints one at a time, the solution after confirming)."""

from __future__ import annotations

import reflex as rx

from decode_data.components.data_grid import data_grid
from decode_data.components.quiz_panel import quiz_panel
from decode_data.states.check import CheckState
from decode_data.states.lesson import LessonState
from decode_data.states.runner import RunnerState
from decode_data.states.view_models import CheckItem, StepItem


def _step_button(step: StepItem) -> rx.Component:
    return rx.button(
        rx.cond(step.done, rx.icon("circle_check", size=14), rx.text(step.number, size="1")),
        rx.text(step.title, size="2", trim="both", text_align="left", flex="1"),
        on_click=LessonState.choose_step(step.id),
        variant=rx.cond(step.current, "solid", rx.cond(step.done, "soft", "ghost")),
        color_scheme=rx.cond(step.done, "teal", "gray"),
        width="100%",
        justify="start",
        size="2",
        aria_current=rx.cond(step.current, "step", "false"),
        id="step-" + step.id,
    )


def steps_nav() -> rx.Component:
    return rx.el.nav(
        rx.vstack(
            rx.hstack(
                rx.text("Steps", weight="bold", size="2"),
                rx.spacer(),
                rx.text(LessonState.percent, "%", size="1", color_scheme="gray"),
                width="100%",
            ),
            rx.progress(value=LessonState.percent, max=100, aria_label="Lesson progress", id="lesson-progress"),
            rx.foreach(LessonState.steps, _step_button),
            spacing="1",
            width="100%",
        ),
        aria_label="Lesson steps",
    )


def _check_row(item: CheckItem) -> rx.Component:
    return rx.hstack(
        rx.cond(
            item.passed, rx.icon("check", color="var(--teal-10)", size=16), rx.icon("x", color="var(--red-10)", size=16)
        ),
        rx.vstack(
            rx.text(item.message, size="2"),
            rx.cond(item.where != "", rx.text(item.where, size="1", color_scheme="gray", font_family="monospace")),
            rx.cond((item.hint != "") & ~item.passed, rx.text(item.hint, size="1", color_scheme="amber")),
            spacing="0",
        ),
        align="start",
        spacing="2",
    )


def _grid(title: str, rows, total, color: str) -> rx.Component:
    return rx.cond(
        total > 0,
        rx.vstack(
            rx.text(title, " (", total, ")", size="1", weight="bold", color_scheme=color),
            data_grid(CheckState.diff.columns, rows, max_height="240px"),
            spacing="1",
            width="100%",
        ),
    )


def diff_grid() -> rx.Component:
    d = CheckState.diff
    return rx.vstack(
        _grid("Rows your model is missing", d.missing, d.missing_total, "red"),
        _grid("Rows your model has that it should not", d.extra, d.extra_total, "amber"),
        spacing="2",
        width="100%",
        id="diff-grid",
    )


def _warehouse_notes() -> rx.Component:
    """The learner's own warehouse, apart from the checks: never a tick for what is not there."""
    return rx.cond(
        CheckState.warehouse.length() > 0,
        rx.vstack(
            rx.text("Your warehouse:", size="1", weight="bold"),
            rx.foreach(
                CheckState.warehouse,
                lambda note: rx.hstack(
                    rx.icon("database", size=14, color="var(--amber-11)", flex_shrink="0"),
                    rx.text(note, size="2"),
                    align="start",
                    spacing="2",
                ),
            ),
            spacing="1",
            width="100%",
            id="warehouse-notes",
        ),
    )


def feedback() -> rx.Component:
    return rx.cond(
        CheckState.checked_step != "",
        rx.callout.root(
            rx.callout.icon(rx.cond(CheckState.passed, rx.icon("party_popper"), rx.icon("lightbulb"))),
            rx.vstack(
                rx.text(rx.cond(CheckState.passed, "Step complete!", "Not yet:"), weight="bold"),
                rx.text(CheckState.summary, size="2", id="check-summary"),
                rx.cond(
                    CheckState.evidence.missing_total > 0,
                    rx.box(
                        data_grid(CheckState.evidence.columns, CheckState.evidence.missing, max_height="180px"),
                        width="100%",
                        id="check-evidence",
                    ),
                ),
                rx.cond(
                    CheckState.passed & (LessonState.next_step_id != ""),
                    rx.button(
                        "Next step",
                        rx.icon("arrow_right", size=14),
                        size="2",
                        on_click=LessonState.choose_step(LessonState.next_step_id),
                        id="next-step",
                    ),
                ),
                rx.text("Checked on a fresh build of your project:", size="1", color_scheme="gray"),
                rx.foreach(CheckState.checks, _check_row),
                diff_grid(),
                _warehouse_notes(),
                spacing="2",
                width="100%",
            ),
            color_scheme=rx.cond(CheckState.passed, "teal", "amber"),
            id="check-feedback",
            role="status",
        ),
    )


def _hints() -> rx.Component:
    return rx.vstack(
        rx.foreach(CheckState.hints, lambda h, i: rx.callout(h, icon="lightbulb", color_scheme="blue", size="1")),
        rx.cond(CheckState.hint_error != "", rx.text(CheckState.hint_error, size="1", color_scheme="gray")),
        spacing="2",
        width="100%",
        id="hints",
    )


def _solution() -> rx.Component:
    return rx.cond(
        CheckState.solution.length() > 0,
        rx.vstack(
            rx.text("Solution", weight="bold"),
            rx.foreach(
                CheckState.solution,
                lambda f: rx.vstack(
                    rx.text(f["path"], size="1", font_family="monospace", color_scheme="gray"),
                    rx.code_block(f["content"], language="sql", width="100%", font_size="0.8em"),
                    spacing="1",
                    width="100%",
                ),
            ),
            rx.cond(CheckState.explanation != "", rx.markdown(CheckState.explanation)),
            spacing="2",
            width="100%",
            id="solution",
        ),
    )


def _step_checks() -> rx.Component:
    return rx.cond(
        LessonState.step_checks.length() > 0,
        rx.el.details(
            rx.el.summary(
                rx.text("What “Check my work” looks at", size="2", weight="medium", as_="span"), cursor="pointer"
            ),
            rx.el.ul(
                rx.foreach(LessonState.step_checks, lambda c: rx.el.li(rx.text(c, size="2"))),
                padding_left="1.25em",
                margin_top="0.4em",
            ),
            id="step-checks",
            width="100%",
        ),
    )


def _confirm_solution() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Show the solution?"),
            rx.alert_dialog.description(
                "Try a hint first: you learn more from a nudge. The solution stays visible for this "
                "step and is noted in your progress."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        "Keep trying", variant="soft", color_scheme="gray", on_click=CheckState.ask_solution(False)
                    )
                ),
                rx.alert_dialog.action(
                    rx.button("Show solution", on_click=CheckState.show_solution, id="confirm-solution")
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
        ),
        open=CheckState.confirm_solution,
    )


def step_panel() -> rx.Component:
    return rx.vstack(
        rx.card(steps_nav(), width="100%", flex_shrink="0"),
        rx.card(
            rx.vstack(
                rx.cond(~LessonState.instructions_titled, rx.heading(LessonState.step_title, size="4", as_="h2")),
                rx.box(rx.markdown(LessonState.instructions), class_name="instructions", width="100%"),
                _step_checks(),
                rx.hstack(
                    rx.button(
                        rx.icon("clipboard_check", size=16),
                        "Check my work",
                        on_click=CheckState.check,
                        loading=CheckState.checking,
                        disabled=RunnerState.running,
                        id="check-work",
                    ),
                    rx.cond(
                        LessonState.has_hints,
                        rx.button("Hint", variant="soft", on_click=CheckState.next_hint, id="hint"),
                    ),
                    rx.button(
                        "Solution",
                        variant="ghost",
                        color_scheme="gray",
                        on_click=CheckState.ask_solution(True),
                        id="show-solution",
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                rx.cond(
                    CheckState.checking,
                    rx.text("Building your project on fresh data and comparing…", size="1", color_scheme="gray"),
                ),
                feedback(),
                _hints(),
                _solution(),
                spacing="3",
                width="100%",
            ),
            width="100%",
            flex_shrink="0",
        ),
        quiz_panel(),
        _confirm_solution(),
        spacing="3",
        width="100%",
        position="sticky",
        top="4em",
        max_height="calc(100vh - 5em)",
        overflow_y="auto",
        padding_right="2px",
    )
