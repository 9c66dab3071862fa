"""Rate limits kept in the app database, so every backend process counts against the same number.

Fixed windows: the first hit of a key starts a window; once it has `limit` hits, further hits
are refused with RateLimited until the window ends. Counting is one INSERT .. ON CONFLICT
statement, so concurrent hits on several workers are all counted; whenever a key starts a new
window, counters whose windows are long over are deleted. The limits themselves are
settings (DECODE_DATA_SIGNUPS_PER_HOUR, DECODE_DATA_API_WRITES_PER_MINUTE,
DECODE_DATA_JOBS_PER_10_MINUTES); a refused hit changes nothing else.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from decode_data.models import RateCounter, User, utcnow
from decode_data.settings import get_settings

SIGNUP_WINDOW = timedelta(hours=1)
API_WRITE_WINDOW = timedelta(minutes=1)
JOB_WINDOW = timedelta(minutes=10)


class RateLimited(ValueError):
    """Too many of one action: `message` is for the person, `retry_after_s` for an HTTP Retry-After."""

    field = None  # a form shows it above the form, not under a field

    def __init__(self, what: str, retry_at: datetime, now: datetime):
        self.retry_after_s = max(1, math.ceil((retry_at - now).total_seconds()))
        minutes = math.ceil(self.retry_after_s / 60)
        wait = f"{minutes} minute{'s' * (minutes != 1)}" if self.retry_after_s > 60 else "a minute"
        self.message = f"{what}: try again in {wait}."
        self.retry_at = retry_at
        super().__init__(self.message)


def hit(session: Session, key: str, limit: int, window: timedelta, what: str, now: datetime | None = None) -> None:
    """Count one hit of `key`, or raise RateLimited (saying `what`) when the window already holds `limit`. Commits."""
    now = now or utcnow()
    insert = {"sqlite": sqlite_insert, "postgresql": pg_insert}[session.get_bind().dialect.name]
    statement = insert(RateCounter).values(key=key[:200], hits=1, window_start=now)
    in_window = RateCounter.window_start > now - window
    statement = statement.on_conflict_do_update(
        index_elements=[RateCounter.key],
        set_={
            "hits": case((in_window, RateCounter.hits + 1), else_=1),
            "window_start": case((in_window, RateCounter.window_start), else_=statement.excluded.window_start),
        },
    )
    session.exec(statement)
    session.commit()
    row = session.get(RateCounter, key[:200], populate_existing=True)
    if row is not None and row.hits == 1:  # a new window: a good moment to drop stale counters
        prune_counters(session, now)
    if row is not None and row.hits > limit:
        raise RateLimited(what, row.window_start + window, now)


def count_signup(session: Session, client: str | None, now: datetime | None = None) -> None:
    """One new account from `client` (no limit when the address is unknown, e.g. the CLI)."""
    if client:
        limit = get_settings().signups_per_hour
        hit(session, f"signup|{client}", limit, SIGNUP_WINDOW, "Too many sign-ups from your network", now)


def count_api_write(session: Session, user: User, now: datetime | None = None) -> None:
    limit = get_settings().api_writes_per_minute
    hit(session, f"api-write|user:{user.id}", limit, API_WRITE_WINDOW, "Too many API writes", now)


def count_job(session: Session, user: User, now: datetime | None = None) -> None:
    """One dbt run or check a learner asked for (from the UI or the API)."""
    limit = get_settings().jobs_per_10_minutes
    hit(session, f"job|user:{user.id}", limit, JOB_WINDOW, "Too many dbt runs and checks in a short time", now)


def prune_counters(session: Session, now: datetime | None = None) -> int:
    """Delete counters whose window is over by the longest window. Commits."""
    now = now or utcnow()
    longest = max(SIGNUP_WINDOW, API_WRITE_WINDOW, JOB_WINDOW)
    result = session.exec(delete(RateCounter).where(RateCounter.window_start <= now - longest))
    session.commit()
    return result.rowcount
