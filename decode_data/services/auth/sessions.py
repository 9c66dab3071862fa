"""Browser sessions kept in the app database, so any backend worker can check them and
signing out (here, or "everywhere") really ends them.

The browser holds a random token in a cookie; the table holds its SHA-256. A session lasts
SESSION_DAYS from sign-in (not extended by use: a stolen cookie does not live forever).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session, select

from decode_data.models import User, UserSession, utcnow
from decode_data.services.auth.tokens import hash_token, new_token
from decode_data.settings import get_settings

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is for people, not for a write per request
MAX_USER_AGENT_CHARS = 200


def start_session(session: Session, user: User, user_agent: str | None = None, *, now: datetime | None = None) -> str:
    """Sign `user` in: the raw token for the cookie (the only copy). Commits."""
    now = now or utcnow()
    token = new_token()
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=get_settings().session_days),
            user_agent=(user_agent or "").strip()[:MAX_USER_AGENT_CHARS] or None,
        )
    )
    user.last_seen_at = now
    session.add(user)
    session.exec(_ended_sessions(now))  # sign-ins keep the table to live sessions
    session.commit()
    return token


def _active(session: Session, token: str | None, now: datetime) -> UserSession | None:
    if not token:
        return None
    row = session.exec(select(UserSession).where(UserSession.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


def user_for_session(session: Session, token: str | None, *, now: datetime | None = None) -> User | None:
    """The signed-in user of a cookie's token; None if unknown, expired or signed out."""
    now = now or utcnow()
    row = _active(session, token, now)
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = user.last_seen_at = now
        session.add_all([row, user])
        session.commit()
    return user


def end_session(session: Session, token: str | None, *, now: datetime | None = None) -> None:
    """Sign out this browser. Unknown or already ended tokens are fine. Commits."""
    if token:
        session.exec(
            update(UserSession)
            .where(UserSession.token_hash == hash_token(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=now or utcnow())
        )
        session.commit()


def end_all_sessions(
    session: Session, user: User, *, keep_token: str | None = None, now: datetime | None = None
) -> int:
    """Sign `user` out everywhere (but the browser holding `keep_token`, if given). Commits."""
    statement = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep_token:
        statement = statement.where(UserSession.token_hash != hash_token(keep_token))
    count = session.exec(statement.values(revoked_at=now or utcnow())).rowcount
    session.commit()
    return count


def list_sessions(session: Session, user: User, *, now: datetime | None = None) -> list[UserSession]:
    """The user's live sessions, newest first (for a "where you are signed in" page)."""
    now = now or utcnow()
    return list(
        session.exec(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None), UserSession.expires_at > now)
            .order_by(UserSession.created_at.desc())
        )
    )


def prune_sessions(session: Session, *, now: datetime | None = None) -> int:
    """Delete ended sessions (expired or signed out); they can never be used again. Commits."""
    count = session.exec(_ended_sessions(now or utcnow())).rowcount
    session.commit()
    return count


def _ended_sessions(now: datetime):
    return delete(UserSession).where(or_(UserSession.expires_at <= now, UserSession.revoked_at.is_not(None)))
