"""Run a dbt command for a learner: the one entry point the CLI and the UI share.

It makes sure the workspace exists, turns the request into a plain Job, and hands it to the
engine, which serialises the learner's jobs and confines each one.
"""

from __future__ import annotations

from sqlmodel import Session

from decode_data.models import User
from decode_data.services import history, progress, warehouse_quota
from decode_data.services.build_record import record_build
from decode_data.services.dbt_command import DbtRequest
from decode_data.services.engine import Job, JobResult, LearnerError, get_engine
from decode_data.services.engine.project_files import motherduck_database
from decode_data.services.lessons import Lesson
from decode_data.services.workspace import WorkspacePaths, ensure_workspace, workspace_paths
from decode_data.settings import get_settings

MOTHERDUCK_UNREACHABLE = (
    "MotherDuck is configured (MOTHERDUCK_TOKEN is set) but could not be "
    "reached from this server: {reason}. Check the network and the token, or "
    "unset MOTHERDUCK_TOKEN to use the local DuckDB warehouse."
)


WAREHOUSE_DAMAGED = (
    "Your warehouse file is damaged, so dbt cannot open it. Reset warehouse rebuilds it from "
    "your project: your files are kept; then run dbt build to fill it again."
)
# What DuckDB says when the file itself is broken (junk, cut short, a bad checksum or WAL).
_DAMAGE_MARKERS = (
    "not a valid duckdb database file",
    "corrupt database file",
    "does not match stored checksum",
    "could not read enough bytes",
    "failure while replaying wal",
)


def _paths(paths: WorkspacePaths) -> dict:
    return {"root": paths.root, "project": paths.project, "warehouse": paths.warehouse}


def _motherduck_db(user: User, lesson: Lesson) -> str | None:
    if not get_settings().motherduck_token:
        return None
    return motherduck_database(user.warehouse_key, lesson.id)


def explain_motherduck(result: JobResult) -> JobResult:
    """A connection failure to MotherDuck becomes one clear message instead of a DuckDB trace.
    An error in a learner's file is theirs, whatever it says (`select getenv('MOTHERDUCK_TOKEN')`
    fails because getenv does not exist, not because MotherDuck is down)."""
    for error in result.errors:
        text = error.message.lower()
        if error.path or error.node:
            continue
        if "motherduck" in text or "md:" in text:
            result.errors = [LearnerError(message=MOTHERDUCK_UNREACHABLE.format(reason=error.message.splitlines()[0]))]
            result.status = "error"
            break
    return result


def warehouse_damaged(result: JobResult) -> bool:
    """True when the job failed because the learner's DuckDB file is damaged."""
    return any(e.message == WAREHOUSE_DAMAGED for e in result.errors)


def explain_damaged_warehouse(result: JobResult) -> JobResult:
    """A damaged DuckDB file becomes one plain message with the way out, not an IO error that
    names a server path."""
    messages = [e.message for e in result.errors] + [n.error.message for n in result.nodes if n.error]
    if any(marker in m.lower() for m in messages for marker in _DAMAGE_MARKERS):
        result.status, result.nodes = "error", []
        result.errors = [LearnerError(message=WAREHOUSE_DAMAGED)]
        result.logs = [line for line in result.logs if "warehouse.duckdb" not in line]
    return result


def submit(
    session: Session, user: User, lesson: Lesson, job: Job, on_event=None, timeout_s: float | None = None
) -> JobResult:
    paths = ensure_workspace(session, user, lesson)
    md_db = _motherduck_db(user, lesson)
    if md_db:
        result = get_engine().submit(job, _paths(paths), on_event=on_event, timeout_s=timeout_s, motherduck_db=md_db)
        return explain_motherduck(result)
    refused = warehouse_quota.before_job(job, paths.warehouse)
    if refused is not None:
        return refused
    result = get_engine().submit(job, _paths(paths), on_event=on_event, timeout_s=timeout_s)
    return warehouse_quota.after_job(explain_damaged_warehouse(result), paths.warehouse)


def run_dbt(
    session: Session,
    user: User,
    lesson: Lesson,
    command: str,
    *,
    select: str | None = None,
    args: list[str] | tuple[str, ...] = (),
    sql: str | None = None,
    on_event=None,
    row_cap: int | None = None,
    preview_rows: bool = False,
    open_node: str | None = None,
) -> JobResult:
    """`dbt <command> [--select ...]` in the learner's workspace, streaming events to on_event.

    preview_rows: the same job also reads the rows the page shows after it (run_preview)."""
    job = Job(
        learner_key=user.warehouse_key,
        lesson_id=lesson.id,
        command=command,
        select=select,
        args=list(args),
        sql=sql,
        row_cap=row_cap or get_settings().query_row_cap,
        preview_rows=preview_rows,
        open_node=open_node,
    )
    result = submit(session, user, lesson, job, on_event=on_event)
    record_build(workspace_paths(user.warehouse_key, lesson.id), result)
    if result.status != "rejected":
        progress.record_run(session, user, lesson)
        history.record(session, user, lesson.id, "run", command, result.status, result.elapsed_s)
    return result


def run_request(
    session: Session,
    user: User,
    lesson: Lesson,
    request: DbtRequest,
    on_event=None,
    preview_rows: bool = False,
    open_node: str | None = None,
) -> JobResult:
    """A dbt command line as the command bar or the CLI read it (services/dbt_command)."""
    return run_dbt(
        session,
        user,
        lesson,
        request.command,
        select=request.select,
        args=request.extra,
        sql=request.sql,
        row_cap=request.limit,
        on_event=on_event,
        preview_rows=preview_rows,
        open_node=open_node,
    )


def inspect_project(session: Session, user: User, lesson: Lesson) -> JobResult:
    """`dbt compile` for the lineage graph and compiled SQL when a page opens: not a learner's run."""
    job = Job(learner_key=user.warehouse_key, lesson_id=lesson.id, command="compile")
    return submit(session, user, lesson, job)
