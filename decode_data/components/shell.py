"""The frame of every signed-in page: a header with the places a learner goes, then the page."""

from __future__ import annotations

import reflex as rx

from decode_data.states.auth import AuthState

PRODUCT_NAME = "Decode Data"


def _nav_link(label: str, href: str) -> rx.Component:
    return rx.link(label, href=href, size="2", weight="medium", color_scheme="gray", high_contrast=True)


def header() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.link(
                rx.hstack(
                    rx.icon("database", size=20), rx.text(PRODUCT_NAME, weight="bold"), align="center", spacing="2"
                ),
                href=rx.cond(AuthState.signed_in, "/dashboard", "/"),
                underline="none",
                color_scheme="teal",
                high_contrast=True,
            ),
            rx.spacer(),
            rx.cond(
                AuthState.signed_in,
                rx.hstack(
                    _nav_link("Lessons", "/dashboard"),
                    _nav_link("Progress", "/progress"),
                    _nav_link("API tokens", "/settings"),
                    rx.badge(rx.icon("user", size=12), AuthState.username, variant="soft", color_scheme="gray"),
                    rx.button("Sign out", on_click=AuthState.sign_out, variant="outline", size="1", id="sign-out"),
                    spacing="4",
                    align="center",
                ),
                rx.hstack(
                    _nav_link("Sign in", "/signin"), _nav_link("Register", "/register"), spacing="4", align="center"
                ),
            ),
            align="center",
            width="100%",
        ),
        padding_x="1.25em",
        padding_y="0.6em",
        border_bottom="1px solid var(--gray-5)",
        background="var(--color-panel-solid)",
        position="sticky",
        top="0",
        z_index="10",
    )


def page_shell(*children: rx.Component, wide: bool = False) -> rx.Component:
    """Header plus the page; `wide` pages (the lesson IDE) use the whole window width."""
    body = (
        rx.box(*children, padding="1em", width="100%")
        if wide
        else rx.container(rx.vstack(*children, spacing="4", width="100%"), size="4", padding_y="1.5em")
    )
    return rx.box(header(), rx.el.main(body), min_height="100vh", background="var(--gray-2)")


def loading_or(condition, content: rx.Component) -> rx.Component:
    return rx.cond(condition, content, rx.center(rx.spinner(size="3"), padding="3em"))
