"""Say what is wrong with a relation, the way a teacher would, with the evidence.

"41 rows differ" is true and useless. Rows are matched by the model's key and each column is
compared on its own, so the learner reads "status is upper-case in 41 rows: expected
`completed`, got `COMPLETED`". The shapes of the classic mistakes (case, rounding or integer
division, NULLs, an inner join that drops unmatched rows, a join fan-out, a dropped filter, a
boundary slip, a typed-in constant) are recognised from the data alone, so the diagnosis works
for any lesson without the author writing anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations

import pandas as pd

from decode_data.services.grader.compare import Table, normalize
from decode_data.services.grader.key_type import key_type_shape
from decode_data.services.grader.shapes import (
    boundary_shape,
    column_shape,
    common_value,
    describe_value,
    unmatched_shape,
)

EXAMPLES = 3


@dataclass
class Diagnosis:
    sentences: list[str]
    key: list[str] = field(default_factory=list)
    examples: dict | None = None  # {columns, rows}: key, column, expected, got
    shapes: list[str] = field(default_factory=list)  # which classic mistakes were recognised

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def _frame(table: Table, columns: list[str], decimals: int) -> pd.DataFrame:
    index = {c.lower(): i for i, c in enumerate(table.columns)}
    rows = [[normalize(row[index[c.lower()]], decimals) for c in columns] for row in table.rows]
    return pd.DataFrame(rows, columns=[c.lower() for c in columns], dtype=object)


def find_key(expected: pd.DataFrame, hint: list[str] | None = None) -> list[str]:
    """The step's key, else the smallest set of columns that is unique and never NULL in the
    reference (id-like names first, so `customer_id` wins over `email`)."""
    if hint and all(h.lower() in expected.columns for h in hint):
        return [h.lower() for h in hint]
    if len(expected) < 2:
        return []
    columns = sorted(
        expected.columns, key=lambda c: (not c.endswith("id"), not c.endswith("_key"), list(expected.columns).index(c))
    )
    for size in (1, 2):
        for combo in combinations(columns, size):
            part = expected[list(combo)]
            if not part.isna().any().any() and not part.duplicated().any():
                return list(combo)
    return []


def _key_text(key: list[str], row) -> str:
    return ", ".join(f"{k} {describe_value(row[k])}" for k in key)


def _keys_listed(key: list[str], frame: pd.DataFrame, limit: int = 4) -> str:
    more = f" and {len(frame) - limit} more" if len(frame) > limit else ""
    if len(key) == 1:
        return f"{key[0]} " + ", ".join(describe_value(v) for v in frame[key[0]].head(limit)) + more
    return "; ".join(_key_text(key, row) for _, row in frame.head(limit).iterrows()) + more


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def diagnose(
    expected: Table,
    actual: Table,
    *,
    key: list[str] | None = None,
    decimals: int = 6,
    show_values: bool = True,
    types: tuple[dict[str, str], dict[str, str]] | None = None,
    ranges: Callable[[], bool] | None = None,
    snapshot: bool = False,
) -> Diagnosis:
    """Why `actual` is not `expected` (same columns already checked), in plain sentences.
    `types`: (expected, actual) database types by lower-case column, to name a wrong type.
    `ranges`: whether the learner's SQL compares with <, >, between (asked only when the rows
    look like a boundary slip: no `>` against `>=` advice for SQL that has no comparison).
    `snapshot`: the rows are a snapshot's versions, which its config makes, not a join."""
    columns = list(expected.columns)
    exp, act = _frame(expected, columns, decimals), _frame(actual, columns, decimals)
    found_key = find_key(exp, key)
    if not found_key:
        return _unkeyed(exp, act, show_values)
    return _keyed(exp, act, found_key, show_values, types, ranges or (lambda: True), snapshot)


def _keyed(
    exp: pd.DataFrame,
    act: pd.DataFrame,
    key: list[str],
    show_values: bool,
    types,
    ranges: Callable[[], bool],
    snapshot: bool = False,
) -> Diagnosis:
    sentences, shapes = [], []
    retyped = key_type_shape(exp, act, key, types, show_values)
    if retyped:  # match by the key's value, so the other differences still show
        act = retyped[0]
        sentences.append(retyped[1])
        shapes.append("key_type")
    dup_mask = act.duplicated(subset=key, keep=False)
    if dup_mask.any():
        dups = act[dup_mask].groupby(key, dropna=False).size().reset_index(name="times")
        first = dups.iloc[0]
        example = f" (e.g. {_key_text(key, first)} appears {int(first['times'])} times)" if show_values else ""
        verb = "appears" if len(dups) == 1 else "appear"
        why = (
            "a snapshot records a version for each change its config sees: compare your strategy, "
            "check_cols and hard_deletes with the step's (hard_deletes: new_record adds a row for "
            "each key that disappeared)."
            if snapshot
            else f"a join that matches several rows per {', '.join(key)} multiplies them "
            "(a join fan-out), or the group by has more columns than the grain. Join on "
            "the full key, aggregate before joining, or group by the key only."
        )
        sentences.append(f"{_plural(len(dups), 'key')} {verb} more than once in your result{example}: {why}")
        shapes.append("fan_out")
        act = act.drop_duplicates(subset=key)
        fanned = True
    else:
        fanned = False
    merged = exp.merge(act, on=key, how="outer", suffixes=("__exp", "__got"), indicator=True)
    missing = merged[merged["_merge"] == "left_only"]
    extra = merged[merged["_merge"] == "right_only"]
    both = merged[merged["_merge"] == "both"]
    exp_missing = exp.merge(missing[key], on=key)
    act_extra = act.merge(extra[key], on=key)
    if len(missing):
        sentences.append(_rows_sentence("missing from", key, exp_missing, show_values))
        shape = (
            unmatched_shape(exp_missing, exp.merge(both[key], on=key))
            or common_value(exp_missing, exp, "missing", act)
            or (ranges() and boundary_shape(exp_missing, exp, "missing", show_values))
        )
        if shape:
            sentences.append(shape[1])
            shapes.append(shape[0])
    if len(extra):
        sentences.append(_rows_sentence("in your result but not expected:", key, act_extra, show_values))
        shape = (
            unmatched_shape(act_extra, act.merge(both[key], on=key), kept=True)
            or common_value(act_extra, act, "extra", exp)
            or (ranges() and boundary_shape(act_extra, act, "extra", show_values))
        )
        if shape:
            sentences.append(shape[1])
            shapes.append(shape[0])
    examples_rows = []
    for column in [c for c in exp.columns if c not in key and not fanned]:  # after a fan-out, values mislead
        want, got = both[f"{column}__exp"], both[f"{column}__got"]
        differs = ~((want == got) | (want.isna() & got.isna()))
        if not differs.any():
            continue
        rows = both[differs]
        shape, sentence = column_shape(
            column, rows[f"{column}__exp"], rows[f"{column}__got"], exp[column], act[column], len(rows), show_values
        )
        sentences.append(sentence)
        shapes.append(shape)
        for _, row in rows.head(EXAMPLES).iterrows():
            examples_rows.append([_key_text(key, row), column, row[f"{column}__exp"], row[f"{column}__got"]])
    examples = None
    if examples_rows and show_values:
        examples = {"columns": ["row", "column", "expected", "got"], "rows": examples_rows[:6]}
    if not sentences:
        sentences.append("The rows are the same but some appear a different number of times.")
    return Diagnosis(sentences=sentences, key=key, examples=examples, shapes=shapes)


def _rows_sentence(where: str, key: list[str], frame: pd.DataFrame, show_values: bool) -> str:
    rows = _plural(len(frame), "row")
    if where.startswith("missing"):
        head = f"{rows} {'is' if len(frame) == 1 else 'are'} missing from your result"
    else:
        head = f"{rows} {'is' if len(frame) == 1 else 'are'} in your result but not expected"
    return head + (f" ({_keys_listed(key, frame)})." if show_values else ".")


def _unkeyed(exp: pd.DataFrame, act: pd.DataFrame, show_values: bool) -> Diagnosis:
    """No key to match rows by: compare as bags and still name the shape when one shows."""
    sentences, shapes = [], []
    exp_counts = exp.astype(str).value_counts()
    act_counts = act.astype(str).value_counts()
    if (
        len(act) > len(exp)
        and exp_counts.index.isin(act_counts.index).all()
        and (act_counts.reindex(exp_counts.index) >= exp_counts).all()
    ):
        sentences.append(
            f"Your result holds every expected row, plus {_plural(len(act) - len(exp), 'row')} "
            "more: rows are duplicated (a join fan-out) or a filter is missing."
        )
        shapes.append("fan_out_or_filter")
    elif len(act) < len(exp) and act_counts.index.isin(exp_counts.index).all():
        sentences.append(
            f"Every row of yours is expected, but {_plural(len(exp) - len(act), 'row')} "
            "are missing: a filter or an inner join removes too much."
        )
        shapes.append("missing_rows")
    if not sentences:
        differing = [c for c in exp.columns if sorted(map(str, exp[c])) != sorted(map(str, act[c]))]
        if differing:
            sentences.append(f"The values of {', '.join(differing)} are not the expected ones.")
    return Diagnosis(sentences=sentences or ["Some rows differ from the expected result."], shapes=shapes)
