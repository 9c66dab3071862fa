"""The typical wrong answers a lesson ships per step, and the phrase each one's feedback needs.

A lesson proves its checks against the mistakes learners really make, not only against its
reference solution: `wrong_answers/*.yml` list them, each one or more files laid over the
solution (the learner got every other step right), the mistake in words, and a phrase the
feedback must contain, so a wrong answer that fails for the wrong reason is caught too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from decode_data.services.lessons import Lesson, LessonFormatError

FOLDER = "wrong_answers"


@dataclass(frozen=True)
class WrongAnswer:
    step_id: str
    mistake: str  # what the learner got wrong, for the author and the report
    expect: str  # a phrase the feedback must contain (case-insensitive)
    files: dict[str, str]  # project-relative path -> text, laid over starter + solution
    source: str  # "wrong_answers/02_staging.yml #3", for messages


def _where(path: Path, index: int) -> str:
    return f"{FOLDER}/{path.name} #{index}"


def _files(raw, lesson: Lesson, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        raise LessonFormatError(f"{where}: `files` maps project paths to their text")
    for rel in raw:
        parts = PurePosixPath(str(rel)).parts
        if not parts or ".." in parts or str(rel).startswith("/") or not lesson.is_editable(str(rel)):
            raise LessonFormatError(f"{where}: '{rel}' is not a file a learner may edit")
        if not isinstance(raw[rel], str):
            raise LessonFormatError(f"{where}: the text of '{rel}' must be a string")
    return {str(k): v for k, v in raw.items()}


def _read(path: Path, lesson: Lesson, steps: set[str]) -> list[WrongAnswer]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    step = data.get("step")
    if step not in steps:
        raise LessonFormatError(f"{FOLDER}/{path.name}: `step` must be one of {', '.join(sorted(steps))}")
    answers = []
    for index, raw in enumerate(data.get("wrong_answers") or [], 1):
        where = _where(path, index)
        mistake, expect = (raw or {}).get("mistake"), (raw or {}).get("expect")
        if not (isinstance(mistake, str) and mistake.strip() and isinstance(expect, str) and expect.strip()):
            raise LessonFormatError(f"{where}: `mistake` and `expect` are required text")
        answers.append(
            WrongAnswer(step, mistake.strip(), expect.strip(), _files(raw.get("files"), lesson, where), where)
        )
    return answers


def wrong_answers(lesson: Lesson) -> list[WrongAnswer]:
    """Every wrong answer of a lesson, in step order."""
    folder = lesson.dir / FOLDER
    if not folder.is_dir():
        return []
    steps = [s.id for s in lesson.steps]
    found = [a for path in sorted(folder.glob("*.yml")) for a in _read(path, lesson, set(steps))]
    return sorted(found, key=lambda a: steps.index(a.step_id))


def feedback_text(feedback) -> str:
    """What the learner reads first: the first failure, with its hint."""
    failure = feedback.first_failure
    if failure is None:
        return ""
    return " ".join(filter(None, [feedback.summary, failure.hint]))
