"""Query & visualize (/lessons/[lesson]/query): tables on the left; SQL, rows and a chart on the right."""

from __future__ import annotations

import reflex as rx

from decode_data.components.code_editor import code_editor
from decode_data.components.data_grid import data_grid, pager
from decode_data.components.shell import loading_or, page_shell
from decode_data.states.auth import AuthState
from decode_data.states.query import QueryState
from decode_data.states.query_models import CHART_TYPES, ColumnItem, TableItem

ROUTE = "/lessons/[lesson]/query"
TITLE = "Query & visualize"
CHART_HEIGHT = 320
ACCENT = rx.color("teal", 9)


# ---------------------------------------------------------------- table browser


def _column(column: ColumnItem) -> rx.Component:
    return rx.hstack(
        rx.text(column.name, size="1", font_family="var(--code-font-family)", trim="both"),
        rx.spacer(),
        rx.text(column.type, size="1", color_scheme="gray", trim="both"),
        width="100%",
        padding_left="1.6em",
        spacing="2",
    )


def _table(table: TableItem) -> rx.Component:
    return rx.vstack(
        rx.button(
            rx.cond(table.kind == "view", rx.icon("eye", size=14), rx.icon("table", size=14)),
            rx.text(
                rx.cond(table.schema == "main", table.name, table.key),
                trim="both",
                overflow="hidden",
                text_overflow="ellipsis",
                white_space="nowrap",
            ),
            variant="ghost",
            size="1",
            color_scheme="gray",
            high_contrast=True,
            on_click=QueryState.use_table(table.select_sql),
            title=table.select_sql,
            aria_label="Query table " + table.name,
            id="table-" + table.key,
            justify_content="start",
            width="100%",
        ),
        rx.foreach(table.columns, _column),
        spacing="1",
        width="100%",
        padding_bottom="0.5em",
    )


def _table_browser() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Tables", size="3", as_="h2"),
                rx.spacer(),
                rx.icon_button(
                    rx.icon("refresh-cw", size=14),
                    on_click=QueryState.load_tables,
                    size="1",
                    variant="ghost",
                    aria_label="Reload the table list",
                    id="tables-reload",
                ),
                width="100%",
                align="center",
            ),
            rx.text("Click a table to query its first 100 rows.", size="1", color_scheme="gray"),
            rx.cond(
                QueryState.tables_error != "",
                rx.callout(QueryState.tables_error, icon="triangle_alert", color_scheme="red", size="1"),
            ),
            loading_or(
                QueryState.tables_loaded,
                rx.cond(
                    QueryState.tables.length() > 0,
                    rx.scroll_area(
                        rx.vstack(rx.foreach(QueryState.tables, _table), spacing="1", width="100%"),
                        type="auto",
                        scrollbars="vertical",
                        max_height="70vh",
                    ),
                    rx.text(
                        "No tables yet: run dbt seed or dbt run on the lesson page first.",
                        size="2",
                        color_scheme="gray",
                    ),
                ),
            ),
            spacing="2",
            width="100%",
        ),
        id="table-browser",
        width="100%",
    )


# ---------------------------------------------------------------- editor, run, errors


def _editor() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.box(
                code_editor(
                    QueryState.editor_text,
                    QueryState.editor_key,
                    QueryState.set_sql,
                    run_button_id="query-run",
                    height="200px",
                    label="SQL query",
                    placeholder="select ... from ...  (Ctrl+Enter runs the query)",
                ),
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
                rx.text("Ctrl+Enter in the editor runs it too. Queries are read-only.", size="1", color_scheme="gray"),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            rx.cond(
                QueryState.error != "",
                rx.callout.root(
                    rx.callout.icon(rx.icon("triangle_alert")),
                    rx.callout.text(
                        QueryState.error, white_space="pre-wrap", font_family="var(--code-font-family)", size="2"
                    ),
                    color_scheme="red",
                    role="alert",
                    id="query-error",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


# ---------------------------------------------------------------- results grid


def _results() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Results", size="3", as_="h2"),
                rx.text(QueryState.summary, size="2", color_scheme="gray", id="query-summary"),
                rx.cond(QueryState.elapsed != "", rx.badge(QueryState.elapsed, variant="soft", color_scheme="gray")),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
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
                    spacing="2",
                    width="100%",
                ),
                rx.text("The query returned no columns.", size="2", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        id="query-results",
        width="100%",
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


def _chart_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Chart", size="3", as_="h2"),
            rx.cond(
                QueryState.numeric.length() > 0,
                rx.vstack(
                    rx.hstack(
                        _select(
                            "Chart type",
                            "chart-type",
                            QueryState.chart_type,
                            list(CHART_TYPES),
                            QueryState.set_chart_type,
                        ),
                        _select(
                            "X column", "chart-x", QueryState.x_column, QueryState.x_options, QueryState.set_x_column
                        ),
                        _select(
                            "Y column (numbers)",
                            "chart-y",
                            QueryState.y_column,
                            QueryState.numeric,
                            QueryState.set_y_column,
                        ),
                        spacing="4",
                        wrap="wrap",
                    ),
                    rx.cond(
                        QueryState.chart_data.length() > 0,
                        rx.box(
                            _chart(),
                            width="100%",
                            id="chart",
                            role="img",
                            aria_label="Chart of " + QueryState.y_column + " by " + QueryState.x_column,
                        ),
                        rx.text("No row has a number in both chosen columns.", size="2", color_scheme="gray"),
                    ),
                    rx.text("At most 500 points are drawn, in the order of the rows.", size="1", color_scheme="gray"),
                    spacing="3",
                    width="100%",
                ),
                rx.text(
                    "No numeric column to plot: select a count, a sum or another number.", size="2", color_scheme="gray"
                ),
            ),
            spacing="3",
            width="100%",
        ),
        id="chart-panel",
        width="100%",
    )


# ---------------------------------------------------------------- page


def _workspace() -> rx.Component:
    return rx.grid(
        _table_browser(),
        rx.vstack(
            _editor(),
            rx.cond(QueryState.has_result, rx.fragment(_results(), _chart_panel())),
            spacing="4",
            width="100%",
            min_width="0",
        ),
        columns="minmax(200px, 260px) minmax(0, 1fr)",
        spacing="4",
        width="100%",
        align_items="start",
    )


def _not_found() -> rx.Component:
    return rx.callout(
        rx.text(
            "There is no lesson called ",
            rx.code(QueryState.lesson_id),
            ". ",
            rx.link("Back to your lessons", href="/dashboard"),
            ".",
        ),
        icon="circle_alert",
        color_scheme="amber",
        id="query-not-found",
    )


def query_page() -> rx.Component:
    return page_shell(
        rx.vstack(
            rx.hstack(
                rx.link(
                    rx.hstack(
                        rx.icon("arrow-left", size=16), rx.text("Back to the lesson"), spacing="1", align="center"
                    ),
                    href=QueryState.lesson_href,
                    size="2",
                    id="back-to-lesson",
                ),
                width="100%",
            ),
            rx.heading(
                "Query & visualize",
                rx.cond(QueryState.lesson_title != "", ": " + QueryState.lesson_title, ""),
                size="6",
                as_="h1",
            ),
            rx.cond(QueryState.not_found, _not_found(), _workspace()),
            spacing="3",
            width="100%",
            max_width="1400px",
            margin_x="auto",
        ),
        wide=True,
    )


ON_LOAD = [AuthState.require_login, QueryState.load]
