"""A JSON object kept in a file for other processes: read and written at best effort.

Reading a missing, unreadable or foreign file gives an empty object; writing goes through a
scratch file and a rename, so a reader never sees half a file, and a write that fails keeps
nothing (the next process builds what it needs again).
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def read(path: Path) -> dict:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def write(path: Path, data: dict) -> None:
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        text = json.dumps(data, sort_keys=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch.write_text(text, encoding="utf-8")
        os.replace(scratch, path)
    except (OSError, TypeError, ValueError):
        scratch.unlink(missing_ok=True)
