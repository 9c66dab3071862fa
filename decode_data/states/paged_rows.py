"""Rows shown a page at a time: the lesson page's results and the query page share it."""

from __future__ import annotations

import reflex as rx

from decode_data.states.view_models import PAGE_SIZE, page_count


class PagedRows(rx.State, mixin=True):
    rows: list[list[str]] = []  # every row kept (capped by the query), formatted for the grid
    page: int = 0

    @rx.var
    def page_rows(self) -> list[list[str]]:
        return self.rows[self.page * PAGE_SIZE : (self.page + 1) * PAGE_SIZE]

    @rx.var
    def pages(self) -> int:
        return page_count(len(self.rows))

    @rx.event
    def next_page(self):
        self.page = min(self.page + 1, self.pages - 1)

    @rx.event
    def previous_page(self):
        self.page = max(self.page - 1, 0)
