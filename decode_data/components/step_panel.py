"""The left side of the lesson page: steps, the step's instructions, and the teacher's answers
(check feedback with its diff grid, hints one at a time, the solution after confirming)."""

from __future__ import annotations

import reflex as rx

from decode_data.components import ui
from decode_data.components.code_editor import code_view
from decode_data.components.data_grid import data_grid
from decode_data.components.lesson_complete import lesson_complete
from decode_data.components.quiz_panel import quiz_panel
from decode_data.states.check import CheckState
from decode_data.states.lesson import LessonState
from decode_data.states.runner import RunnerState
from decode_data.states.view_models import CheckItem, StepItem

WIDE = "md"  # from here the panel sits beside the workbench (pages/lesson.py SIDE_BY_SIDE_FROM)


def _step_button(step: StepItem) -> rx.Component:
    return rx.button(
        rx.cond(step.done, rx.icon("circle_check", size=14), rx.text(step.number, size="1")),
        rx.text(step.title, size="2", trim="both", text_align="left", flex="1"),
        on_click=LessonState.choose_step(step.id),
        variant=rx.cond(step.current, "solid", rx.cond(step.done, "soft", "ghost")),
        color_scheme=rx.cond(step.done, ui.ACCENT, ui.MUTED),
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
                ui.muted(LessonState.percent, "%", size="1"),
                width="100%",
            ),
            ui.progress_bar(LessonState.percent, "Lesson progress", id="lesson-progress"),
            rx.foreach(LessonState.steps, _step_button),
            spacing="1",
            width="100%",
        ),
        aria_label="Lesson steps",
    )


def with_code(parts, **props) -> rx.Component:
    """A message whose `quoted` SQL and YAML show as code (view_models.inline_code)."""
    return rx.text(rx.foreach(parts, _part), **props)


def _part(part) -> rx.Component:
    return rx.cond(part.code, rx.code(part.text, variant="ghost"), rx.text.span(part.text))


def _check_row(item: CheckItem) -> rx.Component:
    return rx.hstack(
        rx.cond(
            item.passed, rx.icon("check", color="var(--teal-10)", size=16), rx.icon("x", color="var(--red-10)", size=16)
        ),
        rx.vstack(
            with_code(item.parts, size="2"),
            rx.cond(item.where != "", ui.code_text(item.where, color_scheme=ui.MUTED, word_break="break-all")),
            rx.cond((item.hint != "") & ~item.passed, rx.text(item.hint, size="1", color_scheme=ui.WARNING)),
            spacing="0",
        ),
        align="start",
        spacing=ui.GAP,
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
        _grid("Rows your model is missing", d.missing, d.missing_total, ui.DANGER),
        _grid("Rows your model has that it should not", d.extra, d.extra_total, ui.WARNING),
        spacing=ui.GAP,
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
                    spacing=ui.GAP,
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
                rx.cond(
                    CheckState.verdict_stale,
                    ui.muted(
                        "Checked before your last run: check again to see where you are now.",
                        size="1",
                        id="check-stale",
                    ),
                ),
                with_code(CheckState.summary_parts, size="2", id="check-summary"),
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
                ui.muted("Checked on a fresh build of your project:", size="1"),
                rx.foreach(CheckState.checks, _check_row),
                diff_grid(),
                _warehouse_notes(),
                spacing=ui.GAP,
                width="100%",
                # A grid item may shrink below its content only so: else a wide table of rows
                # widens the callout past its column and the card cuts its text off.
                min_width="0",
                overflow_wrap="anywhere",
            ),
            color_scheme=rx.cond(CheckState.passed, ui.ACCENT, ui.WARNING),
            width="100%",
            min_width="0",
            id="check-feedback",
            role="status",
            scroll_margin_top="5em",  # scrolled into view below the sticky header, not under it
        ),
    )


def _hints() -> rx.Component:
    return rx.vstack(
        rx.foreach(
            CheckState.hints,
            lambda h: ui.notice_callout(ui.lesson_markdown(h), icon="lightbulb", color=ui.INFO, size="1"),
        ),
        rx.cond(CheckState.hint_error != "", ui.muted(CheckState.hint_error, size="1")),
        spacing=ui.GAP,
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
                    ui.code_text(f["path"], color_scheme=ui.MUTED),
                    code_view(f["content"], label=f["path"]),
                    spacing="1",
                    width="100%",
                ),
            ),
            rx.cond(CheckState.explanation != "", ui.lesson_markdown(CheckState.explanation)),
            spacing=ui.GAP,
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
    return ui.confirm_dialog(
        "Show the solution?",
        "Try a hint first: you learn more from a nudge. The solution stays visible for this "
        "step and is noted in your progress.",
        open=CheckState.confirm_solution,
        confirm="Show solution",
        on_confirm=CheckState.show_solution,
        on_cancel=CheckState.ask_solution(False),
        confirm_id="confirm-solution",
        cancel="Keep trying",
        danger=False,
    )


def step_panel() -> rx.Component:
    return rx.vstack(
        rx.card(steps_nav(), width="100%", flex_shrink="0"),
        rx.card(
            rx.vstack(
                rx.cond(~LessonState.instructions_titled, rx.heading(LessonState.step_title, size="4", as_="h2")),
                ui.lesson_markdown(LessonState.instructions, class_name="instructions"),
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
                        color_scheme=ui.MUTED,
                        on_click=CheckState.ask_solution(True),
                        id="show-solution",
                    ),
                    spacing=ui.GAP,
                    wrap="wrap",
                ),
                rx.cond(
                    CheckState.checking,
                    ui.muted("Building your project on fresh data and comparing…", size="1"),
                ),
                feedback(),
                lesson_complete(),
                _hints(),
                _solution(),
                spacing=ui.STACK_GAP,
                width="100%",
                min_width="0",
            ),
            width="100%",
            min_width="0",
            flex_shrink="0",
        ),
        quiz_panel(),
        _confirm_solution(),
        spacing=ui.STACK_GAP,
        width="100%",
        min_width="0",
        id="step-panel",
        # Beside the workbench it scrolls on its own under the header; stacked, with the page.
        position=ui.only_from(WIDE, "sticky", below="static"),
        top="4em",
        max_height=ui.only_from(WIDE, "calc(100vh - 5em)", below="none"),
        overflow_y=ui.only_from(WIDE, "auto", below="visible"),
        padding_right="2px",
    )
