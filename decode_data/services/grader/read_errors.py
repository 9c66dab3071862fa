"""Point a read-time database error (a view that fails when queried) at the learner's line.

DuckDB's conversion errors name the value and the type ("Could not convert string 'n/a' to
INT32"), not a line: the line is the one of the model file that casts or parses to that type.
"""

from __future__ import annotations

import re
from pathlib import Path

_TYPE_RE = re.compile(r"\bto (\w+)", re.IGNORECASE)
_VALUE_RE = re.compile(r"'([^']{1,80})'")
_TYPE_WORDS = {
    "int": ("int", "integer", "bigint"),
    "date": ("date", "strptime"),
    "timestamp": ("timestamp", "strptime"),
    "decimal": ("decimal", "numeric"),
    "double": ("double", "float", "real"),
    "bool": ("bool",),
}


def _source(build, path: str | None) -> str:
    if not path:
        return ""
    try:
        return (Path(build.paths["project"]) / path).read_text(encoding="utf-8")
    except (OSError, KeyError):
        return ""


def error_line(build, path: str | None, error: str) -> int:
    """The 1-based line that most likely raised `error` when the relation was read, or 0."""
    lines = _source(build, path).splitlines()
    wanted = _TYPE_RE.search(error)
    words = ()
    if wanted:
        name = wanted.group(1).lower()
        words = next((w for k, w in _TYPE_WORDS.items() if name.startswith(k)), (name,))
    for number, line in enumerate(lines, 1):
        low = line.lower()
        if ("cast" in low or "::" in low or "strptime" in low) and any(w in low for w in words):
            return number
    value = _VALUE_RE.search(error)
    if value:
        for number, line in enumerate(lines, 1):
            if value.group(1) in line:
                return number
    return 0
