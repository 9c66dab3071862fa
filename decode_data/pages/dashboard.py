"""The dashboard: continue where you left off, then every lesson with its progress."""

from __future__ import annotations

import reflex as rx

from decode_data.components.shell import loading_or, page_shell
from decode_data.states.auth import AuthState
from decode_data.states.dashboard import DashboardState, LessonCard

LEVEL_COLORS = {"beginner": "green", "intermediate": "blue", "advanced": "purple"}


def _level(level) -> rx.Component:
    return rx.badge(
        level,
        color_scheme=rx.match(level, ("beginner", "green"), ("intermediate", "blue"), ("advanced", "purple"), "gray"),
        variant="soft",
    )


def _card(card: LessonCard) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                _level(card.level),
                rx.text(card.minutes, " min", size="1", color_scheme="gray"),
                rx.spacer(),
                rx.cond(card.completed, rx.badge("Completed", icon="check", color_scheme="teal")),
                width="100%",
                align="center",
            ),
            rx.heading(card.title, size="4", as_="h3"),
            rx.text(card.summary, size="2", color_scheme="gray"),
            rx.progress(value=card.percent, max=100, aria_label="Lesson progress"),
            rx.hstack(
                rx.text(card.steps_done, " of ", card.steps, " steps", size="1", color_scheme="gray"),
                rx.spacer(),
                rx.link(
                    rx.button(rx.cond(card.started, "Continue", "Start"), size="2"),
                    href="/lessons/" + card.id,
                    id="open-" + card.id,
                ),
                width="100%",
                align="center",
            ),
            spacing="2",
            height="100%",
        ),
        id="card-" + card.id,
    )


def _continue() -> rx.Component:
    card = DashboardState.continue_card
    return rx.cond(
        DashboardState.continue_id != "",
        rx.callout(
            rx.hstack(
                rx.text("Continue where you left off: ", rx.text.strong(card.title), " — next: ", card.next_step_title),
                rx.link(
                    rx.button("Continue", size="1"), href="/lessons/" + DashboardState.continue_id, id="continue-lesson"
                ),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            icon="play",
            color_scheme="teal",
        ),
    )


def dashboard_page() -> rx.Component:
    return page_shell(
        rx.heading("Welcome, ", AuthState.username, size="7", as_="h1"),
        _continue(),
        loading_or(
            DashboardState.loaded,
            rx.grid(
                rx.foreach(DashboardState.cards, _card),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                spacing="4",
                width="100%",
            ),
        ),
    )


ON_LOAD = [AuthState.require_login, DashboardState.load]
