"""Query & visualize (/lessons/[lesson]/query): tables on the left; SQL, rows and a chart on the right."""

from __future__ import annotations

import reflex as rx

from decode_data import routes
from decode_data.components import ui
from decode_data.components.code_editor import code_editor
from decode_data.components.data_grid import data_grid, pager
from decode_data.components.shell import loading_or, page_shell
from decode_data.states.auth import AuthState
from decode_data.states.query import QueryState
from decode_data.states.query_models import CHART_TYPES, ColumnItem, TableItem

TITLE = "Query & visualize"
CHART_HEIGHT = 320
EDITOR_HEIGHT = "200px"
ACCENT = rx.color(ui.ACCENT, 9)


# ---------------------------------------------------------------- table browser


def _column(column: ColumnItem) -> rx.Component:
    return rx.hstack(
        ui.code_text(column.name, overflow="hidden", text_overflow="ellipsis", white_space="nowrap", min_width="0"),
        rx.spacer(),
        ui.muted(column.type, size="1", white_space="nowrap"),
        width="100%",
        padding_left="1.6em",
        spacing=ui.GAP,
        align="center",
    )


def _table(table: TableItem) -> rx.Component:
    return rx.vstack(
        rx.button(
            rx.cond(table.kind == "view", rx.icon("eye", size=14), rx.icon("table", size=14)),
            rx.text(
                rx.cond(table.schema == "main", table.name, table.key),
                overflow="hidden",
                text_overflow="ellipsis",
                white_space="nowrap",
                line_height="1.5",  # underscores sit below the baseline: a tighter box clips them
                min_width="0",
            ),
            variant="ghost",
            size="1",
            color_scheme=ui.MUTED,
            high_contrast=True,
            on_click=QueryState.use_table(table.select_sql),
            title=table.select_sql,
            aria_label="Query table " + table.name,
            id="table-" + table.key,
            justify_content="start",
            width="100%",
            height="auto",
            min_height="var(--space-5)",
        ),
        rx.foreach(table.columns, _column),
        spacing="1",
        width="100%",
        padding_bottom="0.5em",
    )


def _table_browser() -> rx.Component:
    return ui.section_card(
        ui.muted("Click a table to query its first 100 rows.", size="1"),
        rx.cond(QueryState.tables_error != "", ui.error_callout(QueryState.tables_error, size="1")),
        loading_or(
            QueryState.tables_loaded,
            rx.cond(
                QueryState.tables.length() > 0,
                rx.scroll_area(
                    rx.vstack(rx.foreach(QueryState.tables, _table), spacing="1", width="100%"),
                    type="auto",
                    scrollbars="vertical",
                    max_height=ui.only_from("md", "70vh", below="40vh"),
                ),
                ui.muted("No tables yet: run dbt seed or dbt run on the lesson page first."),
            ),
        ),
        title=ui.card_header(
            "Tables",
            rx.icon_button(
                rx.icon("refresh-cw", size=14),
                on_click=QueryState.load_tables,
                size="1",
                variant="ghost",
                aria_label="Reload the table list",
                id="tables-reload",
            ),
        ),
        id="table-browser",
    )


# ---------------------------------------------------------------- editor, run, errors


def _code_editor() -> rx.Component:
    """Mounted once the page's load has run: nothing typed before can be replaced by the load."""
    return rx.cond(
        rx.State.is_hydrated,
        code_editor(
            QueryState.editor_text,
            QueryState.editor_key,
            QueryState.set_sql,
            run_button_id="query-run",
            height=EDITOR_HEIGHT,
            label="SQL query",
            placeholder="select ... from ...  (Ctrl+Enter runs the query)",
        ),
        rx.center(rx.spinner(), height=EDITOR_HEIGHT, id="query-editor-loading"),
    )


def _editor() -> rx.Component:
    return ui.section_card(
        rx.box(
            _code_editor(),
            width="100%",
            border="1px solid var(--gray-6)",
            border_radius="var(--radius-2)",
            overflow="hidden",
            id="query-editor",
        ),
        rx.hstack(
            rx.button(
                rx.icon("play", size=16),
                "Run query",
                on_click=QueryState.run_query,
                disabled=QueryState.running,
                loading=QueryState.running,
                id="query-run",
            ),
            ui.muted("Ctrl+Enter in the editor runs it too. Queries are read-only.", size="1"),
            align="center",
            spacing=ui.STACK_GAP,
            wrap="wrap",
        ),
        rx.cond(
            QueryState.error != "",
            ui.error_callout(
                rx.callout.text(QueryState.error, white_space="pre-wrap", font_family=ui.CODE_FONT, size="2"),
                id="query-error",
            ),
        ),
    )


# ---------------------------------------------------------------- results grid


def _results() -> rx.Component:
    return ui.section_card(
        rx.cond(
            QueryState.columns.length() > 0,
            rx.vstack(
                data_grid(QueryState.columns, QueryState.page_rows),
                pager(
                    QueryState.page,
                    QueryState.pages,
                    QueryState.previous_page,
                    QueryState.next_page,
                    id_prefix="query-",
                ),
                spacing=ui.GAP,
                width="100%",
            ),
            ui.muted("The query returned no columns."),
        ),
        title=rx.hstack(
            ui.section_title("Results"),
            ui.muted(QueryState.summary, id="query-summary"),
            rx.cond(QueryState.elapsed != "", rx.badge(QueryState.elapsed, variant="soft", color_scheme=ui.MUTED)),
            rx.cond(
                QueryState.error != "",
                rx.badge("from your previous query", color_scheme=ui.WARNING, variant="soft", id="query-stale"),
            ),
            align="center",
            spacing=ui.STACK_GAP,
            wrap="wrap",
        ),
        id="query-results",
    )


# ---------------------------------------------------------------- chart


def _select(label: str, select_id: str, value, options, on_change) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", weight="medium", as_="label", html_for=select_id),
        rx.select.root(
            rx.select.trigger(id=select_id, aria_label=label, min_width="9em"),
            rx.select.content(rx.foreach(options, lambda o: rx.select.item(o, value=o))),
            value=value,
            on_change=on_change,
            size="2",
        ),
        spacing="1",
    )


def _axes(numeric_x: bool) -> list[rx.Component]:
    return [
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        rx.recharts.x_axis(data_key="x", name=QueryState.x_column, type_="number" if numeric_x else "category"),
        rx.recharts.y_axis(data_key="y", name=QueryState.y_column, type_="number"),
        rx.recharts.graphing_tooltip(),
    ]


def _chart() -> rx.Component:
    bar = rx.recharts.bar_chart(
        *_axes(False),
        rx.recharts.bar(data_key="y", name=QueryState.y_column, fill=ACCENT),
        data=QueryState.chart_data,
        width="100%",
        height=CHART_HEIGHT,
    )
    line = rx.recharts.line_chart(
        *_axes(False),
        rx.recharts.line(data_key="y", name=QueryState.y_column, stroke=ACCENT, dot=False, type_="monotone"),
        data=QueryState.chart_data,
        width="100%",
        height=CHART_HEIGHT,
    )
    scatter = rx.recharts.scatter_chart(
        *_axes(True),
        rx.recharts.scatter(data=QueryState.chart_data, name=QueryState.y_column, fill=ACCENT),
        width="100%",
        height=CHART_HEIGHT,
    )
    return rx.match(QueryState.chart_type, ("line", line), ("scatter", scatter), bar)


def _chart_choices() -> rx.Component:
    return rx.hstack(
        _select("Chart type", "chart-type", QueryState.chart_type, list(CHART_TYPES), QueryState.set_chart_type),
        _select("X column", "chart-x", QueryState.x_column, QueryState.x_options, QueryState.set_x_column),
        _select("Y column (numbers)", "chart-y", QueryState.y_column, QueryState.numeric, QueryState.set_y_column),
        spacing=ui.SECTION_GAP,
        wrap="wrap",
    )


def _chart_panel() -> rx.Component:
    return ui.section_card(
        rx.cond(
            QueryState.numeric.length() > 0,
            rx.vstack(
                _chart_choices(),
                rx.cond(
                    QueryState.chart_data.length() > 0,
                    rx.box(
                        _chart(),
                        width="100%",
                        id="chart",
                        role="img",
                        aria_label="Chart of " + QueryState.y_column + " by " + QueryState.x_column,
                    ),
                    ui.muted("No row has a number in both chosen columns."),
                ),
                ui.muted("At most 500 points are drawn, in the order of the rows.", size="1"),
                spacing=ui.STACK_GAP,
                width="100%",
            ),
            ui.muted("No numeric column to plot: select a count, a sum or another number."),
        ),
        title="Chart",
        id="chart-panel",
    )


# ---------------------------------------------------------------- page


def _workspace() -> rx.Component:
    """Tables beside the editor from a laptop's width; on a phone the tables come first, shorter."""
    return rx.grid(
        _table_browser(),
        rx.vstack(
            _editor(),
            rx.cond(QueryState.has_result, rx.fragment(_results(), _chart_panel())),
            spacing=ui.SECTION_GAP,
            width="100%",
            min_width="0",
        ),
        columns=ui.side_by_side("minmax(200px, 260px)"),
        spacing=ui.SECTION_GAP,
        width="100%",
        align_items="start",
    )


def _not_found() -> rx.Component:
    return ui.notice_callout(
        rx.callout.text(
            "There is no lesson called ",
            rx.code(QueryState.lesson_id),
            ". ",
            rx.link("Back to your lessons", href=routes.DASHBOARD),
            ".",
        ),
        icon="circle_alert",
        id="query-not-found",
    )


def query_page() -> rx.Component:
    return page_shell(
        rx.vstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=16), rx.text("Back to the lesson"), spacing="1", align="center"),
                href=QueryState.lesson_href,
                size="2",
                id="back-to-lesson",
            ),
            rx.heading(
                TITLE,
                rx.cond(QueryState.lesson_title != "", ": " + QueryState.lesson_title, ""),
                size=rx.breakpoints(initial="5", sm="6"),
                as_="h1",
            ),
            rx.cond(QueryState.not_found, _not_found(), _workspace()),
            spacing=ui.STACK_GAP,
            width="100%",
            max_width="1400px",
            margin_x="auto",
        ),
        wide=True,
    )


ON_LOAD = [AuthState.require_login, QueryState.load]
