"""Name a server-side outage in plain words: the disk is full, or the app database is away.

A save or a run can fail for reasons that are not the learner's doing and that pass on their
own (an operator frees disk space, PostgreSQL comes back). Callers ask `outage_reason` whether
an exception is one of those: if so they keep the learner's edit, say what happened and try
again later; anything else is a bug and is raised as before.
"""

from __future__ import annotations

import errno

from sqlalchemy import exc as sa_exc

DISK_FULL = "the server's disk is full"
DATABASE_DOWN = "the app database can't be reached"
_DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
_SQLITE_FULL = ("database or disk is full", "disk i/o error")


def outage_reason(exc: BaseException) -> str | None:
    """DISK_FULL, DATABASE_DOWN, or None when `exc` is not a passing outage."""
    seen = set()
    while exc is not None and id(exc) not in seen:  # the cause chain: a wrapped OSError counts too
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
            return DISK_FULL
        if isinstance(exc, sa_exc.DBAPIError):
            text = str(exc.orig).lower()
            if any(marker in text for marker in _SQLITE_FULL):
                return DISK_FULL
            if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError) or exc.connection_invalidated:
                return DATABASE_DOWN
        if isinstance(exc, sa_exc.TimeoutError):  # the connection pool waited in vain
            return DATABASE_DOWN
        exc = exc.__cause__ or exc.__context__
    return None


def couldnt_save(reason: str) -> str:
    """What the editor says while it keeps an edit it could not store yet."""
    return f"Couldn't save: {reason}. Your edit is kept here; we'll retry."
