"""Keep a job's result small, whatever the learner's SQL produced.

Logs are capped as they stream; this caps the rest (error messages, preview cells, compiled
SQL, node messages) before the result crosses to the server, so one 50 MB string cannot
stall the server or the worker's pipe.
"""

from __future__ import annotations

from decode_data.services.engine.jobs import JobResult

MAX_MESSAGE_CHARS = 4_000
MAX_CELL_CHARS = 2_000
MAX_COMPILED_CHARS = 100_000
MAX_PREVIEW_CHARS = 2_000_000


def cut(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"... [cut: {len(text) - limit:,} more characters]"


def _cell(value):
    return cut(value, MAX_CELL_CHARS) if isinstance(value, str) else value


def shrink_result(result: JobResult) -> JobResult:
    for error in result.errors + [n.error for n in result.nodes if n.error]:
        error.message = cut(error.message, MAX_MESSAGE_CHARS)
    for node in result.nodes:
        node.message = cut(node.message, MAX_MESSAGE_CHARS)
    result.compiled = {uid: cut(code, MAX_COMPILED_CHARS) for uid, code in result.compiled.items()}
    if result.preview is not None:
        rows, budget = [], MAX_PREVIEW_CHARS
        for row in result.preview.rows:
            row = [_cell(v) for v in row]
            budget -= sum(len(v) if isinstance(v, str) else 8 for v in row)
            if budget < 0:
                result.preview.truncated = True
                break
            rows.append(row)
        result.preview.rows = rows
    return result
