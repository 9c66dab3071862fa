"""The dbt command bar above the editor, as in dbt Studio: type `dbt run -s stg_orders+`.

The browser completes from a list the runner sends once per project shape (commands, flags,
each model with `+` before and after), so typing costs no round trip; ↑/↓ walk the history.
"""

from __future__ import annotations

import reflex as rx

from decode_data.components import ui
from decode_data.states.check import CheckState
from decode_data.states.command_bar import INPUT_ID, CommandState
from decode_data.states.runner import RunnerState

SUGGESTIONS_ID = "dbt-suggestions"


def _input() -> rx.Component:
    return rx.el.input(
        id=INPUT_ID,
        name="line",
        list=SUGGESTIONS_ID,
        placeholder="dbt run -s stg_orders+",
        aria_label="dbt command",
        auto_complete="off",
        spell_check=False,
        on_key_down=CommandState.browse,
        style={
            "flex": "1",
            "min_width": "0",
            "font_family": "var(--code-font-family, monospace)",
            "font_size": "14px",
            "padding": "6px 10px",
            "border": "1px solid var(--gray-7)",
            "border_radius": "var(--radius-2)",
            "background": "var(--color-surface)",
        },
    )


def _stale_prompt() -> rx.Component:
    return rx.cond(
        RunnerState.stale != "",
        rx.callout(
            rx.vstack(
                rx.text(RunnerState.stale, size="2"),
                rx.hstack(
                    rx.button(
                        rx.code(RunnerState.pending_with_parents),
                        size="1",
                        on_click=RunnerState.run_anyway(RunnerState.pending_with_parents),
                        id="run-with-parents",
                    ),
                    rx.button(
                        "As typed: ",
                        rx.code(RunnerState.pending),
                        size="1",
                        variant="soft",
                        on_click=RunnerState.run_anyway(RunnerState.pending),
                        id="run-as-typed",
                    ),
                    rx.button("Cancel", size="1", variant="ghost", on_click=RunnerState.dismiss_stale),
                    wrap="wrap",
                    spacing="2",
                ),
                spacing="2",
            ),
            icon="triangle_alert",
            color_scheme="amber",
            size="1",
            id="stale-parents",
            width="100%",
        ),
    )


def command_bar() -> rx.Component:
    return rx.vstack(
        ui.form(
            rx.hstack(
                rx.text("$", font_family="monospace", color_scheme="gray", aria_hidden="true"),
                _input(),
                ui.submit_button(
                    rx.icon("terminal", size=14),
                    "Run command",
                    size="2",
                    disabled=RunnerState.running | CheckState.checking,
                    id="run-command",
                ),
                align="center",
                spacing="2",
                width="100%",
            ),
            rx.el.datalist(
                rx.foreach(RunnerState.suggestions, lambda line: rx.el.option(value=line)), id=SUGGESTIONS_ID
            ),
            on_submit=CommandState.submit,
            width="100%",
        ),
        rx.cond(
            CommandState.refused != "",
            rx.text(CommandState.refused, size="1", color_scheme="red", id="command-refused"),
        ),
        _stale_prompt(),
        spacing="1",
        width="100%",
        id="command-bar",
    )
