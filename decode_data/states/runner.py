"""dbt commands from the lesson page (command bar and buttons), streamed live into the page.

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
from dataclasses import dataclass, replace

import reflex as rx

from decode_data.services.build_record import BUILDING_COMMANDS, stale_parents
from decode_data.services.dbt_command import (
    DbtRequest,
    DbtUsageError,
    parse_command_line,
    selected_nodes,
    suggestions,
)
from decode_data.services.engine import JobResult, LearnerError
from decode_data.services.lineage_view import layout_lineage, node_path
from decode_data.services.outages import outage_reason
from decode_data.services.rate_limits import RateLimited, count_job
from decode_data.services.runs import inspect_project, run_request, warehouse_damaged
from decode_data.services.workspace import reset_warehouse, workspace_paths
from decode_data.settings import get_settings
from decode_data.states.access import NotSignedIn
from decode_data.states.editor import EditorState
from decode_data.states.lesson import LessonState
from decode_data.states.paged_rows import PagedRows
from decode_data.states.view_models import grid_rows

STREAM_EVERY_S = 0.15
# A run that ends sooner shows its outcome without progress updates in between: each one
# re-renders the page while the job needs the same cores (a warm run takes ~0.3 s).
FIRST_PROGRESS_S = 0.4
AFTER_FIRST_PAINT_S = 0.6  # a lesson page paints in about half a second (bench --browser)
MAX_LOG_LINES = 400
ASKS_ABOUT_STALE_PARENTS = ("run", "build")  # they rebuild what they select, not what it reads
FAILED = ("error", "fail", "runtime error")
SELECTABLE = ("model", "seed", "snapshot")


@dataclass
class NodeRow:
    id: str
    name: str
    kind: str
    status: str
    seconds: str = ""


def _stopped(row: NodeRow) -> NodeRow:
    return replace(row, status="stopped") if row.status == "running" else row


@dataclass
class ErrorItem:
    message: str
    path: str = ""
    line: int = 0


class RunnerState(PagedRows, LessonState):
    running: bool = False
    command: str = ""
    logs: list[str] = []
    nodes: list[NodeRow] = []
    done_count: int = 0
    outcome: str = ""  # success | failed | timeout | error | rejected
    outcome_message: str = ""
    errors: list[ErrorItem] = []
    warnings: list[ErrorItem] = []  # it ran, but not as the learner meant (a misspelt config key)
    columns: list[str] = []
    total_rows: int = 0
    preview_of: str = ""
    rows_current: bool = False  # the rows came from the last command, not from an earlier one
    compiled_sql: str = ""
    graph: dict = {}
    suggestions: list[str] = []  # the command bar's completions: commands, flags, this project's models
    stale: str = ""  # parents edited since they were built, named before a partial run
    pending: str = ""  # the line waiting for the learner's answer about them
    pending_with_parents: str = ""
    lineage_zoom: int = 0  # percent of the graph's natural size; 0 fits it to the pane
    warehouse_damaged: bool = False  # the last job could not open the DuckDB file: offer a reset

    _lineage: dict = {}
    _inspecting: bool = False
    _runs: int = 0  # commands started on this page: which rows belong to the latest one
    _statuses: dict = {}
    _compiled: dict = {}

    @rx.var
    def progress_value(self) -> int:
        total = len(self.nodes)
        return 100 if not self.running and total else (self.done_count * 100 // total if total else 0)

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

    @rx.event(background=True)
    async def inspect(self):
        """Lineage and compiled SQL of the project as it is, before any run."""
        await self._inspect()

    @rx.event(background=True)
    async def inspect_after_paint(self):
        """The page's follow-up to its first paint: the same, a moment later. Its dbt compile
        takes a core for a fifth of a second, just when a small server and the browser render
        the page; a Run started meanwhile brings the lineage itself."""
        await asyncio.sleep(AFTER_FIRST_PAINT_S)
        async with self:
            if self.running:
                return
        await self._inspect()

    async def _inspect(self) -> None:
        """One at a time: repeated (or forged) events while one is in flight queue no more compiles."""
        async with self:
            if self.not_found or not self.lesson_id or self._inspecting:
                return
            self._inspecting = True
        try:
            result = await self._job(inspect_project)
        finally:
            async with self:
                self._inspecting = False
        async with self:
            if not self.running:
                self._take_graph(result)
                self._relayout((await self.get_state(EditorState)).current_node)

    async def _job(self, work, *args) -> JobResult:
        """From a background task: bind to the learner under the state lock, run outside it."""
        async with self:
            call = self._bind(work, *args)
        return await asyncio.to_thread(call)

    @rx.event(background=True)
    async def reset_warehouse(self):
        """The way out of a damaged DuckDB file: a new, empty one; the learner's files stay."""
        async with self:
            if self.running:
                return
            self.running, self.command, self.warehouse_damaged = True, "Reset warehouse", False
        try:
            await self._job(_reset_warehouse)
        except Exception as exc:
            async with self:
                self._stopped(exc)
            raise
        async with self:
            self._forget_runs()
            self.running, self.outcome = False, "success"
            self.outcome_message = "Your warehouse was reset. Your files are unchanged: run dbt build to fill it."
        return RunnerState.inspect

    def _take_graph(self, result: JobResult) -> None:
        if result.lineage:
            self._lineage = result.lineage
            self.suggestions = suggestions(result.lineage)
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
    def zoom_lineage(self, zoom: int):
        self.lineage_zoom = max(0, min(int(zoom), 300))

    @rx.event
    async def follow_editor(self):
        """After the learner opens a file: the lineage highlights its node."""
        self._relayout((await self.get_state(EditorState)).current_node)

    @rx.event(background=True)
    async def run_line(self, line: str):
        """Run a dbt command line; first say so when it reads from models edited since their build."""
        await self._run_line(line, anyway=False)

    @rx.event(background=True)
    async def run_anyway(self, line: str):
        """The learner has answered the question about stale parents: run without asking again."""
        await self._run_line(line, anyway=True)

    async def _run_line(self, line: str, anyway: bool) -> None:
        try:
            request = parse_command_line(line, get_settings().query_row_cap)
        except DbtUsageError as exc:
            async with self:
                self.outcome, self.command, self.outcome_message = "rejected", line, str(exc)
            return
        async with self:
            if self.running:
                return
            self.stale, self.pending, self.pending_with_parents = "", "", ""
            editor = await self.get_state(EditorState)
            await editor._flush()
            lineage = self._lineage
        if not anyway and request.select and request.command in ASKS_ABOUT_STALE_PARENTS:  # all: no parent left out
            stale = await self._job(_stale_parents, request.select, lineage)
            if stale:
                async with self:
                    self._ask_about(request, stale)
                return
        async with self:
            if self.running:
                return
            editor = await self.get_state(EditorState)
            editor.error_line = 0
            self._start(request.describe())
            run_number = self._runs
            open_node = editor.current_node
        events: collections.deque = collections.deque()
        job = asyncio.create_task(self._job(_run, request, events.append, open_node))
        wait = FIRST_PROGRESS_S
        while not job.done():
            await asyncio.wait({job}, timeout=wait)  # wakes at once when the job ends
            wait = STREAM_EVERY_S
            if events and not job.done():
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
            editor.error_line = self._finish(result, editor.path)
            if result.preview is not None:  # dbt show's rows, or those the run read: in the same update
                self._take_rows(result.preview, result.preview_of or request.select or "dbt show", run_number)
            open_node = editor.current_node
            if request.command in BUILDING_COMMANDS:
                await self._mark_verdict_stale()
        async with self:  # the lineage tab after the outcome and rows: the learner waits for those
            self._relayout(open_node)

    async def _mark_verdict_stale(self) -> None:
        """A run after a Check may have changed what its verdict describes: it says so, once per
        run (never per keystroke, which would load the check's state with every edit)."""
        from decode_data.states.check import CheckState  # it imports this module

        checker = await self.get_state(CheckState)
        if checker.checked_step:
            checker.verdict_stale = True

    def _ask_about(self, request: DbtRequest, stale: list[tuple[str, bool]]) -> None:
        said = [f"{name} was never built" if never else f"{name} changed since it was built" for name, never in stale]
        self.stale = "; ".join(said) + f": run {'it' if len(stale) == 1 else 'them'} too?"
        self.pending = request.describe()
        self.pending_with_parents = DbtRequest(
            command=request.command,
            select=" ".join([*(name for name, _ in stale), request.select or ""]).strip(),
            extra=list(request.extra),
        ).describe()

    @rx.event
    def dismiss_stale(self):
        self.stale, self.pending, self.pending_with_parents = "", "", ""

    def _start(self, command: str) -> None:
        self._runs += 1  # rows read for an earlier run never replace this one's
        self.running, self.command, self.outcome, self.outcome_message = True, command, "", ""
        self.rows_current = False
        self.logs, self.nodes, self.errors, self.done_count, self._statuses = [], [], [], 0, {}
        self.warnings = []

    def _forget_runs(self) -> None:
        """After a reset: no rows, logs or statuses of a warehouse that is gone."""
        self.rows, self.columns, self.logs, self.nodes, self.errors, self.warnings = [], [], [], [], [], []
        self.outcome, self.outcome_message, self.preview_of, self._statuses = "", "", "", {}
        self.warehouse_damaged = False

    def _stopped(self, exc: Exception) -> None:
        """The job never returned a result (signed out, engine down): unlock the buttons."""
        self.running, self.outcome = False, "error"
        if isinstance(exc, NotSignedIn):
            self.outcome_message = "Your session ended: sign in again to run dbt."
        elif reason := outage_reason(exc):
            self.outcome_message = f"{self.command} could not run: {reason}. Please try again in a moment."
        else:
            self.outcome_message = f"{self.command} could not run. Your files are saved; please try again."

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
        self.warehouse_damaged = warehouse_damaged(result)
        for node in result.nodes:
            self._statuses[node.unique_id] = node.status
        self.nodes = [
            NodeRow(
                id=n.unique_id, name=n.name, kind=n.resource_type, status=n.status, seconds=f"{n.execution_time:.2f}s"
            )
            for n in result.nodes
        ] or [_stopped(n) for n in self.nodes]  # a job stopped at its time limit: nothing is still running
        self._statuses.update({n.id: n.status for n in self.nodes if n.status == "stopped"})
        self.done_count = len(self.nodes)
        if result.logs and not self.logs:
            self.logs = result.logs[-MAX_LOG_LINES:]
        self.errors = [ErrorItem(message=e.message, path=e.path or "", line=e.line) for e in result.errors]
        self.errors += [
            ErrorItem(message=n.error.message, path=n.error.path or "", line=n.error.line)
            for n in result.nodes
            if n.error and n.status in FAILED and all(n.error.message != e.message for e in self.errors)
        ]
        self.warnings = [ErrorItem(message=w.message, path=w.path or "", line=w.line) for w in result.warnings]
        self.outcome_message = _summary(result, self.command)
        self._take_graph(result)
        mine = next((e for e in self.errors if e.path and e.path == open_path and e.line), None)
        return mine.line if mine else 0

    def _take_rows(self, preview, of: str, run_number: int) -> None:
        """The grid's rows, unless a later command started meanwhile (its rows will come)."""
        if run_number != self._runs:
            return
        self.columns = [str(c) for c in preview.columns]
        self.rows = grid_rows(preview.rows)
        self.total_rows, self.page, self.preview_of = preview.total_rows, 0, of
        self.rows_current = True

    @rx.event
    async def go_to_error(self, path: str, line: int):
        editor = await self.get_state(EditorState)
        await editor.open_at(path, line)
        self._relayout(editor.current_node)


def _run(session, user, lesson, request: DbtRequest, on_event, open_node: str) -> JobResult:
    """The command in one job; it also reads the rows the page shows after it (a failing test's,
    else the open file's model when built, else the last built: engine/run_preview.py)."""
    try:
        count_job(session, user)
    except RateLimited as exc:  # shown like any refused command
        return JobResult(status="rejected", command=request.command, errors=[LearnerError(message=exc.message)])
    return run_request(session, user, lesson, request, on_event, preview_rows=True, open_node=open_node or None)


def _reset_warehouse(session, user, lesson) -> None:
    reset_warehouse(user, lesson)


def _stale_parents(session, user, lesson, select: str | None, lineage: dict) -> list[tuple[str, bool]]:
    chosen = selected_nodes(select, lineage)
    if chosen is None:  # a selector only dbt can resolve: no guess
        return []
    return stale_parents(workspace_paths(user.warehouse_key, lesson.id), lineage, chosen)


def _summary(result: JobResult, line: str = "") -> str:
    """One status line that starts with the command as it ran (`line`, else `dbt <command>`)."""
    ran = line or f"dbt {result.command}"
    counts = collections.Counter(n.status for n in result.nodes)
    parts = [f"{count} {status}" for status, count in sorted(counts.items())]
    took = f" in {result.elapsed_s:.1f}s" if result.elapsed_s else ""
    if result.status == "success":
        return f"{ran} finished{took}: " + (", ".join(parts) or "nothing to do")
    if result.status == "timeout":
        return f"{ran} took too long and was stopped{took}."
    if result.status == "rejected":
        return result.errors[0].message if result.errors else "This command cannot run."
    if result.status == "error" and not result.nodes:
        return result.errors[0].message if result.errors else "The run could not start; please try again."
    return f"{ran} failed{took}: " + ", ".join(parts)
