"""The learner's DuckDB file, opened while dbt parses the project.

Opening a DuckDB file costs ~15 ms (the database starts), and dbt opens it only once it has
parsed the project. A job opens it in a thread right after confinement, with the options
dbt-duckdb asks for; DuckDB hands dbt that same database when it connects (one database per
file in a process), and the early connection is closed right then (dbt_tuning), so from
there on dbt holds the file exactly as before. DuckDB opens a file without holding Python's
lock, so the two overlap.

Only an existing local warehouse is opened early: a job that never connects (a project that
does not parse) must not leave a new, empty warehouse behind.
"""

from __future__ import annotations

import threading
from pathlib import Path

from decode_data.services.engine.lockdown import CONNECT_CONFIG

_pending: list[_EarlyOpen] = []


class _EarlyOpen:
    def __init__(self, path: str):
        self.path = path
        self.conn = None
        self.thread = threading.Thread(target=self._open, name="early-open", daemon=True)
        self.thread.start()

    def _open(self) -> None:
        import duckdb

        try:
            self.conn = duckdb.connect(self.path, read_only=False, config=dict(CONNECT_CONFIG))
        except duckdb.Error:  # dbt opens it itself and reports what is wrong
            self.conn = None

    def close(self) -> None:
        self.thread.join()
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def start(warehouse: Path) -> None:
    """Begin opening the job's warehouse (as the confined job sees it), if it exists."""
    discard()
    if warehouse.is_file():
        _pending.append(_EarlyOpen(str(warehouse)))


def take(path: str) -> _EarlyOpen | None:
    """The early connection to `path`, once it is open (dbt is about to connect to it); any
    early connection to another file is closed."""
    if not _pending:
        return None
    early = _pending.pop()
    early.thread.join()
    if early.path != path:
        early.close()
        return None
    return early


def discard() -> None:
    """Close an early connection dbt never asked for (the job ended before connecting)."""
    while _pending:
        _pending.pop().close()
