"""The learner's lock, for work on a workspace that is not a job: saves, resets, a grade's copy.

The engine holds this same lock (a file lock on <DECODE_DATA_DIR>/locks/<key>.lock, see
engine/pool.py LearnerLocks) for the whole of each job of the learner. Taking it here means a
run or a grade never sees a project halfway through a change: a macro written but the parse
cache not yet dropped, a folder being reset under a running dbt. A file lock, so it holds
across the backend processes and threads alike (each holder opens its own descriptor).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from decode_data.models import WAREHOUSE_KEY_RE
from decode_data.settings import get_settings


@contextmanager
def learner_lock(warehouse_key: str) -> Iterator[None]:
    """Wait for the learner's running job (if any), and keep the next one waiting meanwhile."""
    if not WAREHOUSE_KEY_RE.match(warehouse_key):
        raise ValueError(f"invalid warehouse key {warehouse_key!r}")
    lock_dir = get_settings().data_dir / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_dir / f"{warehouse_key}.lock", os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
