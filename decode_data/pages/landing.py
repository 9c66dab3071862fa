"""The landing page at "/": what Decode Data is and which lessons it offers."""

from __future__ import annotations

import reflex as rx

from decode_data.components.lesson_card import lesson_card
from decode_data.components.shell import PRODUCT_NAME, header
from decode_data.states.auth import AuthState
from decode_data.states.catalog import CatalogState

PITCH = "Learn dbt by doing: a private dbt workspace and warehouse in your browser, graded step by step"


def _lesson_list() -> rx.Component:
    """Cards once loaded; a clear message when the catalog is empty or broken."""
    return rx.cond(
        CatalogState.error != "",
        rx.callout(CatalogState.error, icon="triangle_alert", color_scheme="red"),
        rx.cond(
            CatalogState.lessons.length() > 0,
            rx.grid(
                rx.foreach(CatalogState.lessons, lesson_card),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                CatalogState.loaded,
                rx.text("No lessons are installed yet.", color_scheme="gray"),
                rx.spinner(),
            ),
        ),
    )


def _call_to_action() -> rx.Component:
    return rx.cond(
        AuthState.signed_in,
        rx.link(rx.button("Go to your lessons", size="3"), href="/dashboard", id="cta-dashboard"),
        rx.hstack(
            rx.link(rx.button("Start learning: it's free", size="3"), href="/register", id="cta-register"),
            rx.link(rx.button("Sign in", size="3", variant="soft"), href="/signin"),
            spacing="3",
        ),
    )


def landing() -> rx.Component:
    """Product name, pitch, how to start, and the lesson catalog."""
    return rx.box(
        header(),
        rx.container(
            rx.vstack(
                rx.heading(PRODUCT_NAME, size="8", as_="h1"),
                rx.text(PITCH, size="4", color_scheme="gray"),
                _call_to_action(),
                rx.heading("Lessons", size="5", as_="h2", margin_top="1.5em"),
                _lesson_list(),
                spacing="3",
                width="100%",
            ),
            size="3",
            padding_y="3em",
        ),
    )
