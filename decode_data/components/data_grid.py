"""Rows of a warehouse table as the learner sees them everywhere: results, diffs, queries."""

from __future__ import annotations

import reflex as rx

from decode_data.components import ui


def data_grid(columns, rows, max_height: str = "420px", **props) -> rx.Component:
    """A scrollable table of strings; `rows` is a list of lists, already formatted."""
    return rx.scroll_area(
        rx.table.root(
            rx.table.header(
                rx.table.row(rx.foreach(columns, lambda c: rx.table.column_header_cell(c, white_space="nowrap")))
            ),
            rx.table.body(
                rx.foreach(
                    rows,
                    lambda row: rx.table.row(rx.foreach(row, lambda value: rx.table.cell(value, white_space="nowrap"))),
                )
            ),
            size="1",
            variant="surface",
        ),
        type="auto",
        scrollbars="both",
        max_height=max_height,
        width="100%",
        **props,
    )


def pager(page, pages, on_previous, on_next, id_prefix: str = "") -> rx.Component:
    """Previous / page x of y / Next; `page` is 0-based."""
    return rx.hstack(
        rx.button(
            "Previous",
            on_click=on_previous,
            disabled=page == 0,
            size="1",
            variant="soft",
            id=f"{id_prefix}prev" if id_prefix else None,
        ),
        rx.text("Page ", page + 1, " of ", pages, size="1"),
        rx.button(
            "Next",
            on_click=on_next,
            disabled=page + 1 >= pages,
            size="1",
            variant="soft",
            id=f"{id_prefix}next" if id_prefix else None,
        ),
        align="center",
        spacing=ui.STACK_GAP,
    )
