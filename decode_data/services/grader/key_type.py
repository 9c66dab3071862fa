"""A key column of the wrong type: customer_id as text where the reference has a number.

Rows are matched by their key, and the text '1' never equals the number 1, so without this every
row reads as "missing" and every row as "extra", which hides the one thing to fix. When the key's
values are the expected ones in the other type, the diagnosis says so and matches the rows by the
key's value, so any other difference still shows.
"""

from __future__ import annotations

import pandas as pd

from decode_data.services.grader.shapes import describe_value
from decode_data.services.grader.types import family

_CASTS = {"a number": "integer", "text": "varchar"}


def _is_null(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _number(value) -> float | None:
    """The number a key value stands for, whether it is stored as a number or as text."""
    if _is_null(value) or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _kind(values: pd.Series) -> str | None:
    """'number' or 'text' when every non-NULL value is of that kind, else None."""
    kinds = {"text" if isinstance(v, str) else "number" for v in values if not _is_null(v) and _number(v) is not None}
    others = [v for v in values if not _is_null(v) and _number(v) is None]
    return kinds.pop() if len(kinds) == 1 and not others else None


def key_type_shape(
    exp: pd.DataFrame, act: pd.DataFrame, key: list[str], types: tuple[dict, dict] | None, show_values: bool
) -> tuple[pd.DataFrame, str] | None:
    """(act with its key matched to the expected values, the sentence), or None when every key
    column already has the expected kind of value (or nothing would match anyway)."""
    for column in key:
        want_kind, have_kind = _kind(exp[column]), _kind(act[column])
        if not want_kind or not have_kind or want_kind == have_kind:
            continue
        expected_by_number = {_number(v): v for v in exp[column] if _number(v) is not None}
        matched = [v for v in act[column] if _number(v) in expected_by_number]
        if not matched:
            continue
        fixed = act.copy()
        fixed[column] = [expected_by_number.get(_number(v), v) for v in act[column]]
        return fixed, _sentence(column, want_kind, have_kind, matched[0], expected_by_number, types, show_values)
    return None


def _sentence(column, want_kind, have_kind, got, expected_by_number, types, show_values) -> str:
    want_type, have_type = (types[0].get(column), types[1].get(column)) if types else (None, None)
    want = f"{family(want_type)} ({want_type})" if want_type else ("a number" if want_kind == "number" else "text")
    have = f"{family(have_type)} ({have_type})" if have_type else ("a number" if have_kind == "number" else "text")
    target = want_type.lower() if want_type else _CASTS["a number" if want_kind == "number" else "text"]
    example = f" (expected {describe_value(expected_by_number[_number(got)])}, got {describe_value(got)})"
    return (
        f"{column} is {have} in your result where {want} is expected{example if show_values else ''}: it is "
        "the key that matches your rows to the expected ones, and with the wrong type no row matches. "
        f"Cast it: cast({column} as {target})."
    )
