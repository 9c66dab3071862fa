"""Compare a learner's relation with the reference, one stage at a time.

A puzzle site says "wrong". We say what is wrong first, in the order a learner can fix it:
columns (named, case- and order-insensitive) -> row count -> values as a multiset, with the
rows that are missing and the rows that should not be there. Floats are compared after
rounding, so `0.1 + 0.2` equals `0.3`; NULLs equal NULLs, as a learner expects.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

DIFF_ROWS_SHOWN = 20


@dataclass
class Table:
    columns: list[str]
    rows: list[list]


@dataclass
class RowDiff:
    columns: list[str]
    missing: list[list] = field(default_factory=list)  # in the reference, not in the learner's
    extra: list[list] = field(default_factory=list)  # in the learner's, not in the reference
    missing_total: int = 0
    extra_total: int = 0


@dataclass
class Mismatch:
    stage: str  # columns | row_count | values | order
    message: str
    missing_columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    expected_rows: int = 0
    actual_rows: int = 0
    diff: RowDiff | None = None


def normalize(value, decimals: int):
    """A hashable, tolerance-aware form of one value."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        number = round(float(value), decimals)
        return 0.0 if number == 0 else number
    return str(value)


def _key(row, decimals: int) -> tuple:
    return tuple(normalize(v, decimals) for v in row)


def _reorder(actual: Table, expected_columns: list[str]) -> list[list]:
    index = {c.lower(): i for i, c in enumerate(actual.columns)}
    order = [index[c.lower()] for c in expected_columns]
    return [[row[i] for i in order] for row in actual.rows]


def _column_mismatch(expected: Table, actual: Table) -> Mismatch | None:
    want = {c.lower(): c for c in expected.columns}
    have = {c.lower(): c for c in actual.columns}
    missing = [want[c] for c in want if c not in have]
    extra = [have[c] for c in have if c not in want]
    if not missing and not extra:
        return None
    parts = []
    if missing:
        parts.append("missing column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing))
    if extra:
        parts.append("unexpected column" + ("s " if len(extra) > 1 else " ") + ", ".join(extra))
    return Mismatch(
        stage="columns",
        message="The columns are not right: " + "; ".join(parts) + ".",
        missing_columns=missing,
        extra_columns=extra,
    )


def row_diff(columns: list[str], expected_rows: list[list], actual_rows: list[list], decimals: int) -> RowDiff:
    want = Counter(_key(r, decimals) for r in expected_rows)
    have = Counter(_key(r, decimals) for r in actual_rows)
    missing = list((want - have).elements())
    extra = list((have - want).elements())
    return RowDiff(
        columns=columns,
        missing=[list(r) for r in missing[:DIFF_ROWS_SHOWN]],
        extra=[list(r) for r in extra[:DIFF_ROWS_SHOWN]],
        missing_total=len(missing),
        extra_total=len(extra),
    )


def compare_tables(expected: Table, actual: Table, *, ordered: bool = False, decimals: int = 6) -> Mismatch | None:
    """None when the learner's table matches; otherwise the first thing that is wrong."""
    columns = _column_mismatch(expected, actual)
    if columns:
        return columns
    rows = _reorder(actual, expected.columns)
    diff = row_diff(expected.columns, expected.rows, rows, decimals)
    if len(rows) != len(expected.rows):
        return Mismatch(
            stage="row_count",
            expected_rows=len(expected.rows),
            actual_rows=len(rows),
            diff=diff,
            message=f"Expected {len(expected.rows)} rows but your model returns {len(rows)}.",
        )
    if diff.missing_total or diff.extra_total:
        return Mismatch(
            stage="values",
            expected_rows=len(expected.rows),
            actual_rows=len(rows),
            diff=diff,
            message=f"The row count is right, but {diff.missing_total} "
            f"row{'s' if diff.missing_total != 1 else ''} differ from the expected result.",
        )
    if ordered and [_key(r, decimals) for r in rows] != [_key(r, decimals) for r in expected.rows]:
        return Mismatch(
            stage="order",
            expected_rows=len(rows),
            actual_rows=len(rows),
            message="The rows are right, but not in the order this step asks for.",
        )
    return None
