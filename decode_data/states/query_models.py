"""Plain data for the query page (tables, rows, charts): no Reflex, unit-tested on its own.

QueryState turns warehouse previews into these small lists of strings and numbers, which is
all the browser ever receives.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from decode_data.states.view_models import cell

CHART_TYPES = ("bar", "line", "scatter")
MAX_POINTS = 500
TABLE_LIMIT = 100

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_NON_FINITE = {"nan", "inf", "-inf", "+inf", "infinity", "-infinity"}
_PLAIN_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass
class ColumnItem:
    name: str
    type: str


@dataclass
class TableItem:
    """One relation of the learner's warehouse as the browser lists it."""

    key: str  # schema.name, unique
    name: str
    schema: str
    kind: str  # table | view
    select_sql: str  # what a click puts in the editor
    columns: list[ColumnItem] = field(default_factory=list)


def quote_name(name: str) -> str:
    """An identifier as SQL needs it: plain lower-case names bare, anything else double-quoted."""
    return name if _PLAIN_NAME.match(name) else '"' + name.replace('"', '""') + '"'


def select_sql(schema: str, name: str, limit: int = TABLE_LIMIT) -> str:
    """`select * from <table> limit 100`; the default schema (main) is left out."""
    relation = quote_name(name) if schema in ("", "main") else f"{quote_name(schema)}.{quote_name(name)}"
    return f"select * from {relation} limit {limit}"


def table_items(tables: list[dict]) -> list[TableItem]:
    """list_tables() output -> sorted items (schema, then name) for the table browser."""
    items = []
    for t in tables:
        schema, name = str(t.get("schema") or ""), str(t.get("name") or "")
        if not name:
            continue
        items.append(
            TableItem(
                key=f"{schema}.{name}",
                name=name,
                schema=schema,
                kind=str(t.get("type") or "table"),
                select_sql=select_sql(schema, name),
                columns=[
                    ColumnItem(name=str(c.get("name", "")), type=str(c.get("type", ""))) for c in t.get("columns") or []
                ],
            )
        )
    return sorted(items, key=lambda i: (i.schema != "main", i.schema, i.name))


def to_number(value) -> float | None:
    """A finite number from a preview value (int, float, or a numeric string such as a big
    DECIMAL); None for NULL, booleans, text, dates and NaN/infinity."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and _NUMBER.match(value.strip()):
        number = float(value.strip())
    else:
        return None
    return number if math.isfinite(number) else None


def _is_non_finite(value) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, str) and value.strip().lower() in _NON_FINITE


def numeric_columns(columns: list[str], rows: list[list]) -> list[str]:
    """Columns whose non-NULL values are all numbers (at least one): the choices for a Y axis."""
    numeric = []
    for i, name in enumerate(columns):
        values = [row[i] for row in rows if i < len(row) and row[i] is not None]
        numbers = [to_number(v) for v in values]
        if any(n is not None for n in numbers) and all(
            n is not None or _is_non_finite(v) for n, v in zip(numbers, values, strict=False)
        ):
            numeric.append(name)
    return numeric


def x_choices(chart_type: str, columns: list[str], numeric: list[str]) -> list[str]:
    """A scatter plot needs a numeric X; bars and lines take any column as categories."""
    return list(numeric) if chart_type == "scatter" else list(columns)


def default_axes(chart_type: str, columns: list[str], numeric: list[str], x: str = "", y: str = "") -> tuple[str, str]:
    """Keep the learner's X and Y while they still fit; otherwise a sensible first guess:
    the first text column as X (first column for scatter), the first other numeric column as Y."""
    xs = x_choices(chart_type, columns, numeric)
    if x not in xs:
        text = [c for c in xs if c not in numeric]
        x = (text or xs or [""])[0]
    if y not in numeric:
        y = next((c for c in numeric if c != x), numeric[0] if numeric else "")
    return x, y


def chart_data(
    columns: list[str], rows: list[list], x: str, y: str, chart_type: str = "bar", limit: int = MAX_POINTS
) -> list[dict]:
    """Points {"x": label or number, "y": number} in row order, at most `limit` of them.

    Rows whose Y is not a number (NULL, text) are skipped; so are rows without a numeric X on
    a scatter plot. Bars and lines label X as the grid shows it.
    """
    if x not in columns or y not in columns:
        return []
    xi, yi = columns.index(x), columns.index(y)
    points: list[dict] = []
    for row in rows:
        if len(points) >= limit:
            break
        if max(xi, yi) >= len(row):
            continue
        y_value = to_number(row[yi])
        if y_value is None:
            continue
        if chart_type == "scatter":
            x_value = to_number(row[xi])
            if x_value is None:
                continue
            points.append({"x": x_value, "y": y_value})
        else:
            points.append({"x": label(row[xi]), "y": y_value})
    return points


label = cell  # an X value reads on a chart axis as it does in the results grid


def rows_summary(shown: int, total: int, truncated: bool) -> str:
    noun = "row" if total == 1 else "rows"
    text = f"showing {shown} of {total} {noun}"
    return text + " (only the first rows are kept: add a filter or an aggregate to see the rest)" if truncated else text
