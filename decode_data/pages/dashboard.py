"""The dashboard: continue where you left off, then every lesson with its progress."""

from __future__ import annotations

import reflex as rx

from decode_data import routes
from decode_data.components import ui
from decode_data.components.lesson_card import level_and_minutes
from decode_data.components.shell import loading_or, page_shell
from decode_data.states.auth import AuthState
from decode_data.states.dashboard import DashboardState, LessonCard


def _card(card: LessonCard) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                level_and_minutes(card.level, card.minutes),
                rx.spacer(),
                rx.cond(card.completed, rx.badge("Completed", icon="check", color_scheme=ui.ACCENT)),
                width="100%",
                align="center",
            ),
            rx.heading(card.title, size="4", as_="h3"),
            ui.muted(card.summary),
            rx.spacer(),  # cards in a row are equally tall: the bar and the button line up at the bottom
            ui.progress_bar(card.percent, "Lesson progress"),
            rx.hstack(
                ui.muted(card.steps_done, " of ", card.steps, " steps", size="1"),
                rx.spacer(),
                rx.link(
                    rx.button(rx.cond(card.started, "Continue", "Start"), size="2"),
                    href=routes.lesson(card.id),
                    id="open-" + card.id,
                ),
                width="100%",
                align="center",
            ),
            spacing=ui.GAP,
            height="100%",
        ),
        id="card-" + card.id,
    )


def _continue() -> rx.Component:
    card = DashboardState.continue_card
    return rx.cond(
        DashboardState.continue_id != "",
        ui.notice_callout(
            rx.hstack(
                rx.text("Continue where you left off: ", rx.text.strong(card.title), " — next: ", card.next_step_title),
                rx.link(
                    rx.button("Continue", size="1"),
                    href=routes.lesson(DashboardState.continue_id),
                    id="continue-lesson",
                ),
                align="center",
                spacing=ui.STACK_GAP,
                wrap="wrap",
            ),
            icon="play",
            color=ui.ACCENT,
        ),
    )


def dashboard_page() -> rx.Component:
    return page_shell(
        ui.page_title("Welcome, ", AuthState.username, word_break="break-word"),
        _continue(),
        loading_or(
            DashboardState.loaded,
            rx.grid(
                rx.foreach(DashboardState.cards, _card),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                spacing=ui.SECTION_GAP,
                width="100%",
            ),
        ),
    )


ON_LOAD = [AuthState.require_login, DashboardState.load]
