"""Plain data the lesson pages render: built from services, no Reflex, unit-tested on its own.

States hold these (never DataFrames or ORM rows), so what reaches the browser is small,
serializable and exactly what the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from decode_data.services.lessons import Lesson, Step
from decode_data.services.progress import ProgressView

PAGE_SIZE = 25


@dataclass
class StepItem:
    id: str
    number: int
    title: str
    done: bool = False
    current: bool = False


@dataclass
class FileItem:
    path: str
    name: str
    folder: str
    editable: bool = False


@dataclass
class TextPart:
    text: str
    code: bool = False


def inline_code(text: str) -> list[TextPart]:
    """A message's `quoted` code as code and the rest as text: the grader writes SQL and YAML
    between backticks, which read as noise when shown as they are. Odd backticks stay text."""
    pieces = text.split("`")
    if len(pieces) % 2 == 0:
        return [TextPart(text)]
    return [TextPart(piece, code=i % 2 == 1) for i, piece in enumerate(pieces) if piece]


@dataclass
class CheckItem:
    message: str
    passed: bool
    stage: str = ""
    where: str = ""  # "models/x.sql line 3" when the grader knows
    hint: str = ""
    parts: list[TextPart] = field(default_factory=list)  # the message, its code marked


@dataclass
class RowDiff:
    columns: list[str] = field(default_factory=list)
    missing: list[list[str]] = field(default_factory=list)
    extra: list[list[str]] = field(default_factory=list)
    missing_total: int = 0
    extra_total: int = 0


def step_items(lesson: Lesson, progress: ProgressView, current: str) -> list[StepItem]:
    done = set(progress.completed_steps)
    return [
        StepItem(id=s.id, number=i + 1, title=s.title, done=s.id in done, current=s.id == current)
        for i, s in enumerate(lesson.steps)
    ]


def file_items(files: list[dict]) -> list[FileItem]:
    items = []
    for f in files:
        folder, _, name = f["path"].rpartition("/")
        items.append(FileItem(path=f["path"], name=name, folder=folder, editable=bool(f["editable"])))
    return items


def step_file(step: Step, editable: list[str]) -> str:
    """The file a step is about, to open when the step opens.

    The files its instructions name, preferring one that defines a model its checks look at,
    then the one named most often; else a checked model's file; else the first editable file.
    """
    text = step.instructions
    checked = [f"{c['model']}{ext}" for c in step.checks if c.get("model") for ext in (".sql", ".yml")]
    mentioned = [p for p in editable if p in text]
    for name in checked:
        match = next((p for p in mentioned if p.rsplit("/", 1)[-1] == name), None)
        if match:
            return match
    if mentioned:
        return max(mentioned, key=lambda p: (text.count(p), -text.find(p)))
    for name in checked:
        match = next((p for p in editable if p.rsplit("/", 1)[-1] == name), None)
        if match:
            return match
    return editable[0] if editable else ""


def cell(value) -> str:
    """How one warehouse value reads in a grid: NULL stays visible, floats stay short."""
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e15 else str(value)
    return str(value)


def grid_rows(rows: list[list]) -> list[list[str]]:
    return [[cell(v) for v in row] for row in rows]


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def check_items(feedback: dict) -> list[CheckItem]:
    """One line per finding: a check repeated on several seed sets says what it found once."""
    items, seen = [], set()
    for c in feedback.get("checks", []):
        where = f"{c['path']} line {c['line']}" if c.get("path") and c.get("line") else (c.get("path") or "")
        message = c.get("message") or ("Passed" if c["passed"] else "Failed")
        if (message, bool(c["passed"])) in seen:
            continue
        seen.add((message, bool(c["passed"])))
        items.append(
            CheckItem(
                message=message,
                passed=bool(c["passed"]),
                stage=c.get("stage") or "",
                where=where,
                hint=c.get("hint") or "",
                parts=inline_code(message),
            )
        )
    return items


def first_diff(feedback: dict) -> RowDiff:
    """The missing/extra rows of the first failing check that has them, for the diff grid."""
    for c in feedback.get("checks", []):
        diff = c.get("diff")
        if not c["passed"] and diff:
            return RowDiff(
                columns=[str(x) for x in diff.get("columns", [])],
                missing=grid_rows(diff.get("missing", [])),
                extra=grid_rows(diff.get("extra", [])),
                missing_total=int(diff.get("missing_total", 0)),
                extra_total=int(diff.get("extra_total", 0)),
            )
    return RowDiff()


def first_evidence(feedback: dict) -> RowDiff:
    """The diagnosis's examples (row, column, expected, got) of the first failing check."""
    for c in feedback.get("checks", []):
        examples = c.get("examples")
        if not c["passed"]:
            if not examples:
                return RowDiff()
            return RowDiff(
                columns=[str(x) for x in examples.get("columns", [])],
                missing=grid_rows(examples.get("rows", [])),
                missing_total=len(examples.get("rows", [])),
            )
    return RowDiff()


def error_location(feedback: dict) -> tuple[str, int]:
    """(path, line) of the first failing check that points at the learner's file."""
    for c in feedback.get("checks", []):
        if not c["passed"] and c.get("path"):
            return c["path"], int(c.get("line") or 0)
    return "", 0


def node_name_of(path: str) -> str:
    """The dbt node a file defines: models/stg_orders.sql -> stg_orders ('' for yml, md...)."""
    if not path.endswith(".sql") or not path.startswith(("models/", "snapshots/", "seeds/")):
        return ""
    return path.rsplit("/", 1)[-1][:-4]


def when(moment: datetime | None, empty: str = "never") -> str:
    """A timestamp as the pages show it: UTC to the minute ("2026-11-28 00:10 UTC")."""
    if moment is None:
        return empty
    if moment.tzinfo is None:  # naive values from SQLite are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
