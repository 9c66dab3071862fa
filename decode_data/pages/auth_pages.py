"""Sign in, register, and the OAuth callback: small forms with the error next to its field."""

from __future__ import annotations

import reflex as rx

from decode_data import routes
from decode_data.components import ui
from decode_data.components.shell import page_shell
from decode_data.states.account_forms import AccountFormState, RegisterState, SignInState
from decode_data.states.auth import AuthState
from decode_data.states.oauth import OAuthState


def _field(
    state: type[AccountFormState], name: str, label: str, kind: str = "text", autocomplete: str = "", hint: str = ""
) -> rx.Component:
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
            aria_invalid=rx.cond(state.field == name, "true", "false"),
        ),
        rx.cond(
            state.field == name,
            ui.field_error(state.error),
            ui.muted(hint, size="1") if hint else rx.fragment(),
        ),
        spacing="1",
        width="100%",
    )


def _form_error(state: type[AccountFormState]) -> rx.Component:
    return rx.cond(
        (state.error != "") & (state.field == ""),
        ui.error_callout(state.error, id="form-error"),
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
                    on_click=OAuthState.start(p["name"]),
                    variant="outline",
                    width="100%",
                    size="3",
                    id="oauth-" + p["name"],
                ),
            ),
            rx.cond(OAuthState.error != "", ui.error_callout(OAuthState.error)),
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
        rx.form(
            rx.vstack(
                _form_error(SignInState),
                _field(SignInState, "login", "Username or email", autocomplete="username"),
                _field(SignInState, "password", "Password", "password", autocomplete="current-password"),
                rx.button(
                    "Sign in", type="submit", size="3", width="100%", loading=SignInState.busy, id="signin-submit"
                ),
                spacing=ui.STACK_GAP,
                width="100%",
            ),
            on_submit=SignInState.submit,
            reset_on_submit=False,
            width="100%",
        ),
        _oauth_buttons(),
        rx.text("New here? ", rx.link("Create an account", href=routes.REGISTER), size="2"),
    )


def register_page() -> rx.Component:
    return _card(
        "Create your account",
        rx.form(
            rx.vstack(
                _form_error(RegisterState),
                _field(
                    RegisterState,
                    "username",
                    "Username",
                    autocomplete="username",
                    hint="3–32 letters, digits, dots, dashes or underscores.",
                ),
                _field(RegisterState, "email", "Email", "email", autocomplete="email"),
                _field(
                    RegisterState,
                    "password",
                    "Password",
                    "password",
                    autocomplete="new-password",
                    hint="At least 10 characters.",
                ),
                _field(RegisterState, "confirm", "Password again", "password", autocomplete="new-password"),
                rx.button(
                    "Create account",
                    type="submit",
                    size="3",
                    width="100%",
                    loading=RegisterState.busy,
                    id="register-submit",
                ),
                spacing=ui.STACK_GAP,
                width="100%",
            ),
            on_submit=RegisterState.submit,
            reset_on_submit=False,
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
                ui.error_callout(OAuthState.error, id="oauth-error"),
                rx.link("Back to sign in", href=routes.SIGN_IN),
            ),
            rx.spinner(size="3"),
        ),
    )


def redirect_page() -> rx.Component:
    """What /login shows for the moment before its on_load sends the browser to sign in."""
    return page_shell(rx.center(rx.spinner(size="3"), padding="3em", width="100%"))


SIGNIN_ON_LOAD = [AuthState.load_identity, OAuthState.load_providers]
LOGIN_ON_LOAD = [AuthState.to_sign_in]
CALLBACK_ON_LOAD = [OAuthState.finish]
