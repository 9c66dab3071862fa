"""Prove that a lesson's grader rejects its wrong answers, each for the right reason.

Each wrong answer is the reference project with the answer's files laid over it, graded on
the step it belongs to, in a scratch folder (no learner, no app database). It must fail, and
the feedback the learner would read first must contain the answer's phrase.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from decode_data.services.authoring.wrong_answers import WrongAnswer, feedback_text, wrong_answers
from decode_data.services.grader.builds import MAIN_SEEDS, reference_build, reference_project
from decode_data.services.grader.feedback import StepFeedback
from decode_data.services.grader.grade import VERDICT_PROOF, find_step, grade_with_builds
from decode_data.services.lessons import Lesson
from decode_data.settings import get_settings


@dataclass
class WrongAnswerProof:
    answer: WrongAnswer
    feedback: StepFeedback | None
    error: str = ""

    @property
    def lesson_id(self) -> str:
        return self.feedback.lesson_id if self.feedback else "-"

    @property
    def text(self) -> str:
        return feedback_text(self.feedback) if self.feedback else ""

    @property
    def ok(self) -> bool:
        return (
            not self.error
            and self.feedback is not None
            and not self.feedback.passed
            and self.answer.expect.lower() in self.text.lower()
        )

    def describe(self) -> str:
        if self.error:
            return self.error
        if self.feedback.passed:
            return f"{self.answer.source} passes step {self.answer.step_id}: the grader misses '{self.answer.mistake}'"
        if not self.ok:
            return (
                f"{self.answer.source} ('{self.answer.mistake}') fails, but its feedback lacks "
                f"'{self.answer.expect}': {self.text}"
            )
        return "ok"


def project_with(lesson: Lesson, files: dict[str, str], root: Path) -> Path:
    """The reference project with some files replaced: what a learner who slipped once has."""
    project = reference_project(lesson, root / "source")
    for rel, text in files.items():
        target = project / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return project


def solution_paths(lesson: Lesson, models: list[str]) -> list[str]:
    """Project-relative paths of the solution files that define these models."""
    wanted = {m.lower() for m in models}
    return sorted(
        p.relative_to(lesson.solution_dir).as_posix()
        for p in lesson.solution_dir.rglob("*.sql")
        if p.stem.lower() in wanted
    )


def slot_root(lesson: Lesson) -> Path:
    """A scratch folder per proving thread, kept between gradings: its build folders keep
    `target/`, so dbt parses only what changed (partial parsing) instead of the whole project."""
    return get_settings().data_dir / "proofs" / lesson.id / f"slot{threading.get_ident()}"


def grade_with_files(lesson: Lesson, step_ids: list[str], files: dict[str, str]):
    """Grade the reference project with `files` laid over it; (feedbacks, grading). A proof
    reads a step's first failure, so the feedback stops there (VERDICT_PROOF)."""
    root = slot_root(lesson)
    project = project_with(lesson, files, root)
    steps = [find_step(lesson, s) for s in step_ids]
    return grade_with_builds(f"proof_{lesson.id}_{root.name}", lesson, root, project, steps, VERDICT_PROOF)


def grade_files(lesson: Lesson, step_ids: list[str], files: dict[str, str]) -> list[StepFeedback]:
    return grade_with_files(lesson, step_ids, files)[0]


def in_parallel(lesson: Lesson, items: list, work) -> list:
    """One grading per warm worker at a time: proofs are many small, independent gradings. The
    reference on the main seeds is built first: every proof's first build starts from its
    seeded warehouse instead of running `dbt seed` itself."""
    reference_build(lesson, MAIN_SEEDS)
    with ThreadPoolExecutor(max_workers=max(1, get_settings().workers)) as pool:
        return list(pool.map(work, items))


def prove_wrong_answers(lesson: Lesson) -> list[WrongAnswerProof]:
    def prove(indexed: tuple[int, WrongAnswer]) -> WrongAnswerProof:
        index, answer = indexed
        try:
            feedback = grade_files(lesson, [answer.step_id], answer.files)[0]
            return WrongAnswerProof(answer, feedback)
        except Exception as exc:  # noqa: BLE001 - one broken answer must not hide the others
            return WrongAnswerProof(answer, None, error=f"{answer.source}: {exc}")

    return in_parallel(lesson, list(enumerate(wrong_answers(lesson))), prove)
