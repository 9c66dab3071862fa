"""Settings (/settings): personal API tokens for the JSON API, created, shown once, revoked."""

from __future__ import annotations

import reflex as rx

from decode_data.components.shell import loading_or, page_shell
from decode_data.services.auth.api_tokens import MAX_NAME_CHARS
from decode_data.states.auth import AuthState
from decode_data.states.token_models import TokenRow
from decode_data.states.tokens import TokensState

ROUTE = "/settings"
TITLE = "API tokens"


def _pre(text, pre_id: str) -> rx.Component:
    return rx.el.pre(
        text,
        id=pre_id,
        style={
            "font_family": "var(--code-font-family)",
            "font_size": "var(--font-size-1)",
            "background": "var(--gray-3)",
            "color": "var(--gray-12)",
            "padding": "0.6em 0.8em",
            "border_radius": "var(--radius-2)",
            "white_space": "pre-wrap",
            "word_break": "break-all",
            "margin": "0",
            "width": "100%",
        },
    )


def _new_token() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("key-round")),
        rx.vstack(
            rx.text(
                rx.text.strong("Copy your new token “", TokensState.new_token_name, "” now."),
                " It is shown only this once: Decode Data keeps only a hash of it, so it cannot be "
                "shown again. If you lose it, revoke it and create another.",
                size="2",
            ),
            rx.hstack(
                rx.code(TokensState.new_token, id="new-token-value", size="2", word_break="break-all"),
                rx.button(
                    rx.cond(TokensState.copied, rx.icon("check", size=14), rx.icon("copy", size=14)),
                    rx.cond(TokensState.copied, "Copied", "Copy"),
                    on_click=[rx.set_clipboard(TokensState.new_token), TokensState.mark_copied],
                    size="1",
                    variant="soft",
                    id="new-token-copy",
                ),
                align="center",
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            rx.text("Try it:", size="2"),
            _pre(TokensState.curl, "new-token-curl"),
            rx.button(
                "I have saved it",
                on_click=TokensState.dismiss_new_token,
                size="1",
                variant="outline",
                id="new-token-done",
            ),
            spacing="2",
            width="100%",
        ),
        color_scheme="green",
        role="status",
        id="new-token",
        width="100%",
    )


def _create_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Create a token", size="4", as_="h2"),
                rx.el.label(
                    "Token name", html_for="token-name", style={"font_size": "var(--font-size-2)", "font_weight": "500"}
                ),
                rx.hstack(
                    rx.input(
                        name="name",
                        id="token-name",
                        value=TokensState.name,
                        on_change=TokensState.set_name,
                        placeholder="e.g. CI pipeline",
                        max_length=MAX_NAME_CHARS,
                        required=True,
                        aria_invalid=rx.cond(TokensState.error != "", "true", "false"),
                        aria_describedby="token-name-help",
                        width="22em",
                        max_width="100%",
                    ),
                    rx.button(
                        "Create token",
                        type="submit",
                        loading=TokensState.busy,
                        disabled=TokensState.busy,
                        id="token-create",
                    ),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(
                    f"A name helps you tell tokens apart (1 to {MAX_NAME_CHARS} characters).",
                    size="1",
                    color_scheme="gray",
                    id="token-name-help",
                ),
                rx.cond(
                    TokensState.error != "",
                    rx.callout(
                        TokensState.error,
                        icon="triangle_alert",
                        color_scheme="red",
                        size="1",
                        role="alert",
                        id="token-error",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=TokensState.create,
            reset_on_submit=False,
        ),
        width="100%",
    )


def _token_row(token: TokenRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(token.name, weight="medium"),
                rx.code(token.prefix, "_…", variant="ghost", size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(token.created, white_space="nowrap"),
        rx.table.cell(token.last_used, white_space="nowrap"),
        rx.table.cell(
            rx.cond(
                token.active,
                rx.badge("Active", color_scheme="teal", variant="soft"),
                rx.badge("Revoked ", token.revoked, color_scheme="gray", variant="soft"),
            )
        ),
        rx.table.cell(
            rx.cond(
                token.active,
                rx.button(
                    "Revoke",
                    on_click=TokensState.ask_revoke(token.id),
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    id="revoke-" + token.id.to_string(),
                    aria_label="Revoke token " + token.name,
                ),
            ),
            text_align="right",
        ),
    )


def _token_list() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Your tokens", size="4", as_="h2"),
                rx.badge(TokensState.active_count, " active", variant="soft", color_scheme="gray"),
                align="center",
                spacing="3",
            ),
            rx.cond(
                TokensState.list_error != "",
                rx.callout(TokensState.list_error, icon="triangle_alert", color_scheme="red", size="1", role="alert"),
            ),
            rx.cond(
                TokensState.tokens.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Name"),
                            rx.table.column_header_cell("Created (UTC)"),
                            rx.table.column_header_cell("Last used (UTC)"),
                            rx.table.column_header_cell("Status"),
                            rx.table.column_header_cell(rx.el.span("Actions", class_name="rt-sr-only"), width="6em"),
                        )
                    ),
                    rx.table.body(rx.foreach(TokensState.tokens, _token_row)),
                    size="2",
                    width="100%",
                ),
                rx.text("You have no API tokens yet.", size="2", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        id="token-list",
        width="100%",
    )


def _revoke_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Revoke “", TokensState.confirm_name, "”?"),
            rx.alert_dialog.description(
                "Scripts and pipelines using this token stop working at once. This cannot be undone.",
            ),
            rx.hstack(
                # Plain buttons: the dialog's `open` follows confirm_id, so it closes when the state
                # says so, never before the revoke has read which token to revoke.
                rx.button(
                    "Cancel",
                    variant="soft",
                    color_scheme="gray",
                    on_click=TokensState.cancel_revoke,
                    id="revoke-cancel",
                ),
                rx.button("Revoke token", color_scheme="red", on_click=TokensState.confirm_revoke, id="revoke-confirm"),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
            max_width="28em",
        ),
        open=TokensState.confirm_id != 0,
        on_open_change=TokensState.dialog_open_change,
    )


def _usage() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Using the API", size="4", as_="h2"),
            rx.text(
                "Send the token in the Authorization header. The API reads your lessons, progress, "
                "files and checks as JSON; a revoked token stops working at once.",
                size="2",
            ),
            _pre(
                rx.cond(
                    TokensState.public_url != "",
                    'curl -H "Authorization: Bearer <token>" ' + TokensState.public_url + "/api/v1/lessons",
                    "",
                ),
                "api-usage",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def settings_page() -> rx.Component:
    return page_shell(
        rx.heading("API tokens", size="7", as_="h1"),
        rx.text("Personal tokens let scripts and CI use the Decode Data API as you.", size="3", color_scheme="gray"),
        loading_or(
            TokensState.loaded,
            rx.vstack(
                rx.cond(TokensState.new_token != "", _new_token()),
                _create_form(),
                _token_list(),
                _usage(),
                _revoke_dialog(),
                spacing="4",
                width="100%",
            ),
        ),
    )


ON_LOAD = [AuthState.require_login, TokensState.load]
