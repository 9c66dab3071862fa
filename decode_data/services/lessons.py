"""The lesson catalog: every lesson is a folder under dbt_template/ with a lesson.yml.

Lessons are files in git so authors review them like code; this module only reads them.
Layout of a lesson folder:
    lesson.yml   id, title, summary, level, minutes, editable globs, ordered steps, optional quiz
    seeds/       CSV files loaded by `dbt seed`
    starter/     the project files a learner starts from (models/, macros/, tests/ ...)
    solution/    the reference solution, laid over starter/
    steps/       Markdown instructions, one file per step
    tools/       author-only helpers (e.g. a seed generator); never read here, never copied
dbt_template/README.md is the authoring guide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from decode_data.services.path_glob import glob_match
from decode_data.settings import get_settings

LESSON_FILE = "lesson.yml"
LEVELS = ("beginner", "intermediate", "advanced")  # the catalog lists lessons in this order


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
class QuizQuestion:
    """One multiple-choice question of a lesson's optional end-of-lesson quiz."""

    question: str
    choices: tuple[str, ...]
    answer: int  # index into choices
    explanation: str = ""


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
    quiz: tuple[QuizQuestion, ...] = field(default=())

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
        return any(glob_match(rel_path, pattern) for pattern in self.editable_globs())


def _require(data: dict, key: str, where: Path, kind: type = str):
    value = data.get(key)
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        raise LessonFormatError(f"{where}: '{key}' must be a non-empty {kind.__name__}")
    return value


def _read_instructions(instructions: str, lesson_dir: Path, where: Path) -> str:
    """A value ending in .md names a file inside the lesson folder; anything else is the text."""
    if not instructions.strip().endswith(".md"):
        return instructions
    path = (lesson_dir / instructions.strip()).resolve()
    if not path.is_relative_to(lesson_dir.resolve()) or not path.is_file():
        raise LessonFormatError(f"{where}: instructions file '{instructions}' not found in {lesson_dir}")
    return path.read_text(encoding="utf-8")


def _str_list(raw: dict, key: str, where: Path, step: str | None = None) -> tuple[str, ...]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        owner = f"step '{step}': " if step else ""
        raise LessonFormatError(f"{where}: {owner}'{key}' must be a list of strings")
    return tuple(value)


def _checks(raw: dict, where: Path, step: str) -> tuple[dict, ...]:
    """Checks stay plain data for the grader; the loader only insists that each names its kind."""
    value = raw.get("checks") or []
    if not isinstance(value, list):
        raise LessonFormatError(f"{where}: step '{step}': 'checks' must be a list")
    for number, check in enumerate(value, start=1):
        if not isinstance(check, dict) or not isinstance(check.get("kind"), str) or not check["kind"]:
            raise LessonFormatError(f"{where}: step '{step}': check {number} must be a mapping with a 'kind'")
        if check["kind"] == "sql" and _CASED_COLUMN_RE.search(str(check.get("sql", ""))):
            raise LessonFormatError(
                f"{where}: step '{step}': check {number} compares column_name as DuckDB stores it, in the "
                "case the learner typed (`as STORE_ID` is a right answer): compare lower(column_name)"
            )
    return tuple(value)


# `column_name = 'x'` or `column_name in (...)`, not wrapped in lower().
_CASED_COLUMN_RE = re.compile(r"(?<!lower\()\bcolumn_name\s*(?:=|in\s*\()", re.IGNORECASE)


def _read_step(raw: dict, lesson_dir: Path, index: int) -> Step:
    where = lesson_dir / LESSON_FILE
    if not isinstance(raw, dict):
        raise LessonFormatError(f"{where}: step {index + 1} must be a mapping")
    step_id = _require(raw, "id", where)
    return Step(
        id=step_id,
        title=_require(raw, "title", where),
        instructions=_read_instructions(_require(raw, "instructions", where), lesson_dir, where),
        editable=_str_list(raw, "editable", where, step_id),
        hints=_str_list(raw, "hints", where, step_id),
        explanation=str(raw.get("explanation") or ""),
        checks=_checks(raw, where, step_id),
    )


def _quiz(data: dict, where: Path) -> tuple[QuizQuestion, ...]:
    """Validated here, not at answer time, so a broken quiz fails `lessons list`, not a learner."""
    raw = data.get("quiz") or []
    if not isinstance(raw, list):
        raise LessonFormatError(f"{where}: 'quiz' must be a list of questions")
    questions = []
    for number, item in enumerate(raw, start=1):
        owner = f"{where}: quiz question {number}"
        if not isinstance(item, dict):
            raise LessonFormatError(f"{owner} must be a mapping")
        question = item.get("question")
        if not isinstance(question, str) or not question.strip():
            raise LessonFormatError(f"{owner}: 'question' must be a non-empty string")
        choices = item.get("choices")
        if (
            not isinstance(choices, list)
            or len(choices) < 2
            or not all(isinstance(c, str) and c.strip() for c in choices)
        ):
            raise LessonFormatError(
                f"{owner}: 'choices' must be a list of at least two strings (quote numbers and yes/no)"
            )
        answer = item.get("answer")
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(choices):
            raise LessonFormatError(f"{owner}: 'answer' must be the index of a choice, 0 to {len(choices) - 1}")
        questions.append(
            QuizQuestion(
                question=question, choices=tuple(choices), answer=answer, explanation=str(item.get("explanation") or "")
            )
        )
    return tuple(questions)


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
    raw_steps = data.get("steps") or []
    if not isinstance(raw_steps, list):
        raise LessonFormatError(f"{where}: 'steps' must be a list")
    steps = tuple(_read_step(raw, lesson_dir, i) for i, raw in enumerate(raw_steps))
    if len({step.id for step in steps}) != len(steps):
        raise LessonFormatError(f"{where}: step ids must be unique")
    return Lesson(
        id=lesson_id,
        title=_require(data, "title", where),
        summary=str(data.get("summary") or ""),
        level=str(data.get("level") or "beginner"),
        minutes=int(data.get("minutes") or 15),
        dir=lesson_dir,
        editable=_str_list(data, "editable", where),
        steps=steps,
        quiz=_quiz(data, where),
    )


def _beginner_first(lesson: Lesson) -> tuple[int, str]:
    """Easier levels first (an unknown level last), then by id: a new learner sees hello_dbt first."""
    rank = LEVELS.index(lesson.level) if lesson.level in LEVELS else len(LEVELS)
    return rank, lesson.id


@lru_cache(maxsize=8)
def _catalog(template_dir: Path) -> dict[str, Lesson]:
    lessons = [load_lesson(lesson_file.parent) for lesson_file in template_dir.glob(f"*/{LESSON_FILE}")]
    return {lesson.id: lesson for lesson in sorted(lessons, key=_beginner_first)}


def list_lessons(template_dir: Path | None = None) -> list[Lesson]:
    return list(_catalog(template_dir or get_settings().template_dir).values())


def get_lesson(lesson_id: str, template_dir: Path | None = None) -> Lesson:
    try:
        return _catalog(template_dir or get_settings().template_dir)[lesson_id]
    except KeyError:
        raise LessonNotFound(f"No lesson named '{lesson_id}'") from None


def next_lesson(lesson_id: str, template_dir: Path | None = None) -> Lesson | None:
    """The lesson after this one in the catalog's beginner-first order (None after the last)."""
    ids = [lesson.id for lesson in list_lessons(template_dir)]
    later = ids[ids.index(lesson_id) + 1 :] if lesson_id in ids else []
    return get_lesson(later[0], template_dir) if later else None
