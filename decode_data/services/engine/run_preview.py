"""The rows a Run shows, read at the end of the run's own job.

A Run used to make two jobs: the dbt run, then a capped query for the rows of the model the
learner is looking at (a second fork, sandbox and DuckDB open). The job process already holds
the warehouse and the lockdown, so it reads those rows itself, right after dbt lets go of the
file. Which rows: a failing test's own query (the rows it complains about) first, else the
open file's model when it was built, else the last node built.
"""

from __future__ import annotations

from pathlib import Path

from decode_data.services.engine.jobs import Job, JobResult, LearnerError

BUILT_BY = ("run", "build", "seed", "snapshot")
PREVIEWED_BY = BUILT_BY + ("test",)
SHOWABLE = ("model", "seed", "snapshot")
FAILED_TEST = ("fail", "warn")
# The preview query may take at most this long (and never more than the job has left): a slow
# view must not cost the learner the run's own result.
PREVIEW_MAX_S = 10.0


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def preview_target(job: Job, result: JobResult) -> tuple[str, str] | None:
    """(what the rows are of, the SQL that reads them), or None when a run shows no rows."""
    if not job.preview_rows or job.command not in PREVIEWED_BY or result.preview is not None:
        return None
    failing = next((n for n in result.nodes if n.resource_type == "test" and n.status in FAILED_TEST), None)
    if failing is not None:
        sql = result.compiled.get(failing.unique_id, "")
        return (f"rows failing {failing.name}", sql) if sql else None
    if not result.ok or job.command not in BUILT_BY:
        return None
    built = [n.name for n in result.nodes if n.resource_type in SHOWABLE and n.status == "success"]
    if not built:
        return None
    name = job.open_node if job.open_node in built else built[-1]
    return name, f"select * from {quote_identifier(name)}"


def add_preview(job: Job, result: JobResult, warehouse: Path, lockdown: dict, seconds_left: float) -> None:
    """Put the rows the page shows into `result` (in place). A failed read shows none, and says
    why among the run's warnings: the run itself went well, and an empty grid explains nothing."""
    target = preview_target(job, result)
    if target is None or seconds_left < 1.0:
        return
    from decode_data.services.engine.dbt_job import close_duckdb
    from decode_data.services.engine.query_job import run_query

    of, sql = target
    close_duckdb()  # dbt-duckdb still holds the file open read-write
    limits = {**lockdown, "max_execution_ms": int(min(PREVIEW_MAX_S, seconds_left - 0.5) * 1000)}
    rows = run_query(Job(job.learner_key, job.lesson_id, "query", sql=sql, row_cap=job.row_cap), warehouse, limits)
    if rows.ok and rows.preview is not None:
        result.preview, result.preview_of = rows.preview, of
    elif rows.errors:
        said = rows.errors[0].message
        result.warnings.append(LearnerError(message=f"The rows of {of} are not shown: {said}"))
