"""Settings (/settings): personal API tokens for the JSON API, created, shown once, revoked."""

from __future__ import annotations

import reflex as rx

from decode_data import routes
from decode_data.components import ui
from decode_data.components.shell import loading_or, page_shell
from decode_data.services.auth.api_tokens import MAX_NAME_CHARS
from decode_data.states.auth import AuthState
from decode_data.states.token_models import TokenRow
from decode_data.states.tokens import TokensState

TITLE = "API tokens"


def _new_token() -> rx.Component:
    return ui.notice_callout(
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
                spacing=ui.STACK_GAP,
                wrap="wrap",
                width="100%",
            ),
            rx.text("Try it:", size="2"),
            ui.code_box(TokensState.curl, "new-token-curl"),
            rx.button(
                "I have saved it",
                on_click=TokensState.dismiss_new_token,
                size="1",
                variant="outline",
                id="new-token-done",
            ),
            spacing=ui.GAP,
            width="100%",
        ),
        color="green",
        icon="key-round",
        role="status",
        id="new-token",
    )


def _create_form() -> rx.Component:
    return rx.card(
        ui.form(
            rx.vstack(
                ui.section_title("Create a token"),
                rx.el.label("Token name", html_for="token-name", font_size="var(--font-size-2)", font_weight="500"),
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
                    ui.submit_button(
                        "Create token",
                        loading=TokensState.busy,
                        disabled=TokensState.busy,
                        id="token-create",
                    ),
                    spacing=ui.STACK_GAP,
                    align="center",
                    wrap="wrap",
                    width="100%",
                ),
                ui.muted(
                    f"A name helps you tell tokens apart (1 to {MAX_NAME_CHARS} characters).",
                    size="1",
                    id="token-name-help",
                ),
                rx.cond(TokensState.error != "", ui.error_callout(TokensState.error, size="1", id="token-error")),
                spacing=ui.GAP,
                width="100%",
            ),
            on_submit=TokensState.create,
        ),
        width="100%",
    )


def _token_row(token: TokenRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(token.name, weight="medium"),
                rx.code(token.prefix, "_…", variant="ghost", size="1", color_scheme=ui.MUTED),
                spacing="0",
            )
        ),
        rx.table.cell(token.created, white_space="nowrap"),
        rx.table.cell(token.last_used, white_space="nowrap"),
        rx.table.cell(
            rx.cond(
                token.active,
                rx.badge("Active", color_scheme=ui.ACCENT, variant="soft"),
                rx.badge("Revoked ", token.revoked, color_scheme=ui.MUTED, variant="soft"),
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
                    color_scheme=ui.DANGER,
                    id="revoke-" + token.id.to_string(),
                    aria_label="Revoke token " + token.name,
                ),
            ),
            text_align="right",
        ),
    )


def _token_table() -> rx.Component:
    return ui.scroll_x(
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
        )
    )


def _token_list() -> rx.Component:
    return ui.section_card(
        rx.cond(TokensState.list_error != "", ui.error_callout(TokensState.list_error, size="1")),
        rx.cond(
            TokensState.tokens.length() > 0,
            _token_table(),
            ui.muted("You have no API tokens yet."),
        ),
        title=rx.hstack(
            ui.section_title("Your tokens"),
            rx.badge(TokensState.active_count, " active", variant="soft", color_scheme=ui.MUTED),
            align="center",
            spacing=ui.STACK_GAP,
        ),
        id="token-list",
    )


def _revoke_dialog() -> rx.Component:
    return ui.confirm_dialog(
        rx.fragment("Revoke “", TokensState.confirm_name, "”?"),
        "Scripts and pipelines using this token stop working at once. This cannot be undone.",
        open=TokensState.confirm_id != 0,
        confirm="Revoke token",
        on_confirm=TokensState.confirm_revoke,
        on_cancel=TokensState.cancel_revoke,
        on_open_change=TokensState.dialog_open_change,
        confirm_id="revoke-confirm",
        cancel_id="revoke-cancel",
    )


def _usage() -> rx.Component:
    return ui.section_card(
        rx.text(
            "Send the token in the Authorization header. The API reads your lessons, progress, "
            "files and checks as JSON; a revoked token stops working at once.",
            size="2",
        ),
        ui.code_box(
            rx.cond(
                TokensState.public_url != "",
                'curl -H "Authorization: Bearer <token>" ' + TokensState.public_url + routes.API + "/lessons",
                "",
            ),
            "api-usage",
        ),
        title="Using the API",
    )


def settings_page() -> rx.Component:
    return page_shell(
        ui.page_title(TITLE),
        ui.muted("Personal tokens let scripts and CI use the Decode Data API as you.", size="3"),
        loading_or(
            TokensState.loaded,
            rx.vstack(
                rx.cond(TokensState.new_token != "", _new_token()),
                _create_form(),
                _token_list(),
                _usage(),
                _revoke_dialog(),
                spacing=ui.SECTION_GAP,
                width="100%",
            ),
        ),
    )


ON_LOAD = [AuthState.require_login, TokensState.load]
