"""Read-only access to a learner's warehouse: the query page and result previews.

Queries run in a confined job process like dbt does (same DuckDB lockdown, read-only
connection), with a row cap that still reports the total count and a shorter timeout.
"""

from __future__ import annotations

from sqlmodel import Session

from decode_data.models import User
from decode_data.services import history, progress
from decode_data.services.engine import Job, JobResult
from decode_data.services.lessons import Lesson
from decode_data.services.runs import submit
from decode_data.settings import get_settings


def query(session: Session, user: User, lesson: Lesson, sql: str, row_cap: int | None = None) -> JobResult:
    settings = get_settings()
    job = Job(
        learner_key=user.warehouse_key,
        lesson_id=lesson.id,
        command="query",
        sql=sql,
        row_cap=min(row_cap or settings.query_row_cap, settings.query_row_cap),
    )
    result = submit(session, user, lesson, job, timeout_s=settings.query_timeout_s)
    if result.status != "rejected":
        progress.record_query(session, user, lesson)
        history.record(session, user, lesson.id, "query", "query", result.status, result.elapsed_s)
    return result


def list_tables(session: Session, user: User, lesson: Lesson) -> list[dict]:
    """Tables and views with their columns: [{schema, name, type, columns: [{name, type}]}]."""
    job = Job(learner_key=user.warehouse_key, lesson_id=lesson.id, command="tables")
    return submit(session, user, lesson, job, timeout_s=get_settings().query_timeout_s).tables
