"""How the command line prints: plain tables, streamed dbt events and job summaries.

Kept apart from the argument handling so the shapes of the output are easy to find and change.
Everything writes text for a terminal or a pipe; machine-readable output is plain JSON.
"""

from __future__ import annotations

import json
import sys
import textwrap
from typing import TextIO

MAX_CELL_CHARS = 60
MAX_ERROR_LINES = 8  # DuckDB can list dozens of candidate functions under one error
EXIT_OK, EXIT_FAILED, EXIT_REJECTED = 0, 1, 2
_EXIT_BY_STATUS = {
    "success": EXIT_OK,
    "failed": EXIT_FAILED,
    "timeout": EXIT_FAILED,
    "error": EXIT_FAILED,
    "rejected": EXIT_REJECTED,
}


def exit_code(status: str) -> int:
    """0 success, 1 when dbt or the learner's SQL failed, 2 when the request was refused."""
    return _EXIT_BY_STATUS.get(status, EXIT_FAILED)


def out(text: str = "", stream: TextIO | None = None) -> None:
    """Print one line now: streamed output must not wait in a buffer behind a pipe."""
    stream = stream or sys.stdout
    stream.write(text + "\n")
    stream.flush()


def print_json(data) -> None:
    out(json.dumps(data, indent=2, default=str))


def cell(value) -> str:
    if value is None:
        return "null"
    text = str(value).replace("\n", " ")
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def table(headers: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    """A plain-text table; columns listed in ``numeric`` are right-aligned."""
    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if i in numeric else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths, strict=False))
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells])


def _numeric_columns(rows: list[list]) -> set[int]:
    columns = set()
    for i in range(len(rows[0]) if rows else 0):
        values = [r[i] for r in rows if r[i] is not None]
        if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            columns.add(i)
    return columns


def preview_text(preview) -> str:
    """Columns and rows of a query or `dbt show`, then how many rows there are."""
    if not preview.columns:
        return "(the statement returned no columns)"
    body = table(preview.columns, preview.rows, _numeric_columns(preview.rows))
    shown, total = len(preview.rows), preview.total_rows
    if total > shown:
        footer = f"showing {shown} of {total} rows"
    elif preview.truncated:
        footer = f"showing {shown} rows (the row limit was reached; there may be more)"
    else:
        footer = f"showing {shown} of {total} rows"
    return f"{body}\n{footer}"


class EventPrinter:
    """The on_event callback of a dbt job: prints each log line and node status as it arrives."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream

    def __call__(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "log":
            out(event.get("line", ""), self.stream)
        elif kind == "node":
            status = f"[{event.get('status', '?')}]"
            out(f"{status:<11} {event.get('resource_type', 'node')} {event.get('name', '')}", self.stream)


def error_text(error) -> str:
    """`path:line: message`, the form editors and terminals turn into a link."""
    where = error.path or ""
    if where and error.line:
        where = f"{where}:{error.line}"
    lines = (error.message or "error").splitlines() or ["error"]
    first = f"{where}: {lines[0].strip()}" if where else lines[0].strip()
    rest = [f"    {ln}" for ln in textwrap.dedent("\n".join(lines[1:])).splitlines() if ln.strip()]
    if len(rest) > MAX_ERROR_LINES:
        rest = rest[:MAX_ERROR_LINES] + [f"    ... ({len(rest) - MAX_ERROR_LINES} more lines in the log above)"]
    return "\n".join([first] + rest)


def summary_text(result, title: str) -> str:
    """What happened, once the job is over: per node status and time, errors, preview rows."""
    parts = [f"{title}: {result.status} in {result.elapsed_s:.2f} s"]
    if result.nodes:
        rows = [[n.status, n.resource_type, n.name, f"{n.execution_time:.2f}s", n.path or ""] for n in result.nodes]
        parts.append(table(["status", "type", "name", "time", "path"], rows, numeric={3}))
    if result.errors:
        parts.append("errors:")
        parts.extend(error_text(e) for e in result.errors)
    if result.warnings:
        parts.append("warnings:")
        parts.extend(error_text(w) for w in result.warnings)
    if result.preview is not None:
        parts.append(preview_text(result.preview))
    if result.logs_truncated:
        parts.append("(the dbt log was cut short: the job printed more than the log limit)")
    return "\n".join(parts)
