"""The landing page at "/": what Decode Data is and which lessons it offers."""

from __future__ import annotations

import reflex as rx

from decode_data import routes
from decode_data.components import ui
from decode_data.components.lesson_card import lesson_card
from decode_data.components.shell import PRODUCT_NAME, header
from decode_data.states.auth import AuthState
from decode_data.states.catalog import CatalogState

PITCH = "Learn dbt by doing: a private dbt workspace and warehouse in your browser, graded step by step"


def _lesson_list() -> rx.Component:
    """Cards once loaded; a clear message when the catalog is empty or broken."""
    return rx.cond(
        CatalogState.error != "",
        ui.error_callout(CatalogState.error),
        rx.cond(
            CatalogState.lessons.length() > 0,
            rx.grid(
                rx.foreach(CatalogState.lessons, lesson_card),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing=ui.SECTION_GAP,
                width="100%",
            ),
            rx.cond(CatalogState.loaded, ui.muted("No lessons are installed yet.", size="3"), rx.spinner()),
        ),
    )


def _call_to_action() -> rx.Component:
    return rx.cond(
        AuthState.signed_in,
        rx.link(rx.button("Go to your lessons", size="3"), href=routes.DASHBOARD, id="cta-dashboard"),
        rx.hstack(
            rx.link(rx.button("Start learning: it's free", size="3"), href=routes.REGISTER, id="cta-register"),
            rx.link(rx.button("Sign in", size="3", variant="soft"), href=routes.SIGN_IN),
            spacing=ui.STACK_GAP,
            wrap="wrap",
        ),
    )


def landing() -> rx.Component:
    """Product name, pitch, how to start, and the lesson catalog."""
    return rx.box(
        header(),
        rx.container(
            rx.vstack(
                rx.heading(PRODUCT_NAME, size=rx.breakpoints(initial="7", sm="8"), as_="h1"),
                ui.muted(PITCH, size="4"),
                _call_to_action(),
                rx.heading("Lessons", size="5", as_="h2", margin_top="1.5em"),
                _lesson_list(),
                spacing=ui.STACK_GAP,
                width="100%",
            ),
            size="3",
            padding_y=rx.breakpoints(initial="1.5em", sm="3em"),
            padding_x=rx.breakpoints(initial="0.75em", sm="1.5em"),
        ),
    )
