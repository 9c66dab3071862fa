"""Right values, wrong type: a date kept as text, a number as VARCHAR, a timestamp for a date.

Values cross to the grader as JSON, where '2024-03-01' the text and 2024-03-01 the date look
the same; the relation's column types tell them apart. Types are compared by family (any
integer width, any decimal precision and floats are all numbers), so only a difference a
learner would meet downstream (sorting, date arithmetic, sums) fails a step.
"""

from __future__ import annotations

_FAMILIES = (
    ("timestamp", "a timestamp"),
    ("date", "a date"),
    ("time", "a time"),
    ("interval", "an interval"),
    ("bool", "a boolean"),
    ("varchar", "text"),
    ("char", "text"),
    ("text", "text"),
    ("string", "text"),
    ("int", "a number"),
    ("decimal", "a number"),
    ("numeric", "a number"),
    ("double", "a number"),
    ("float", "a number"),
    ("real", "a number"),
)
_FIXES = {
    "a date": "cast(... as date)",
    "a timestamp": "cast(... as timestamp)",
    "a number": "cast(... as decimal(...))",
    "text": "cast(... as varchar)",
    "a boolean": "a comparison, or cast(... as boolean)",
}


def family(database_type: str) -> str:
    low = (database_type or "").lower()
    found = next((name for key, name in _FAMILIES if low.startswith(key)), None)
    return found or ("a number" if "int" in low else low)  # bigint, smallint, hugeint, uinteger ...


def type_mismatch(expected: dict[str, str], actual: dict[str, str], columns: list[str]) -> str | None:
    """A sentence naming the first column whose type family differs, or None."""
    for column in columns:
        want, have = expected.get(column), actual.get(column)
        if not want or not have or family(want) == family(have):
            continue
        fix = _FIXES.get(family(want), f"a cast to {want}")
        return (
            f"the values of {column} are right, but it is {family(have)} ({have}) where {family(want)} "
            f"({want}) is expected: {fix}."
        )
    return None
