"""The frame of every signed-in page: a header with the places a learner goes, then the page.

On a phone the signed-in links fold into one menu button, so the header stays one line.
"""

from __future__ import annotations

import reflex as rx

from decode_data import routes
from decode_data.components import ui
from decode_data.states.auth import AuthState, sign_out_event

PRODUCT_NAME = "Decode Data"
PLACES = (("Lessons", routes.DASHBOARD), ("Progress", routes.PROGRESS), ("API tokens", routes.SETTINGS))
NAV_FROM = "sm"  # the inline links need a tablet's width; below it they live in the menu


def _nav_link(label: str, href: str) -> rx.Component:
    return rx.link(
        label, href=href, size="2", weight="medium", color_scheme=ui.MUTED, high_contrast=True, white_space="nowrap"
    )


def _brand() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon("database", size=20),
            rx.text(PRODUCT_NAME, weight="bold", white_space="nowrap"),
            align="center",
            spacing="2",
        ),
        href=rx.cond(AuthState.signed_in, routes.DASHBOARD, routes.HOME),
        underline="none",
        color_scheme=ui.ACCENT,
        high_contrast=True,
    )


def _username() -> rx.Component:
    return rx.badge(
        rx.icon("user", size=12),
        rx.text(AuthState.username, overflow="hidden", text_overflow="ellipsis", white_space="nowrap"),
        variant="soft",
        color_scheme=ui.MUTED,
        max_width="12em",
    )


def _sign_out_button(**props) -> rx.Component:
    return rx.button("Sign out", on_click=sign_out_event(), variant="outline", size="1", **props)


def _inline_nav() -> rx.Component:
    return rx.hstack(
        *(_nav_link(label, href) for label, href in PLACES),
        _username(),
        _sign_out_button(id="sign-out"),
        spacing="4",
        align="center",
        display=ui.shown_from(NAV_FROM),
    )


def _phone_menu() -> rx.Component:
    return rx.box(
        rx.menu.root(
            rx.menu.trigger(
                rx.icon_button(rx.icon("menu", size=18), variant="ghost", aria_label="Menu", id="nav-menu")
            ),
            rx.menu.content(
                rx.box(ui.muted(AuthState.username, size="1"), padding_x="var(--space-3)", padding_y="var(--space-1)"),
                *(rx.menu.item(label, on_select=rx.redirect(href)) for label, href in PLACES),
                rx.menu.separator(),
                rx.menu.item("Sign out", on_select=sign_out_event(), id="menu-sign-out"),
                align="end",
            ),
        ),
        display=ui.hidden_from(NAV_FROM, "block"),
    )


def header() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            _brand(),
            rx.spacer(),
            rx.cond(
                AuthState.signed_in,
                rx.fragment(_inline_nav(), _phone_menu()),
                rx.hstack(
                    _nav_link("Sign in", routes.SIGN_IN),
                    _nav_link("Register", routes.REGISTER),
                    spacing="4",
                    align="center",
                ),
            ),
            align="center",
            width="100%",
        ),
        padding_x=rx.breakpoints(initial="1em", sm="1.25em"),
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
        rx.box(*children, padding=rx.breakpoints(initial="0.75em", sm="1em"), width="100%")
        if wide
        else rx.container(
            rx.vstack(*children, spacing=ui.SECTION_GAP, width="100%"),
            size="4",
            padding_y="1.5em",
            padding_x=rx.breakpoints(initial="0.75em", sm="1.5em"),
        )
    )
    return rx.box(header(), rx.el.main(body), min_height="100vh", background="var(--gray-2)")


def loading_or(condition, content: rx.Component) -> rx.Component:
    return rx.cond(condition, content, rx.center(rx.spinner(size="3"), padding="3em"))
