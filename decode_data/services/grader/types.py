"""Right values, wrong type: a date kept as text, a number as VARCHAR, a timestamp for a date.

Values cross to the grader as JSON, where '2024-03-01' the text and 2024-03-01 the date look
the same; the relation's column types tell them apart. Types are compared by family (any
integer width, any decimal precision and floats are all numbers), so only a difference a
learner would meet downstream (sorting, date arithmetic, sums) fails a step.

One difference inside the numbers counts too: a double (approximate) where the reference keeps
an exact decimal, the money mistake. Only when the reference casts that column to decimal on
purpose: a decimal that falls out of arithmetic (`x * 0.5`) is as loose as the double `x / 2`.
"""

from __future__ import annotations

from collections.abc import Callable

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


_APPROXIMATE = ("double", "float", "real")


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


def is_decimal(database_type: str | None) -> bool:
    return (database_type or "").lower().startswith(("decimal", "numeric"))


def approximate_where_exact(
    expected: dict[str, str], actual: dict[str, str], columns: list[str], reference_sql: Callable[[], str]
) -> str | None:
    """A sentence naming the first column that is a double or float where the reference casts
    it to decimal, or None. `reference_sql` is read only when such a column exists."""
    candidates = [
        c for c in columns if is_decimal(expected.get(c)) and (actual.get(c) or "").lower().startswith(_APPROXIMATE)
    ]
    sql = reference_sql() if candidates else ""
    for column in (c for c in candidates if casts_to_decimal(sql, c)):
        want, have = expected[column].lower(), actual[column].lower()
        return (
            f"{column} is a {have}, expected {want}: the values are right here, but a {have} holds "
            f"only an approximation (sums drift, equality fails), a decimal holds them exactly: "
            f"cast(... as {want})."
        )
    return None


def casts_to_decimal(sql: str, column: str) -> bool:
    """The reference casts this column to decimal on purpose: an expression named `column` in
    its SQL holds cast(... as decimal(...)) or ::decimal. A decimal that only falls out of
    arithmetic (`x * 0.5`) is not asked for, and SQL that does not parse asks for nothing."""
    import sqlglot  # only on this rare path: the grader starts without it
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return False
    return any(
        alias.alias.lower() == column.lower() and any(c.to.is_type("decimal") for c in alias.this.find_all(exp.Cast))
        for alias in tree.find_all(exp.Alias)
    )
