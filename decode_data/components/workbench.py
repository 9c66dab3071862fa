"""The right side of the lesson page: dbt buttons, file tree, editor, and what the run did."""

from __future__ import annotations

import reflex as rx

from decode_data.components import ui
from decode_data.components.code_editor import code_editor, code_view, highlight_line_css
from decode_data.components.command_bar import command_bar
from decode_data.components.data_grid import data_grid, pager
from decode_data.components.lineage_graph import lineage_graph
from decode_data.states.check import CheckState
from decode_data.states.editor import EditorState
from decode_data.states.runner import ErrorItem, NodeRow, RunnerState
from decode_data.states.view_models import FileItem

RUN_BUTTON_ID = "run-button"
BESIDE_FROM = "sm"  # from a tablet's width the file list sits left of the editor; above it on a phone
EDIT_EVENT = EditorState.edit  # what a keystroke sends (also measured by `bench --states`)


def _command_button(command: str, icon: str, **props) -> rx.Component:
    """A shortcut that shows the exact dbt command it runs."""
    return rx.button(
        rx.icon(icon, size=14),
        ui.code_text(command),
        on_click=RunnerState.run_line(command),
        disabled=RunnerState.running | CheckState.checking,
        size="2",
        **{"title": command, **props},
    )


def toolbar() -> rx.Component:
    return rx.vstack(
        command_bar(),
        rx.hstack(
            _command_button("dbt seed", "sprout", variant="soft", id="dbt-seed"),
            _command_button("dbt run", "play", id=RUN_BUTTON_ID, title="dbt run (Ctrl+Enter)"),
            _command_button("dbt test", "flask_conical", variant="soft", id="dbt-test"),
            _command_button("dbt build", "hammer", variant="soft", id="dbt-build"),
            _command_button("dbt compile", "code", variant="soft", id="dbt-compile"),
            rx.cond(
                EditorState.current_node != "",
                rx.button(
                    ui.code_text("dbt run -s ", EditorState.current_node),
                    on_click=RunnerState.run_line("dbt run -s " + EditorState.current_node),
                    disabled=RunnerState.running | CheckState.checking,
                    variant="outline",
                    size="2",
                    title="Run only the open model",
                    id="dbt-run-open",
                ),
            ),
            wrap="wrap",
            spacing=ui.GAP,
            align="center",
            width="100%",
        ),
        spacing=ui.GAP,
        width="100%",
    )


def _file_row(item: FileItem) -> rx.Component:
    return rx.button(
        rx.icon(rx.cond(item.editable, "file_pen", "file_lock"), size=14, flex_shrink="0"),
        ui.code_text(
            item.path,
            overflow="hidden",
            text_overflow="ellipsis",
            white_space="nowrap",
            min_width="0",
        ),
        on_click=[EditorState.open_file(item.path), RunnerState.follow_editor],
        variant=rx.cond(item.path == EditorState.path, "soft", "ghost"),
        color_scheme=rx.cond(item.editable, ui.ACCENT, ui.MUTED),
        size="1",
        width="100%",
        justify_content="flex-start",
        overflow="hidden",
        margin="0",
        title=rx.cond(item.editable, item.path + " (you can edit it)", item.path + " (read-only in this lesson)"),
    )


def file_tree() -> rx.Component:
    return rx.el.nav(
        rx.vstack(
            rx.text("Files", weight="bold", size="2"),
            rx.foreach(EditorState.files, _file_row),
            spacing="1",
            width="100%",
            max_height=ui.only_from(BESIDE_FROM, "440px", below="10.5em"),
            overflow_y="auto",
        ),
        aria_label="Workspace files",
        id="file-tree",
        width=ui.only_from(BESIDE_FROM, "230px", below="100%"),
        flex_shrink="0",
    )


def _save_badge() -> rx.Component:
    return rx.box(_save_state(), data_save=EditorState.save_status, id="save-state")


def _save_state() -> rx.Component:
    return rx.match(
        EditorState.save_status,
        (
            "saved",
            rx.badge(rx.icon("check", size=12), "Saved", color_scheme=ui.ACCENT, variant="soft", id="save-status"),
        ),
        ("saving", rx.badge("Saving…", color_scheme=ui.MUTED, variant="soft", id="save-status")),
        ("unsaved", rx.badge("Unsaved", color_scheme=ui.WARNING, variant="soft", id="save-status")),
        ("conflict", rx.badge("Changed elsewhere", color_scheme=ui.DANGER, id="save-status")),
        ("error", rx.badge("Not saved", color_scheme=ui.DANGER, id="save-status")),
        (
            "retrying",
            rx.badge(
                "Not saved yet",
                color_scheme=ui.WARNING,
                id="save-status",
                on_mount=EditorState.keep_retrying,  # a retry loop runs while this shows
            ),
        ),
        rx.cond(
            EditorState.editable,
            rx.badge("Saved", color_scheme=ui.ACCENT, variant="soft", id="save-status"),
            rx.badge("Read-only", color_scheme=ui.MUTED, variant="soft", id="save-status"),
        ),
    )


def _save_problem() -> rx.Component:
    return rx.cond(
        EditorState.save_error != "",
        ui.error_callout(
            rx.hstack(
                rx.text(EditorState.save_error, size="2"),
                rx.cond(
                    EditorState.save_status == "conflict",
                    rx.hstack(
                        rx.button("Keep mine", size="1", on_click=EditorState.keep_mine),
                        rx.button("Load the other version", size="1", variant="soft", on_click=EditorState.load_theirs),
                        wrap="wrap",
                    ),
                ),
                spacing=ui.STACK_GAP,
                align="center",
                wrap="wrap",
            ),
            size="1",
            id="save-error",
        ),
    )


def editor() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            ui.code_text(EditorState.path, size="2", weight="medium", word_break="break-all", id="editor-path"),
            rx.spacer(),
            _save_badge(),
            width="100%",
            align="center",
        ),
        _save_problem(),
        highlight_line_css(EditorState.error_line),
        rx.box(
            code_editor(
                EditorState.loaded_text,
                EditorState.doc_key,
                EDIT_EVENT,
                path=EditorState.path,
                run_button_id=RUN_BUTTON_ID,
                read_only=~EditorState.editable,
                height="400px",
                label="Model editor",
            ),
            width="100%",
            border="1px solid var(--gray-6)",
            border_radius="var(--radius-3)",
            overflow="hidden",
            id="editor",
            background="white",
        ),
        spacing=ui.GAP,
        width="100%",
        min_width="0",
    )


def _node_chip(node: NodeRow) -> rx.Component:
    return ui.status_badge(
        node.status,
        rx.cond(node.status == "running", rx.spinner(size="1"), rx.fragment()),
        node.name,
        " ",
        node.status,
        " ",
        node.seconds,
        data_status=node.status,
        class_name="node-status",
    )


def _error_row(error: ErrorItem) -> rx.Component:
    return ui.error_callout(_located(error), icon="circle_x", size="1", class_name="run-error")


def _warning_row(warning: ErrorItem) -> rx.Component:
    return ui.notice_callout(_located(warning), icon="triangle_alert", size="1", class_name="run-warning")


def _located(error: ErrorItem) -> rx.Component:
    """A message with the link that opens its file at its line."""
    return rx.vstack(
        rx.text(error.message, size="2", white_space="pre-wrap", word_break="break-word"),
        rx.cond(
            error.path != "",
            rx.link(
                error.path,
                rx.cond(error.line > 0, rx.text.span(" line ", error.line), rx.fragment()),
                href="#",
                on_click=RunnerState.go_to_error(error.path, error.line).prevent_default,
                size="1",
                font_family=ui.CODE_FONT,
                class_name="error-location",
            ),
        ),
        spacing="1",
        min_width="0",
    )


def run_status() -> rx.Component:
    return rx.cond(
        RunnerState.running | (RunnerState.outcome != ""),
        rx.vstack(
            rx.hstack(
                rx.cond(
                    RunnerState.running,
                    rx.text("Running ", RunnerState.command, "…", size="2"),
                    rx.text(
                        RunnerState.outcome_message,
                        size="2",
                        weight="medium",
                        id="run-outcome",
                        color_scheme=rx.cond(RunnerState.outcome == "success", ui.ACCENT, ui.DANGER),
                    ),
                ),
                width="100%",
            ),
            ui.progress_bar(RunnerState.progress_value, "Run progress", id="run-progress"),
            rx.flex(rx.foreach(RunnerState.nodes, _node_chip), wrap="wrap", gap="1", id="node-statuses"),
            rx.foreach(RunnerState.errors, _error_row),
            rx.foreach(RunnerState.warnings, _warning_row),
            rx.cond(
                RunnerState.warehouse_damaged & ~RunnerState.running,
                rx.button(
                    rx.icon("rotate_ccw", size=14),
                    "Reset warehouse",
                    on_click=RunnerState.reset_warehouse,
                    color_scheme=ui.WARNING,
                    id="reset-warehouse",
                ),
            ),
            spacing=ui.GAP,
            width="100%",
            id="run-status",
        ),
    )


def _stale_rows() -> rx.Component:
    """After a command that failed, the rows on screen are an earlier run's: say so."""
    failed = (RunnerState.outcome != "") & (RunnerState.outcome != "success")
    return rx.cond(
        failed & ~RunnerState.rows_current & ~RunnerState.running,
        ui.notice_callout(
            rx.callout.text(
                "These rows are from an earlier run: ",
                rx.code(RunnerState.command, white_space="nowrap"),
                " did not succeed, so they may not match your files now.",
            ),
            icon="history",
            size="1",
            id="results-stale",
        ),
    )


def _results() -> rx.Component:
    return rx.cond(
        RunnerState.columns.length() > 0,
        rx.vstack(
            _stale_rows(),
            ui.muted(RunnerState.preview_of, ": ", RunnerState.total_rows, " rows", size="1"),
            data_grid(RunnerState.columns, RunnerState.page_rows),
            pager(RunnerState.page, RunnerState.pages, RunnerState.previous_page, RunnerState.next_page),
            spacing=ui.GAP,
            width="100%",
            id="results",
        ),
        ui.muted("Run a model to see its rows here.", id="results-empty"),
    )


def _log() -> rx.Component:
    return rx.box(
        rx.foreach(RunnerState.logs, lambda line: ui.code_text(line, white_space="pre-wrap", word_break="break-word")),
        max_height="260px",
        overflow_y="auto",
        width="100%",
        id="run-log",
        background="var(--gray-3)",
        padding="0.5em",
        border_radius="var(--radius-2)",
    )


def output_tabs() -> rx.Component:
    return rx.tabs.root(
        rx.tabs.list(
            rx.tabs.trigger("Results", value="results"),
            rx.tabs.trigger("Lineage", value="lineage"),
            rx.tabs.trigger("Compiled SQL", value="compiled"),
            rx.tabs.trigger("Log", value="log"),
        ),
        rx.tabs.content(_results(), value="results", padding_top="0.75em"),
        rx.tabs.content(
            rx.vstack(
                ui.muted("Click a box to open its file.", size="1"),
                lineage_graph(
                    RunnerState.graph, RunnerState.show_node, RunnerState.lineage_zoom, RunnerState.zoom_lineage
                ),
                width="100%",
                id="lineage",
            ),
            value="lineage",
            padding_top="0.75em",
        ),
        rx.tabs.content(
            rx.cond(
                RunnerState.compiled_sql != "",
                code_view(RunnerState.compiled_sql, label="Compiled SQL"),
                ui.muted("Compile or run the model to see the SQL dbt sends."),
            ),
            value="compiled",
            padding_top="0.75em",
            id="compiled",
        ),
        rx.tabs.content(_log(), value="log", padding_top="0.75em"),
        default_value="results",
        width="100%",
    )


def workbench() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.vstack(
                toolbar(),
                rx.flex(
                    file_tree(),
                    editor(),
                    direction=ui.only_from(BESIDE_FROM, "row", below="column"),
                    gap="var(--space-3)",
                    width="100%",
                    align="start",
                ),
                spacing=ui.STACK_GAP,
                width="100%",
            ),
            width="100%",
        ),
        run_status(),
        rx.card(output_tabs(), width="100%"),
        spacing=ui.STACK_GAP,
        width="100%",
        min_width="0",
    )
