"""The query page: browse the warehouse's tables, run read-only SQL, page the rows, chart them.

Queries run as background events: the engine call blocks, so it runs in a thread while the
page stays responsive. State keeps only plain lists: the grid's strings for the browser, and
the result's JSON-safe values (server side) for building chart points when the axes change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import reflex as rx

from decode_data import routes
from decode_data.services.engine import JobResult
from decode_data.services.lessons import LessonNotFound, get_lesson
from decode_data.services.warehouse import list_tables, query
from decode_data.states.access import NotSignedIn, learner_session
from decode_data.states.auth import AuthState
from decode_data.states.paged_rows import PagedRows
from decode_data.states.query_models import (
    CHART_TYPES,
    TableItem,
    chart_data,
    default_axes,
    numeric_columns,
    rows_summary,
    table_items,
    x_choices,
)
from decode_data.states.view_models import grid_rows

logger = logging.getLogger(__name__)

T = TypeVar("T")

COULD_NOT_RUN = "The query could not run; please try again."
STATUS_MESSAGES = {
    "timeout": "The query took too long and was stopped: add a filter, a limit or an aggregate.",
    "rejected": "This query cannot run here.",
    "error": COULD_NOT_RUN,
    "failed": "The query failed.",
}


@dataclass
class QueryOutcome:
    """A query's result as plain values: an error message, or columns and JSON-safe rows."""

    error: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    total_rows: int = 0
    truncated: bool = False
    elapsed_s: float = 0.0


def outcome_of(result: JobResult) -> QueryOutcome:
    """The service's own message for a failed query (never a traceback); rows when it worked."""
    if not result.ok:
        message = next((e.message for e in result.errors if e.message), "")
        return QueryOutcome(
            error=message or STATUS_MESSAGES.get(result.status, COULD_NOT_RUN), elapsed_s=result.elapsed_s
        )
    preview = result.preview
    if preview is None:
        return QueryOutcome(elapsed_s=result.elapsed_s)
    return QueryOutcome(
        columns=[str(c) for c in preview.columns],
        rows=[list(r) for r in preview.rows],
        total_rows=int(preview.total_rows),
        truncated=bool(preview.truncated),
        elapsed_s=result.elapsed_s,
    )


def as_learner(token: str, lesson_id: str, work: Callable[..., T], *args) -> T:
    """`work(session, user, lesson, *args)` for the learner of this cookie (blocking: run it in a
    thread). The user only ever comes from the session token, never from the browser."""
    with learner_session(token) as (session, user):
        return work(session, user, get_lesson(lesson_id), *args)


def _run_query(session, user, lesson, sql: str) -> QueryOutcome:
    return outcome_of(query(session, user, lesson, sql))


class QueryState(PagedRows, AuthState):
    lesson_id: str = ""
    lesson_title: str = ""
    not_found: bool = False

    tables: list[TableItem] = []
    tables_loaded: bool = False
    tables_error: str = ""

    editor_text: str = ""  # what the editor (re)mounts with; typing does not change it
    editor_key: int = 0

    running: bool = False
    _listing: bool = False  # a table listing is in flight
    error: str = ""
    has_result: bool = False
    columns: list[str] = []
    total_rows: int = 0
    truncated: bool = False
    elapsed: str = ""

    numeric: list[str] = []
    chart_type: str = "bar"
    x_column: str = ""
    y_column: str = ""
    chart_data: list[dict] = []

    _sql: str = ""  # the editor's text as typed (server side only: no echo per keystroke)
    _values: list[list] = []  # the result's JSON-safe values, for chart points

    @rx.var
    def summary(self) -> str:
        return rows_summary(len(self.rows), self.total_rows, self.truncated)

    @rx.var
    def x_options(self) -> list[str]:
        return x_choices(self.chart_type, self.columns, self.numeric)

    @rx.var
    def lesson_href(self) -> str:
        return routes.lesson(self.lesson_id)

    # ------------------------------------------------------------ loading

    def _reset_result(self) -> None:
        self.error, self.has_result, self.columns, self.rows = "", False, [], []
        self.total_rows, self.truncated, self.elapsed, self.page = 0, False, "", 0
        self.numeric, self.x_column, self.y_column, self.chart_data = [], "", "", []
        self._values = []

    @rx.event
    async def load(self):
        """on_load: the lesson from the URL; the editor keeps this tab's last query of it."""
        lesson_id = routes.lesson_id_from_path(self.router.url.path)
        if lesson_id != self.lesson_id:
            self._reset_result()
            self._sql, self.tables, self.running = "", [], False
        self.lesson_id = lesson_id
        try:
            lesson = await asyncio.to_thread(get_lesson, lesson_id)
        except LessonNotFound:
            self.not_found, self.lesson_title = True, ""
            return None
        self.not_found, self.lesson_title = False, lesson.title
        self._mount(self._sql)
        return QueryState.load_tables

    @rx.event(background=True)
    async def load_tables(self):
        """The table and column browser (a short job in the learner's warehouse). One at a time:
        repeated (or forged) events while one is in flight do not queue more jobs."""
        async with self:
            if self.not_found or not self.lesson_id or self._listing:
                return None
            self.tables_loaded, self.tables_error, self._listing = False, "", True
            token, lesson_id = self.session_token, self.lesson_id
        try:
            tables = await asyncio.to_thread(as_learner, token, lesson_id, list_tables)
        except NotSignedIn:
            return AuthState.require_login
        except Exception:  # noqa: BLE001 - a message for the learner, the details for the log
            logger.exception("Listing the tables of lesson %s failed", lesson_id)
            async with self:
                self.tables_error, self.tables_loaded = "The tables could not be listed; try again.", True
            return None
        finally:
            async with self:
                self._listing = False
        async with self:
            self.tables, self.tables_loaded = table_items(tables), True
        return None

    # ------------------------------------------------------------ the editor

    def _mount(self, text: str) -> None:
        self._sql, self.editor_text = text, text
        self.editor_key += 1

    @rx.event
    def set_sql(self, text: str):
        self._sql = text

    @rx.event
    def use_table(self, sql: str):
        """A click on a table: its `select * ... limit 100` replaces the editor's text."""
        if any(t.select_sql == sql for t in self.tables):
            self._mount(sql)

    # ------------------------------------------------------------ running

    @rx.event(background=True)
    async def run_query(self):
        async with self:
            if self.running or self.not_found or not self.lesson_id:
                return None
            sql = self._sql
            if not sql.strip():
                self.error = "Write a SQL query first, or pick a table on the left."
                return None
            self.running, self.error = True, ""
            token, lesson_id = self.session_token, self.lesson_id
        try:
            outcome = await asyncio.to_thread(as_learner, token, lesson_id, _run_query, sql)
        except NotSignedIn:
            async with self:
                self.running = False
            return AuthState.require_login
        except Exception:  # noqa: BLE001 - never a traceback in the page
            logger.exception("A query in lesson %s failed to run", lesson_id)
            outcome = QueryOutcome(error=COULD_NOT_RUN)
        async with self:
            if self.lesson_id == lesson_id:  # not if the tab moved to another lesson meanwhile
                self._take(outcome)
            else:
                self.running = False
        return None

    def _take(self, outcome: QueryOutcome) -> None:
        self.running = False
        if outcome.error:
            self.error = outcome.error  # the previous rows stay, so the learner can compare
            return
        self._reset_result()
        self.has_result = True
        self.columns, self._values = outcome.columns, outcome.rows
        self.rows = grid_rows(outcome.rows)
        self.total_rows, self.truncated = outcome.total_rows, outcome.truncated
        self.elapsed = f"{outcome.elapsed_s:.2f}s" if outcome.elapsed_s else ""
        self.numeric = numeric_columns(self.columns, self._values)
        self._rechart()

    # ------------------------------------------------------------ paging and chart choices

    def _rechart(self) -> None:
        self.x_column, self.y_column = default_axes(
            self.chart_type, self.columns, self.numeric, self.x_column, self.y_column
        )
        self.chart_data = chart_data(self.columns, self._values, self.x_column, self.y_column, self.chart_type)

    @rx.event
    def set_chart_type(self, chart_type: str):
        if chart_type in CHART_TYPES:
            self.chart_type = chart_type
            self._rechart()

    @rx.event
    def set_x_column(self, column: str):
        if column in x_choices(self.chart_type, self.columns, self.numeric):
            self.x_column = column
            self._rechart()

    @rx.event
    def set_y_column(self, column: str):
        if column in self.numeric:
            self.y_column = column
            self._rechart()
