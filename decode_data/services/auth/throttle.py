"""Slowing down password guessing: 5 failures within 15 minutes lock a key for 15 minutes.

The key is the account when the login names one (so switching between username and email does
not buy more guesses), else the typed login, lower-cased; plus the client address when the caller
knows it. With an address, a guesser cannot lock a learner out from elsewhere, at the price of
5 guesses per address. So that rotating addresses does not buy unlimited guesses, the account
alone (no address) is counted too: 20 failures within 15 minutes from any addresses lock it for
everyone for 15 minutes. The address comes from services/client_address.py, which believes
X-Forwarded-For only as far as DECODE_DATA_TRUSTED_PROXIES says. Counting is one
INSERT .. ON CONFLICT statement, so concurrent failures on several workers are all counted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from decode_data.models import LoginAttempt, User
from decode_data.services.auth.errors import AccountLocked

MAX_FAILURES = 5  # per account and client address
MAX_ACCOUNT_FAILURES = 20  # per account, from any addresses
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)


def throttle_key(login: str, user: User | None, client: str | None = None) -> str:
    base = f"user:{user.id}" if user is not None else f"login:{login.strip().lower()}"
    return f"{base}|{client.strip()[:64]}" if client else base


def check_not_locked(session: Session, key: str, now: datetime) -> None:
    """Raise AccountLocked while the key is locked."""
    row = session.get(LoginAttempt, key, populate_existing=True)
    if row is not None and row.locked_until is not None and row.locked_until > now:
        raise AccountLocked(row.locked_until, now)


def record_failure(session: Session, key: str, now: datetime, max_failures: int = MAX_FAILURES) -> datetime | None:
    """Count one failure (a new window if the last began too long ago); the lock end, if now locked."""
    insert = {"sqlite": sqlite_insert, "postgresql": pg_insert}[session.get_bind().dialect.name]
    statement = insert(LoginAttempt).values(key=key, failures=1, first_failure_at=now, locked_until=None)
    in_window = LoginAttempt.first_failure_at > now - WINDOW
    statement = statement.on_conflict_do_update(
        index_elements=[LoginAttempt.key],
        set_={
            "failures": case((in_window, LoginAttempt.failures + 1), else_=1),
            "first_failure_at": case(
                (in_window, LoginAttempt.first_failure_at), else_=statement.excluded.first_failure_at
            ),
        },
    )
    session.exec(statement)
    row = session.get(LoginAttempt, key, populate_existing=True)
    if row.failures == 1:  # a new window: a good moment to drop rows whose window and lock are over
        session.exec(_stale_attempts(now))
    if row.failures >= max_failures:
        row.locked_until = now + LOCK
        session.add(row)
        session.flush()
        return row.locked_until
    return None


def clear_failures(session: Session, key: str) -> None:
    """A successful sign-in forgets earlier failures."""
    session.exec(delete(LoginAttempt).where(LoginAttempt.key == key))


def prune_attempts(session: Session, now: datetime) -> int:
    """Delete rows whose window and lock are both over (typos of unknown logins pile up). Commits."""
    result = session.exec(_stale_attempts(now))
    session.commit()
    return result.rowcount


def _stale_attempts(now: datetime):
    return delete(LoginAttempt).where(
        LoginAttempt.first_failure_at <= now - WINDOW,
        or_(LoginAttempt.locked_until.is_(None), LoginAttempt.locked_until <= now),
    )
