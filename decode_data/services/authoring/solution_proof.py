"""Prove a lesson works: its reference solution passes every step, its starter does not.

Run by `lessons check` and `lessons import` (and CI) in fresh, sandboxed workspaces of two
throw-away learners, graded the way a learner is (app database, workspace, history), so an
author finds a broken check before a learner does. Its sibling proofs.py proves the other half:
every wrong answer fails, for its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from decode_data.services.grader import LessonError, StepFeedback, grade_steps
from decode_data.services.grader.grade import LEARNER, VERDICT_PROOF, Mode
from decode_data.services.learners import get_or_create_learner
from decode_data.services.lessons import Lesson
from decode_data.services.workspace import reset_workspace, save_file


@dataclass
class StepCheck:
    lesson_id: str
    step_id: str
    solution: StepFeedback | None
    starter: StepFeedback | None
    error: str = ""

    @property
    def ok(self) -> bool:
        if self.error or self.solution is None or self.starter is None:
            return False
        return self.solution.passed and not self.starter.passed


def solution_files(lesson: Lesson) -> dict[str, str]:
    """Every file of the lesson's solution/, by project path: what a learner who got it all right saves."""
    return {
        p.relative_to(lesson.solution_dir).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(lesson.solution_dir.rglob("*"))
        if p.is_file()
    }


def _grade_as(session: Session, username: str, lesson: Lesson, files: dict[str, str], mode: Mode) -> list[StepFeedback]:
    learner = get_or_create_learner(session, username)
    reset_workspace(session, learner, lesson)
    for path, text in files.items():
        save_file(session, learner, lesson, path, text)
    return grade_steps(session, learner, lesson, mode=mode)


def check_lesson(session: Session, lesson: Lesson) -> list[StepCheck]:
    try:
        solved = _grade_as(session, f"check_solution_{lesson.id}", lesson, solution_files(lesson), LEARNER)
        # Only whether the starter fails each step matters: its checks stop at the first failure.
        started = _grade_as(session, f"check_starter_{lesson.id}", lesson, {}, VERDICT_PROOF)
    except (LessonError, ValueError, OSError) as exc:
        return [StepCheck(lesson.id, "-", None, None, error=str(exc))]
    return [
        StepCheck(lesson.id, step.id, solution, starter)
        for step, solution, starter in zip(lesson.steps, solved, started, strict=False)
    ]


def describe(check: StepCheck) -> str:
    if check.error:
        return check.error
    if not check.solution.passed:
        return "solution fails: " + check.solution.summary
    if check.starter.passed:
        return "the starter already passes this step: its checks teach nothing"
    return "ok"
