"""The shapes of the classic mistakes, recognised from the data alone.

Each function looks at the rows or values that differ and returns (shape, sentence) when the
difference has a telling shape, or None. Sentences name the likely cause and the fix.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd


def describe_value(value) -> str:
    """A value as the learner would type it: 12 not 12.0, 'text' quoted, NULL spelled out."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NULL"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.12g}"  # 6830.775, never 6830.78
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 60 else f"'{value[:57]}...'"
    return str(value)


def _is_null(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _numbers(values: pd.Series) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values if not _is_null(v))


def _example(want, got) -> str:
    return f"expected {describe_value(want)}, got {describe_value(got)}"


def _all(pairs, test) -> bool:
    return bool(pairs) and all(test(w, g) for w, g in pairs)


def _round_half_up(value: float, places: int) -> float:
    """Round as SQL does (half away from zero), not as Python's banker's round()."""
    step = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


def _integer_like(want, got) -> bool:
    return (
        isinstance(want, float)
        and isinstance(got, float)
        and not want.is_integer()
        and got in (math.floor(want), math.trunc(want), _round_half_up(want, 0), float(round(want)))
    )


def _rounded(want, got) -> int | None:
    for places in (0, 1, 2, 3):
        if got in (_round_half_up(want, places), round(want, places)):  # SQL's rounding, or banker's
            return places
    return None


def _as_number(value):
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


_ZONED_RE = re.compile(r"[+-]\d\d(:\d\d)?")  # what a timestamptz adds to a timestamp's text


def _type_shape(column: str, pairs, rows: str, first: str) -> tuple[str, str] | None:
    """Right value, wrong type: text that holds the number, a timestamp where a date belongs."""
    if _all(
        pairs, lambda w, g: isinstance(w, (int, float)) and _as_number(g) is not None and math.isclose(_as_number(g), w)
    ):
        whole = _all(pairs, lambda w, g: float(w).is_integer() and "." not in g)  # an hour, a count
        return "type", (
            f"{column} is text in {rows} where a number is expected ({first}): cast it, "
            + ("e.g. cast(... as integer)." if whole else "e.g. cast(... as decimal(10, 2)).")
        )
    if _all(pairs, lambda w, g: _looks_like_date(w) and isinstance(g, str) and _ZONED_RE.fullmatch(g[len(w) :] or "-")):
        return "type", (
            f"{column} has a time zone in {rows} where a plain timestamp is expected ({first}): "
            "keep it a timestamp, without ::timestamptz or timezone(...)."
        )
    if _all(pairs, lambda w, g: _looks_like_date(w) and isinstance(g, str) and g != w and g.startswith(w)):
        return "type", (
            f"{column} is a timestamp in {rows} where a date is expected ({first}): "
            "cast(... as date) keeps only the day."
        )
    if _all(pairs, lambda w, g: _looks_like_date(g) and isinstance(w, str) and g != w and w.startswith(g)):
        return "type", (f"{column} is a date in {rows} where a timestamp is expected ({first}): keep the time of day.")
    return None


def column_shape(
    column: str,
    want: pd.Series,
    got: pd.Series,
    whole: pd.Series,
    got_whole: pd.Series,
    n: int,
    show_values: bool = True,
) -> tuple[str, str]:
    """Why one column's values differ in the rows matched by key (values only when visible).
    `whole` and `got_whole` are the column in every row, expected and the learner's."""
    pairs = list(zip(want, got, strict=False))
    first = _example(*pairs[0]) if show_values else "on the grader's other data set"
    rows = f"{n} row" + ("" if n == 1 else "s")
    typed = _type_shape(column, pairs, rows, first)
    if typed:
        return typed
    if _all(pairs, lambda w, g: _is_null(g) and not _is_null(w)):
        return "null", (
            f"{column} is NULL in {rows} where a value is expected ({first}): a value is "
            "missing there, e.g. from a left join; coalesce() turns it into a default."
        )
    if _all(pairs, lambda w, g: _is_null(w) and not _is_null(g)):
        return "not_null", f"{column} should be NULL in {rows}, but yours has a value ({first})."
    if _all(pairs, lambda w, g: isinstance(w, str) and isinstance(g, str) and w.lower() == g.lower()):
        return "case", (
            f"{column} differs only in upper/lower case in {rows} ({first}): lower() or upper() makes text consistent."
        )
    if _all(pairs, lambda w, g: isinstance(w, str) and isinstance(g, str) and w.strip() == g.strip()):
        return "whitespace", f"{column} has extra spaces in {rows} ({first}): trim() removes them."
    if _numbers(want) and _numbers(got) and not any(_is_null(v) for pair in pairs for v in pair):
        shape = _number_shape(column, pairs, rows, first, everywhere_zero=bool(got_whole.map(_is_zero).all()))
        if shape:
            return shape
    if _typed_in(whole, got_whole, n) and _is_zero(got.iloc[0]):
        return "never_matched", (
            f"{column} is 0 in every row of yours, while the expected values vary ({first}): what it "
            "adds up never matches. Is a condition never true (upper/lower case, a misspelt value)?"
        )
    if _typed_in(whole, got_whole, n):
        shown = describe_value(got.iloc[0]) if show_values else "one value"
        return "constant", (
            f"{column} is {shown} in every row of yours, while the expected values vary "
            f"({first}): is a value typed in instead of computed?"
        )
    return "values", f"{column} differs in {rows} ({first})."


def _typed_in(whole: pd.Series, got_whole: pd.Series, n: int) -> bool:
    """One value in every row of the learner's column where the expected one varies. The same
    value only in the rows that differ is no such sign: a filter that loses one input row
    changes every row it fed alike (each count one short), in a column that is computed."""
    return n >= 2 and got_whole.nunique(dropna=False) == 1 and whole.nunique(dropna=False) > 1


def _scale(pairs) -> int | None:
    """10, 100 or 1000 when every learner's value is the expected one that many times larger or
    smaller (within 1 %, since a rounded expected value moves the ratio a little)."""
    for factor in (100, 1000, 10):
        if _all(pairs, lambda w, g, f=factor: w != 0 and any(math.isclose(g, w * k, rel_tol=0.01) for k in (f, 1 / f))):
            return factor
    return None


def _number_shape(column: str, pairs, rows: str, first: str, everywhere_zero: bool) -> tuple[str, str] | None:
    factor = _scale(pairs)
    if factor == 100:
        return "scale", (
            f"{column} is off by a factor of 100 in {rows} ({first}): cents and whole units "
            "(euros, dollars)? Check the division or multiplication by 100."
        )
    if factor:
        return "scale", (
            f"{column} is off by a factor of {factor:,} in {rows} ({first}): a unit converted the wrong "
            f"way, or twice (Wh and kWh, grams and kilograms)? Check the multiplication or division by {factor:,}."
        )
    if not everywhere_zero and _all(pairs, lambda w, g: g == 0 and w != 0):  # else: never_matched
        return "zeroed", (
            f"{column} is 0 in {rows} where the expected value is not ({first}): is a value clamped or "
            "defaulted to 0 (greatest(..., 0), coalesce(..., 0), a case ... else 0) where it should be computed?"
        )
    if _all(pairs, _integer_like):
        return "integer_division", (
            f"{column} lost its decimals in {rows} ({first}): integer division "
            "or rounding too early? Divide by a decimal, then cast the result: "
            "cast(x / 100.0 as decimal(10, 2))."
        )
    places = {_rounded(w, g) for w, g in pairs}
    if None not in places:
        return "rounding", (f"{column} is rounded in {rows} ({first}): round only the final value, or not at all.")
    if _all(pairs, lambda w, g: math.isclose(g, -w)):
        return "sign", f"{column} has the wrong sign in {rows} ({first})."
    if len(pairs) >= 2 and _all(pairs, lambda w, g: g > w > 0):
        return "inflated", (
            f"{column} differs in {rows} ({first}), larger than expected in every one: is something "
            "counted twice? A join that matches more than one row (a fan-out) repeats rows before "
            "they are summed; a missing filter adds rows."
        )
    return None


def _is_zero(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not _is_null(value) and value == 0


def unmatched_shape(rows: pd.DataFrame, present: pd.DataFrame, kept: bool = False) -> tuple[str, str] | None:
    """Differing rows that are exactly the ones with nothing to join to: NULL in a column (a
    joined value), or 0 (a count or a coalesced sum), and no matched row has it. NULL and 0 are
    told apart: rows that mix them share no telling value. Missing rows were dropped by an inner
    join; extra rows (`kept`) were kept by a left join the step does not want."""
    for column in rows.columns:
        for empty, value in ((_is_null, "NULL"), (_is_zero, "0")):
            if rows[column].map(empty).all() and not present[column].map(empty).any():
                if kept and value == "NULL":
                    return "null_rows", (
                        f"They are exactly the rows whose {column} is NULL, and the expected result "
                        "leaves them out. Where does the NULL come from: a left join that found no "
                        "match, or lag() on the first row of each group? Filter those rows out."
                    )
                if kept:
                    return "left_join", (
                        f"They are exactly the rows whose {column} is 0: rows with nothing "
                        "matched in the table you joined, which a left join keeps. The expected "
                        "result leaves them out: an inner join, or a filter, drops them."
                    )
                return "inner_join", (
                    f"They are exactly the rows whose {column} would be {value}: rows with "
                    "no match in the table you joined. An inner join (or a filter) drops them; "
                    "a left join keeps them."
                )
    return None


def _candidates(rows: pd.DataFrame, whole: pd.DataFrame):
    """Columns where every differing row holds the same value, and no other row does."""
    for column in sorted(rows.columns, key=lambda c: whole[c].nunique(dropna=False)):
        values = rows[column]
        if values.map(_is_null).any() or values.nunique() != 1 or whole[column].is_unique:
            continue  # a key's value is every row's own: no evidence of a filter
        value = values.iloc[0]
        same = whole[column].map(lambda v, value=value: not _is_null(v) and v == value)
        if same.sum() == len(rows) and whole[column].nunique() > 1 and (len(rows) > 1 or whole[column].nunique() <= 5):
            yield column, value


def boundary_shape(
    rows: pd.DataFrame, whole: pd.DataFrame, side: str, show_values: bool = True
) -> tuple[str, str] | None:
    """The differing rows sit exactly on the lowest or highest value of an ordered column."""
    for column, value in _candidates(rows, whole):
        ordered = [v for v in whole[column] if not _is_null(v)]
        try:
            edge = value in (min(ordered), max(ordered))
        except TypeError:
            continue
        if edge and (_numbers(whole[column]) or _looks_like_date(value)):
            shown = f"{column} = {describe_value(value)}" if show_values else f"the same {column}"
            return "boundary", (
                f"All of them have {shown}, the edge of the "
                f"range: check `>` against `>=` (or `<` against `<=`) in your filter."
            )
    return None


def _looks_like_date(value) -> bool:
    return isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-"


def common_value(
    rows: pd.DataFrame, whole: pd.DataFrame, side: str, other: pd.DataFrame | None = None
) -> tuple[str, str] | None:
    """Two or more differing rows share one value that the other side never has, e.g. every
    extra row has status = 'returned' and no expected row does: a filter is off."""
    if len(rows) < 2:
        return None  # one row shares every value with itself: no evidence of a filter
    for column, value in _candidates(rows, whole):
        if _numbers(whole[column]) or _looks_like_date(value):
            continue  # an ordered column: boundary_shape's business
        if other is not None and column in other and (other[column] == value).any():
            continue
        if side == "extra":
            return "missing_filter", (
                f"All of them have {column} = {describe_value(value)}: is a filter on {column} missing?"
            )
        return "extra_filter", (
            f"All of them have {column} = {describe_value(value)}: does a filter or a join remove them?"
        )
    return None
