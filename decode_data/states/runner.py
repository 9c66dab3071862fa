"""Seed / Run / Test / Build / Compile from the lesson page, streamed live into the page.

The job runs in a thread (the engine blocks); its events land in a deque that the background
task drains every STREAM_EVERY_S into state, so the browser sees log lines and per-node status
as they happen while other events on the page keep working.

A sibling of the editor under LessonState: it owns the job's status, logs, rows and lineage.
It asks the editor to save before a job, reads which file is open, and hands it the error
line to mark.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass

import reflex as rx

from decode_data.services.engine import JobResult
from decode_data.services.lineage_view import layout_lineage, node_path
from decode_data.services.runs import inspect_project, run_dbt
from decode_data.services.warehouse import preview_relation
from decode_data.states.access import NotSignedIn
from decode_data.states.editor import EditorState
from decode_data.states.lesson import LessonState
from decode_data.states.paged_rows import PagedRows
from decode_data.states.view_models import grid_rows

STREAM_EVERY_S = 0.15
MAX_LOG_LINES = 400
RUNNABLE = ("seed", "run", "test", "build", "compile", "snapshot")
SCOPES = {"model": "{}", "upstream": "+{}", "downstream": "{}+", "all": None}
BUILT_BY = ("run", "build", "seed", "snapshot")
FAILED = ("error", "fail", "runtime error")
SELECTABLE = ("model", "seed", "snapshot")


@dataclass
class NodeRow:
    id: str
    name: str
    kind: str
    status: str
    seconds: str = ""


@dataclass
class ErrorItem:
    message: str
    path: str = ""
    line: int = 0


def selector(scope: str, node: str) -> str | None:
    pattern = SCOPES.get(scope, "{}")
    if pattern is None or not node:
        return None
    return pattern.format(node)


class RunnerState(PagedRows, LessonState):
    running: bool = False
    command: str = ""
    logs: list[str] = []
    nodes: list[NodeRow] = []
    done_count: int = 0
    outcome: str = ""  # success | failed | timeout | error | rejected
    outcome_message: str = ""
    errors: list[ErrorItem] = []
    columns: list[str] = []
    total_rows: int = 0
    preview_of: str = ""
    compiled_sql: str = ""
    graph: dict = {}
    scope: str = "model"

    _lineage: dict = {}
    _statuses: dict = {}
    _compiled: dict = {}

    @rx.var
    def progress_value(self) -> int:
        total = len(self.nodes)
        return 100 if not self.running and total else (self.done_count * 100 // total if total else 0)

    @rx.event
    def set_scope(self, scope: str):
        self.scope = scope if scope in SCOPES else "model"

    def _relayout(self, node: str) -> None:
        """Lay the lineage out with `node` (the open file's) selected, and show its compiled SQL."""
        selected = next(
            (
                uid
                for uid, n in (self._lineage.get("nodes") or {}).items()
                if node and n.get("name") == node and n.get("resource_type") in SELECTABLE
            ),
            None,
        )
        self.graph = layout_lineage(self._lineage, self._statuses, selected)
        self.compiled_sql = self._compiled.get(selected, "") if selected else ""

    @rx.event
    def start_inspect(self):
        """Last of on_load: a background task started straight from on_load can run before the
        earlier handlers' changes are stored, so it is started from here, after them."""
        return RunnerState.inspect

    @rx.event(background=True)
    async def inspect(self):
        """Lineage and compiled SQL of the project as it is, before any run."""
        async with self:
            if self.not_found or not self.lesson_id:
                return
        result = await self._job(inspect_project)
        async with self:
            if not self.running:
                self._take_graph(result)
                self._relayout((await self.get_state(EditorState)).current_node)

    async def _job(self, work, *args) -> JobResult:
        """From a background task: bind to the learner under the state lock, run outside it."""
        async with self:
            call = self._bind(work, *args)
        return await asyncio.to_thread(call)

    def _take_graph(self, result: JobResult) -> None:
        if result.lineage:
            self._lineage = result.lineage
        if result.compiled:
            self._compiled = {**self._compiled, **result.compiled}

    @rx.event
    async def show_node(self, node_id: str):
        """A click on a lineage node: open its file; the graph then highlights it."""
        path = node_path(self.graph, node_id)
        if path:
            editor = await self.get_state(EditorState)
            await editor._switch_to(path)
            self._relayout(editor.current_node)

    @rx.event
    async def follow_editor(self):
        """After the learner opens a file: the lineage highlights its node."""
        self._relayout((await self.get_state(EditorState)).current_node)

    @rx.event(background=True)
    async def run(self, command: str):
        if command not in RUNNABLE:
            return
        async with self:
            if self.running:
                return
            editor = await self.get_state(EditorState)
            await editor._flush()
            editor.error_line = 0
            self._start(command)
            select = None if command == "seed" else selector(self.scope, editor.current_node)
        events: collections.deque = collections.deque()
        job = asyncio.create_task(self._job(_run, command, select, events.append))
        while not job.done():
            await asyncio.wait({job}, timeout=STREAM_EVERY_S)  # wakes at once when the job ends
            if events:
                async with self:
                    self._apply(events)
        try:
            result = await job
        except Exception as exc:
            async with self:
                self._stopped(exc)
            raise  # the app's error handler: sign in again, or a plain-words notice
        async with self:
            self._apply(events)
            editor = await self.get_state(EditorState)
            node = editor.current_node
            editor.error_line = self._finish(result, editor.path)
            self._relayout(node)
        if result.ok and command in BUILT_BY and node:
            await self._preview(node)

    def _start(self, command: str) -> None:
        self.running, self.command, self.outcome, self.outcome_message = True, command, "", ""
        self.logs, self.nodes, self.errors, self.done_count, self._statuses = [], [], [], 0, {}

    def _forget_runs(self) -> None:
        """After a reset: no rows, logs or statuses of a warehouse that is gone."""
        self.rows, self.columns, self.logs, self.nodes, self.errors = [], [], [], [], []
        self.outcome, self.outcome_message, self.preview_of, self._statuses = "", "", "", {}

    def _stopped(self, exc: Exception) -> None:
        """The job never returned a result (signed out, engine down): unlock the buttons."""
        self.running, self.outcome = False, "error"
        self.outcome_message = (
            "Your session ended: sign in again to run dbt."
            if isinstance(exc, NotSignedIn)
            else f"dbt {self.command} could not run. Your files are saved; please try again."
        )

    def _apply(self, events: collections.deque) -> None:
        logs = list(self.logs)
        nodes = {n.id: n for n in self.nodes}
        while events:
            event = events.popleft()
            if event.get("type") == "log":
                logs.append(event.get("line", ""))
            elif event.get("type") == "node" and event.get("resource_type") != "operation":
                uid, status = event.get("unique_id", ""), event.get("status", "")
                previous = nodes.get(uid)
                if (previous is None or previous.status == "running") and status != "running":
                    self.done_count += 1
                nodes[uid] = NodeRow(
                    id=uid, name=event.get("name", ""), kind=event.get("resource_type", ""), status=status
                )
                self._statuses[uid] = status
        self.logs, self.nodes = logs[-MAX_LOG_LINES:], list(nodes.values())

    def _finish(self, result: JobResult, open_path: str) -> int:
        """Take the job's final figures; the line of `open_path` to mark (0: no error there)."""
        self.running, self.outcome = False, result.status
        for node in result.nodes:
            self._statuses[node.unique_id] = node.status
        self.nodes = [
            NodeRow(
                id=n.unique_id, name=n.name, kind=n.resource_type, status=n.status, seconds=f"{n.execution_time:.2f}s"
            )
            for n in result.nodes
        ] or self.nodes
        self.done_count = len(self.nodes)
        if result.logs and not self.logs:
            self.logs = result.logs[-MAX_LOG_LINES:]
        self.errors = [ErrorItem(message=e.message, path=e.path or "", line=e.line) for e in result.errors]
        self.errors += [
            ErrorItem(message=n.error.message, path=n.error.path or "", line=n.error.line)
            for n in result.nodes
            if n.error and n.status in FAILED and all(n.error.message != e.message for e in self.errors)
        ]
        self.outcome_message = _summary(result)
        self._take_graph(result)
        mine = next((e for e in self.errors if e.path and e.path == open_path and e.line), None)
        return mine.line if mine else 0

    async def _preview(self, node: str) -> None:
        result = await self._job(preview_relation, node)
        async with self:
            if result.ok and result.preview:
                self.columns = [str(c) for c in result.preview.columns]
                self.rows = grid_rows(result.preview.rows)
                self.total_rows, self.page, self.preview_of = result.preview.total_rows, 0, node

    @rx.event
    async def go_to_error(self, path: str, line: int):
        editor = await self.get_state(EditorState)
        await editor.open_at(path, line)
        self._relayout(editor.current_node)


def _run(session, user, lesson, command, select, on_event) -> JobResult:
    return run_dbt(session, user, lesson, command, select=select, on_event=on_event)


def _summary(result: JobResult) -> str:
    counts = collections.Counter(n.status for n in result.nodes)
    parts = [f"{count} {status}" for status, count in sorted(counts.items())]
    took = f" in {result.elapsed_s:.1f}s" if result.elapsed_s else ""
    if result.status == "success":
        return f"dbt {result.command} finished{took}: " + (", ".join(parts) or "nothing to do")
    if result.status == "timeout":
        return f"dbt {result.command} took too long and was stopped{took}."
    if result.status == "rejected":
        return result.errors[0].message if result.errors else "This command cannot run."
    if result.status == "error" and not result.nodes:
        return result.errors[0].message if result.errors else "The run could not start; please try again."
    return f"dbt {result.command} failed{took}: " + ", ".join(parts)
