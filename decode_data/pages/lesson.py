"""The lesson page, the heart of the product: steps and teacher on the left, IDE on the right.

From a laptop's width (ui "md") the two sit side by side; on a tablet or a phone they stack, the
step first, so the page never scrolls sideways and the editor gets the screen's full width.
"""

from __future__ import annotations

import reflex as rx

from decode_data import routes
from decode_data.components import ui
from decode_data.components.shell import page_shell
from decode_data.components.step_panel import step_panel
from decode_data.components.workbench import workbench
from decode_data.states.auth import AuthState
from decode_data.states.lesson import LessonState

SIDE_BY_SIDE_FROM = "md"


def _confirm_reset() -> rx.Component:
    return ui.confirm_dialog(
        "Reset this lesson?",
        "Your files go back to the starter versions and your warehouse is emptied. Completed steps stay completed.",
        open=LessonState.confirm_reset,
        confirm="Reset",
        on_confirm=LessonState.reset_lesson,
        on_cancel=LessonState.ask_reset(False),
        confirm_id="confirm-reset",
    )


def _title_bar() -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.link("Lessons", href=routes.DASHBOARD, size="2", color_scheme=ui.MUTED),
            rx.icon("chevron_right", size=14, flex_shrink="0"),
            rx.heading(LessonState.title, size=rx.breakpoints(initial="4", sm="5"), as_="h1"),
            align="center",
            spacing=ui.GAP,
        ),
        rx.spacer(),
        rx.hstack(
            rx.link(
                rx.button(rx.icon("chart_bar", size=14), "Query & visualize", variant="soft", size="2"),
                href=routes.lesson_query(LessonState.lesson_id),
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
                color_scheme=ui.DANGER,
                size="2",
                on_click=LessonState.ask_reset(True),
                id="reset",
            ),
            spacing=ui.GAP,
            wrap="wrap",
        ),
        align="center",
        width="100%",
        wrap="wrap",
        gap="var(--space-2)",
    )


def _lesson() -> rx.Component:
    return rx.vstack(
        _title_bar(),
        rx.grid(
            step_panel(),
            workbench(),
            columns=ui.side_by_side("minmax(280px, 34%)", SIDE_BY_SIDE_FROM),
            spacing=ui.SECTION_GAP,
            width="100%",
            align_items="start",
        ),
        _confirm_reset(),
        spacing=ui.STACK_GAP,
        width="100%",
    )


def lesson_page() -> rx.Component:
    """The lesson once its state has arrived: drawn before that, with nothing in it, the page
    cost the browser a whole render and an editor it replaced a moment later."""
    return page_shell(
        rx.cond(
            LessonState.not_found,
            ui.error_callout("There is no such lesson. Pick one on the dashboard.", icon="circle_alert"),
            rx.cond(LessonState.lesson_id, _lesson(), ui.muted("Opening the lesson…", id="lesson-opening")),
        ),
        wide=True,
    )


ON_LOAD = [AuthState.require_login, LessonState.open_page]
