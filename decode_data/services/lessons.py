"""The lesson catalog: every lesson is a folder under dbt_template/ with a lesson.yml.

Lessons are files in git so authors review them like code; this module only reads them.
Layout of a lesson folder:
    lesson.yml   id, title, summary, level, minutes, editable globs, ordered steps
    seeds/       CSV files loaded by `dbt seed`
    starter/     the project files a learner starts from (models/, macros/, tests/ ...)
    solution/    the reference solution, laid over starter/
    steps/       Markdown instructions, one file per step
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from decode_data.settings import get_settings

LESSON_FILE = "lesson.yml"


class LessonNotFound(LookupError):
    """No lesson has this id."""


class LessonFormatError(ValueError):
    """A lesson.yml is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    instructions: str
    editable: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    explanation: str = ""
    checks: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    level: str
    minutes: int
    dir: Path
    editable: tuple[str, ...]
    steps: tuple[Step, ...] = field(default=())

    @property
    def starter_dir(self) -> Path:
        return self.dir / "starter"

    @property
    def seeds_dir(self) -> Path:
        return self.dir / "seeds"

    @property
    def solution_dir(self) -> Path:
        return self.dir / "solution"

    def editable_globs(self) -> tuple[str, ...]:
        globs = list(self.editable)
        for step in self.steps:
            globs.extend(g for g in step.editable if g not in globs)
        return tuple(globs)

    def is_editable(self, rel_path: str) -> bool:
        """True when the learner may write this project-relative POSIX path."""
        return any(fnmatch.fnmatchcase(rel_path, pattern) for pattern in self.editable_globs())


def _require(data: dict, key: str, where: Path, kind: type = str):
    value = data.get(key)
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        raise LessonFormatError(f"{where}: '{key}' must be a non-empty {kind.__name__}")
    return value


def _read_step(raw: dict, lesson_dir: Path, index: int) -> Step:
    where = lesson_dir / LESSON_FILE
    if not isinstance(raw, dict):
        raise LessonFormatError(f"{where}: step {index + 1} must be a mapping")
    instructions = _require(raw, "instructions", where)
    path = lesson_dir / instructions
    text = path.read_text(encoding="utf-8") if path.suffix == ".md" and path.is_file() else instructions
    return Step(
        id=_require(raw, "id", where),
        title=_require(raw, "title", where),
        instructions=text,
        editable=tuple(raw.get("editable") or ()),
        hints=tuple(raw.get("hints") or ()),
        explanation=str(raw.get("explanation") or ""),
        checks=tuple(raw.get("checks") or ()),
    )


def load_lesson(lesson_dir: Path) -> Lesson:
    where = lesson_dir / LESSON_FILE
    try:
        data = yaml.safe_load(where.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise LessonFormatError(f"{where}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise LessonFormatError(f"{where}: must be a mapping")
    lesson_id = _require(data, "id", where)
    if lesson_id != lesson_dir.name:
        raise LessonFormatError(f"{where}: id '{lesson_id}' must match its folder '{lesson_dir.name}'")
    steps = tuple(_read_step(raw, lesson_dir, i) for i, raw in enumerate(data.get("steps") or ()))
    return Lesson(
        id=lesson_id,
        title=_require(data, "title", where),
        summary=str(data.get("summary") or ""),
        level=str(data.get("level") or "beginner"),
        minutes=int(data.get("minutes") or 15),
        dir=lesson_dir,
        editable=tuple(data.get("editable") or ()),
        steps=steps,
    )


@lru_cache(maxsize=8)
def _catalog(template_dir: Path) -> dict[str, Lesson]:
    lessons = {}
    for lesson_file in sorted(template_dir.glob(f"*/{LESSON_FILE}")):
        lesson = load_lesson(lesson_file.parent)
        lessons[lesson.id] = lesson
    return lessons


def list_lessons(template_dir: Path | None = None) -> list[Lesson]:
    return list(_catalog(template_dir or get_settings().template_dir).values())


def get_lesson(lesson_id: str, template_dir: Path | None = None) -> Lesson:
    try:
        return _catalog(template_dir or get_settings().template_dir)[lesson_id]
    except KeyError:
        raise LessonNotFound(f"No lesson named '{lesson_id}'") from None
