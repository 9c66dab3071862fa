"""Sign in, register, and the OAuth callback: small forms with the error next to its field.

The forms post to the backend's HTTP endpoints from the page (states/backend_calls.py), which
set the HttpOnly session cookie; their answer fills in the error under its field."""

from __future__ import annotations

import reflex as rx

from decode_data import routes
from decode_data.components import ui
from decode_data.components.shell import page_shell
from decode_data.states import backend_calls
from decode_data.states.account_forms import AccountFormState
from decode_data.states.auth import AuthState
from decode_data.states.oauth import NOT_VALID, OAuthState


def _field(name: str, label: str, kind: str = "text", autocomplete: str = "", hint: str = "") -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, font_weight="500", font_size="0.9em"),
        rx.input(
            id=name,
            name=name,
            type=kind,
            auto_complete=autocomplete,
            required=True,
            width="100%",
            size="3",
            aria_invalid=rx.cond(AccountFormState.field == name, "true", "false"),
        ),
        rx.cond(
            AccountFormState.field == name,
            ui.field_error(AccountFormState.error),
            ui.muted(hint, size="1") if hint else rx.fragment(),
        ),
        spacing="1",
        width="100%",
    )


def _form_error() -> rx.Component:
    return rx.cond(
        (AccountFormState.error != "") & (AccountFormState.field == ""),
        ui.error_callout(AccountFormState.error, id="form-error"),
    )


def _oauth_buttons() -> rx.Component:
    return rx.cond(
        OAuthState.providers.length() > 0,
        rx.vstack(
            rx.hstack(
                rx.separator(size="4"),
                ui.muted("or", size="1"),
                rx.separator(size="4"),
                align="center",
                width="100%",
            ),
            rx.foreach(
                OAuthState.providers,
                lambda p: rx.button(
                    "Continue with ",
                    p["label"],
                    on_click=backend_calls.load_from_backend(routes.oauth_start(""), p["name"]),
                    variant="outline",
                    width="100%",
                    size="3",
                    id="oauth-" + p["name"],
                ),
            ),
            rx.cond(OAuthState.error != "", ui.error_callout(OAuthState.error, id="oauth-error")),
            width="100%",
            spacing=ui.GAP,
        ),
    )


def _card(title: str, *children: rx.Component) -> rx.Component:
    return page_shell(
        rx.center(
            rx.card(
                rx.vstack(rx.heading(title, size="6", as_="h1"), *children, spacing=ui.SECTION_GAP, width="100%"),
                width="100%",
                max_width="26em",
                size=rx.breakpoints(initial="2", sm="4"),
            ),
            width="100%",
            padding_top=rx.breakpoints(initial="0", sm="3em"),
        )
    )


def signin_page() -> rx.Component:
    return _card(
        "Sign in",
        ui.form(
            rx.vstack(
                _form_error(),
                _field("login", "Username or email", autocomplete="username"),
                _field("password", "Password", "password", autocomplete="current-password"),
                ui.submit_button("Sign in", size="3", width="100%", loading=AccountFormState.busy, id="signin-submit"),
                spacing=ui.STACK_GAP,
                width="100%",
            ),
            on_submit=[
                AccountFormState.begin,
                backend_calls.submit_form("signin-form", routes.SESSION_SIGN_IN, AccountFormState.show_result),
            ],
            id="signin-form",
            width="100%",
        ),
        _oauth_buttons(),
        rx.text("New here? ", rx.link("Create an account", href=routes.REGISTER), size="2"),
    )


def register_page() -> rx.Component:
    return _card(
        "Create your account",
        ui.form(
            rx.vstack(
                _form_error(),
                _field(
                    "username",
                    "Username",
                    autocomplete="username",
                    hint="3–32 letters, digits, dots, dashes or underscores.",
                ),
                _field("email", "Email", "email", autocomplete="email"),
                _field(
                    "password",
                    "Password",
                    "password",
                    autocomplete="new-password",
                    hint="At least 10 characters.",
                ),
                _field("confirm", "Password again", "password", autocomplete="new-password"),
                ui.submit_button(
                    "Create account",
                    size="3",
                    width="100%",
                    loading=AccountFormState.busy,
                    id="register-submit",
                ),
                spacing=ui.STACK_GAP,
                width="100%",
            ),
            on_submit=[
                AccountFormState.begin,
                backend_calls.submit_form("register-form", routes.SESSION_REGISTER, AccountFormState.show_result),
            ],
            id="register-form",
            width="100%",
        ),
        _oauth_buttons(),
        rx.text("Have an account? ", rx.link("Sign in", href=routes.SIGN_IN), size="2"),
    )


def oauth_callback_page() -> rx.Component:
    return _card(
        "Signing you in…",
        rx.cond(
            OAuthState.error != "",
            rx.vstack(
                ui.error_callout(OAuthState.error, id="oauth-callback-error"),
                rx.link("Back to sign in", href=routes.SIGN_IN),
            ),
            rx.spinner(size="3"),
        ),
        # Met only in --dev (the backend answers this path itself on one port): on to the backend.
        rx.fragment(on_mount=backend_calls.forward_to_backend(NOT_VALID, OAuthState.show_error)),
    )


def redirect_page() -> rx.Component:
    """What /login shows for the moment before its on_load sends the browser to sign in."""
    return page_shell(rx.center(rx.spinner(size="3"), padding="3em", width="100%"))


SIGNIN_ON_LOAD = [AuthState.load_identity, AccountFormState.clear, OAuthState.load_providers]
LOGIN_ON_LOAD = [AuthState.to_sign_in]
CALLBACK_ON_LOAD = None
