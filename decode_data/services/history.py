"""Run history: log each dbt run, query and check, and read it back for the progress page.

runs, warehouse and checking call record() after every job; the progress page calls recent()
for its list and activity_by_day() for its chart. Readers return plain values, never live rows.
Days are calendar days in UTC and are grouped in Python over one small indexed range scan, so
the same code is exact on SQLite (naive UTC) and PostgreSQL (timestamptz in any session zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from decode_data.models import RUN_KINDS, RunRecord, User, utcnow

_KIND_COLUMNS = {"run": "runs", "query": "queries", "check": "checks"}


@dataclass(frozen=True)
class RunEntry:
    """One logged run, query or check, as the progress page lists it."""

    id: int
    lesson_id: str
    kind: str
    command: str
    status: str
    elapsed_s: float
    created_at: datetime


def _user_id(user: User) -> int:
    if user.id is None:
        raise ValueError(f"User '{user.username}' is not saved yet: run history needs a user id.")
    return user.id


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return utcnow()
    if moment.tzinfo is None:
        raise ValueError("naive datetime: use an aware UTC datetime (decode_data.models.utcnow)")
    return moment.astimezone(UTC)


def _entry(row: RunRecord) -> RunEntry:
    return RunEntry(
        id=row.id,
        lesson_id=row.lesson_id,
        kind=row.kind,
        command=row.command,
        status=row.status,
        elapsed_s=row.elapsed_s,
        created_at=row.created_at,
    )


def record(
    session: Session,
    user: User,
    lesson_id: str,
    kind: str,
    command: str,
    status: str,
    elapsed_s: float,
    *,
    at: datetime | None = None,
) -> RunEntry:
    """Log one run ("run"), query ("query") or check ("check"); ``at`` defaults to now."""
    if kind not in RUN_KINDS:
        raise ValueError(f"Unknown run kind {kind!r} (expected one of {', '.join(RUN_KINDS)}).")
    row = RunRecord(
        user_id=_user_id(user),
        lesson_id=lesson_id,
        kind=kind,
        command=command,
        status=status,
        elapsed_s=float(elapsed_s or 0.0),
        created_at=_utc(at),
    )
    try:
        session.add(row)
        session.commit()
        session.refresh(row)
    except BaseException:
        session.rollback()
        raise
    return _entry(row)


def recent(session: Session, user: User, lesson_id: str | None = None, limit: int = 20) -> list[RunEntry]:
    """The learner's latest runs, queries and checks, newest first (all lessons when None)."""
    query = select(RunRecord).where(RunRecord.user_id == _user_id(user))
    if lesson_id is not None:
        query = query.where(RunRecord.lesson_id == lesson_id)
    query = query.order_by(RunRecord.created_at.desc(), RunRecord.id.desc()).limit(limit)
    return [_entry(row) for row in session.exec(query).all()]


def activity_by_day(
    session: Session, user: User, days: int = 14, now: datetime | None = None, lesson_id: str | None = None
) -> list[dict]:
    """Counts per UTC calendar day for the last ``days`` days up to today, oldest first.

    Every day is there, quiet ones with zeros, so a chart has no gaps:
    {"day": "2026-11-26", "runs": 3, "queries": 5, "checks": 2, "passed_checks": 1}.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, not {days}.")
    today = _utc(now).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
    by_day = {
        (first + timedelta(days=i)).isoformat(): {"runs": 0, "queries": 0, "checks": 0, "passed_checks": 0}
        for i in range(days)
    }
    query = select(RunRecord.created_at, RunRecord.kind, RunRecord.status).where(
        RunRecord.user_id == _user_id(user), RunRecord.created_at >= start, RunRecord.created_at < end
    )
    if lesson_id is not None:
        query = query.where(RunRecord.lesson_id == lesson_id)
    for created_at, kind, status in session.exec(query).all():
        counts = by_day[created_at.astimezone(UTC).date().isoformat()]
        if kind in _KIND_COLUMNS:
            counts[_KIND_COLUMNS[kind]] += 1
        if kind == "check" and status == "passed":
            counts["passed_checks"] += 1
    return [{"day": day, **counts} for day, counts in by_day.items()]


def prune(session: Session, older_than_days: int, now: datetime | None = None) -> int:
    """Delete every learner's history older than the given age; returns how many rows went."""
    cutoff = _utc(now) - timedelta(days=older_than_days)
    try:
        deleted = session.execute(delete(RunRecord).where(RunRecord.created_at < cutoff)).rowcount
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return deleted
