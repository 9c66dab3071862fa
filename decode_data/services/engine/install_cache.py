"""What dbt builds from the installed packages alone, kept in the virtualenv for the next process.

A file per kind, named after the versions of everything that shapes what it holds: another
install (or an upgrade) reads none of it. Read and written at best effort (kept_json.py: a
read-only install keeps nothing). Only the worker writes, after its warm-up: jobs run confined
to their own folder and cannot.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from importlib import metadata
from pathlib import Path

SHAPED_BY = ("dbt-core", "dbt-common", "dbt-adapters", "dbt-duckdb", "mashumaro")


def cache_file(kind: str) -> Path:
    return Path(sys.prefix) / "var" / "decode_data" / f"dbt-{kind}-{install_key()}.json"


@functools.cache
def install_key() -> str:
    """The installed versions, read once per process (each lookup scans the package metadata)."""
    stamp = [sys.version] + [f"{name}=={metadata.version(name)}" for name in SHAPED_BY]
    return hashlib.sha256("\n".join(stamp).encode()).hexdigest()[:16]
