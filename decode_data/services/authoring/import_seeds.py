"""The variant seed set of an imported lesson: same files and columns, different values.

The grader re-runs every check on seeds_variant/, so an answer that hard-codes numbers fails.
An imported project has no seed generator, so the variant is derived from its seeds, the same
bytes on every run (a fixed random seed per file). From strongest to mildest:

    full        clone ~15% of the rows under new primary keys, with their child rows (an order
                with its payments: foreign keys are found by name, `order_id`), scale every
                numeric non-key value, shift every date by the same number of days, shuffle each
                plain text column among its rows, shuffle the row order
    no_shuffle  the same without shuffling text columns (row-level rules stay true)
    values      only scale numbers and shift dates, and shuffle the row order
    copy        only shuffle the row order: the values are the same, so a hard-coded answer passes

Keys (`id`, `*_id`, `*_key`, a unique first column) never change, so joins and relationships
tests hold. lesson_import builds the reference solution on each level in turn and keeps the first
on which the project's own tests still pass.
"""

from __future__ import annotations

import csv
import io
import random
import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path, PurePosixPath

LEVELS = ("full", "no_shuffle", "values", "copy")
RNG_SEED = "decode-data-variant-1"
DATE_SHIFT_DAYS = 17
CLONE_SHARE = 0.15
KEY_RE = re.compile(r"^(id|uuid)$|_(id|key|uuid|sk|code)$", re.IGNORECASE)
INT_RE = re.compile(r"^-?(0|[1-9][0-9]*)$")
DECIMAL_RE = re.compile(r"^-?(0|[1-9][0-9]*)\.([0-9]+)$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def _kind(name: str, values: list[str], first: bool) -> str:
    present = [v for v in values if v != ""]
    if KEY_RE.search(name) or (first and present and len(set(present)) == len(values)):
        return "key"
    if not present:
        return "empty"
    if all(INT_RE.match(v) for v in present):
        return "int"
    if all(INT_RE.match(v) or DECIMAL_RE.match(v) for v in present):
        return "decimal"
    if all(DATE_RE.match(v) for v in present):
        return "date"
    if all(TIMESTAMP_RE.match(v) for v in present):
        return "timestamp"
    return "text"


def _scaled(rng: random.Random, value: str, kind: str) -> str:
    if value == "":
        return value
    if kind == "int":
        number = int(value)
        if number == 0:
            return value
        new = round(number * rng.uniform(0.7, 1.3))
        if new == number:
            new += 1 if number > 0 else -1
        if (new > 0) != (number > 0):
            new = number
        return str(new)
    places = len(value.split(".")[1]) if "." in value else 0
    number = float(value)
    if number == 0:
        return value
    new = round(number * rng.uniform(0.7, 1.3), places)
    if new == number:
        new = number + (10**-places if number > 0 else -(10**-places))
    return f"{new:.{places}f}"


def _shifted(value: str, kind: str) -> str:
    if value == "":
        return value
    if kind == "date":
        return (date.fromisoformat(value) + timedelta(days=DATE_SHIFT_DAYS)).isoformat()
    sep = "T" if "T" in value else " "
    moved = datetime.fromisoformat(value.replace("T", " ")) + timedelta(days=DATE_SHIFT_DAYS)
    text = moved.isoformat(sep=sep)
    return text if len(text) >= len(value) else text[: len(value)]


@dataclass
class _Table:
    rel: str
    header: list[str]
    rows: list[list[str]]
    kinds: list[str]

    @property
    def numeric_key(self) -> bool:
        """The first column is a unique integer key: clones can get new ids."""
        return bool(self.rows) and self.kinds[0] == "key" and all(INT_RE.match(r[0]) for r in self.rows)

    def stem(self) -> str:
        name = re.sub(r"^(raw|src|source|stg|seed)_", "", PurePosixPath(self.rel).stem.lower())
        if name.endswith("ies"):
            return name[:-3] + "y"
        return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def _read(rel: str, text: str) -> _Table | None:
    table = list(csv.reader(io.StringIO(text)))
    if len(table) < 2 or not table[0]:
        return None
    header = table[0]
    rows = [(r + [""] * len(header))[: len(header)] for r in table[1:] if r]
    kinds = [_kind(name, [r[i] for r in rows], i == 0) for i, name in enumerate(header)]
    return _Table(rel, header, rows, kinds)


def _children(tables: dict[str, _Table]) -> dict[str, list[tuple[str, int]]]:
    """Foreign keys by name: raw_payments.order_id points at raw_orders (first column id)."""
    children: dict[str, list[tuple[str, int]]] = {}
    for parent in tables.values():
        if not parent.numeric_key:
            continue
        ids = {r[0] for r in parent.rows}
        names = {f"{parent.stem()}_id"} | ({parent.header[0].lower()} if parent.header[0].lower() != "id" else set())
        for child in tables.values():
            if child is parent:
                continue
            for j, column in enumerate(child.header):
                values = {r[j] for r in child.rows if r[j] != ""}
                if j > 0 and column.lower() in names and values and values <= ids:
                    children.setdefault(parent.rel, []).append((child.rel, j))
    return children


def _add_clones(tables: dict[str, _Table], rng: random.Random) -> None:
    """Copy random rows under new ids, with their child rows (an order with its payments), so
    relationships still hold and no parent is left without the children it always has."""
    children = _children(tables)
    originals = {rel: list(t.rows) for rel, t in tables.items()}
    next_id = {rel: max(int(r[0]) for r in t.rows) + 1 for rel, t in tables.items() if t.numeric_key}

    def clone(rel: str, row: list[str], depth: int = 0) -> list[str]:
        new = list(row)
        if rel in next_id:
            new[0] = str(next_id[rel])
            next_id[rel] += 1
        tables[rel].rows.append(new)
        for child_rel, column in children.get(rel, []) if depth < 4 and rel in next_id else []:
            for child_row in [r for r in originals[child_rel] if r[column] == row[0]]:
                clone(child_rel, child_row, depth + 1)[column] = new[0]
        return new

    for rel in sorted(tables):
        if rel in next_id:
            for _ in range(max(1, round(len(originals[rel]) * CLONE_SHARE))):
                clone(rel, rng.choice(originals[rel]))


def _vary(table: _Table, level: str, rng: random.Random) -> None:
    for i, kind in enumerate(table.kinds):
        for row in table.rows:
            if kind in ("int", "decimal"):
                row[i] = _scaled(rng, row[i], kind)
            elif kind in ("date", "timestamp"):
                row[i] = _shifted(row[i], kind)
        if kind == "text" and level == "full":
            column = [r[i] for r in table.rows]
            rng.shuffle(column)
            for row, value in zip(table.rows, column, strict=False):
                row[i] = value


def variant_tables(texts: dict[str, str], level: str) -> dict[str, str]:
    """{relative path: CSV text} -> the same files varied at ``level``; the same bytes every run."""
    tables = {rel: t for rel, text in sorted(texts.items()) if (t := _read(rel, text)) is not None}
    if level in ("full", "no_shuffle"):
        _add_clones(tables, random.Random(f"{RNG_SEED}:{level}:clones"))
    out = dict(texts)
    for rel, table in tables.items():
        rng = random.Random(f"{RNG_SEED}:{level}:{rel}")
        if level != "copy":
            _vary(table, level, rng)
        rng.shuffle(table.rows)
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([table.header] + table.rows)
        out[rel] = buffer.getvalue()
    return out


def write_variant(seeds_dir: Path, out_dir: Path, level: str) -> None:
    """seeds_dir -> out_dir: CSV files varied at ``level``, other files (seed YAML) copied."""
    if level not in LEVELS:
        raise ValueError(f"unknown variant level {level!r}; use one of {', '.join(LEVELS)}")
    shutil.rmtree(out_dir, ignore_errors=True)
    files = sorted(p for p in seeds_dir.rglob("*") if p.is_file())
    texts = {
        p.relative_to(seeds_dir).as_posix(): p.read_text(encoding="utf-8") for p in files if p.suffix.lower() == ".csv"
    }
    varied = variant_tables(texts, level)
    for path in files:
        rel = path.relative_to(seeds_dir).as_posix()
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel in varied:
            target.write_text(varied[rel], encoding="utf-8")
        else:
            shutil.copyfile(path, target)
