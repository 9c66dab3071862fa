"""The one way states reach the signed-in learner: from the session cookie, checked every time.

Handlers never trust an id sent by the browser: the user comes from the session token, so a
learner can only ever touch their own workspace, progress and tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from sqlmodel import Session

from decode_data import routes
from decode_data.db import session_scope
from decode_data.models import User
from decode_data.services.auth import user_for_session

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


def safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ?next= link must not send a learner to another site.

    Browsers drop tabs and newlines inside a URL and read a backslash as a slash, so
    `/\t/other.host` is `//other.host` to them: such characters are refused outright, then the
    rest must parse as a path with no scheme and no host."""
    if not target or "\\" in target or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return routes.AFTER_SIGN_IN
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return routes.AFTER_SIGN_IN
    return target
