"""The one way states reach the signed-in learner: from the session cookie, checked every time.

Handlers never trust an id sent by the browser: the user comes from the session token, so a
learner can only ever touch their own workspace, progress and tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session

from decode_data.db import session_scope
from decode_data.models import User
from decode_data.services.auth import user_for_session
from decode_data.services.safe_next import safe_next

__all__ = ["NotSignedIn", "learner_session", "safe_next"]

logger = logging.getLogger(__name__)


class NotSignedIn(PermissionError):
    """The cookie is missing, expired or signed out: the app sends the browser to sign in."""


@contextmanager
def learner_session(token: str) -> Iterator[tuple[Session, User]]:
    """(database session, signed-in user); raises NotSignedIn. Commits on success."""
    with session_scope() as session:
        user = user_for_session(session, token) if token else None
        if user is None:
            raise NotSignedIn("Please sign in again.")
        yield session, user
