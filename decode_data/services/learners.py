"""Finding and creating learner accounts by username.

Accounts created here have no password: the CLI uses them to seed demos, grade or debug a
learner's workspace. Signing up with a password is the auth service's job.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from decode_data.models import User

MAX_USERNAME_CHARS = 64


def _clean(username: str) -> str:
    name = (username or "").strip()
    if not name:
        raise ValueError("A username cannot be empty.")
    if len(name) > MAX_USERNAME_CHARS:
        raise ValueError(f"A username can have at most {MAX_USERNAME_CHARS} characters.")
    return name


def get_learner(session: Session, username: str) -> User | None:
    """The user with exactly this username, or None."""
    return session.exec(select(User).where(User.username == username.strip())).first()


def get_or_create_learner(session: Session, username: str) -> User:
    """The user with this username, created (without a password) if missing. Commits."""
    name = _clean(username)
    for _attempt in range(3):
        user = get_learner(session, name)
        if user is not None:
            return user
        user = User(username=name)
        session.add(user)
        try:
            session.commit()
        except IntegrityError:
            # Another request created the same name first (or, vanishingly rarely, drew the
            # same warehouse key): look again.
            session.rollback()
            continue
        session.refresh(user)
        return user
    raise RuntimeError(f"Could not create learner {name!r}; try again.")
