"""Grade one step of a lesson for one learner.

The learner's project is built on the lesson's seeds and then on its variant seeds (a hidden
data set of the same shape); a step passes only when every check passes on both, so an answer
that hard-codes numbers fails. Checks are evaluated in the author's order and the first one
that fails is what the learner reads first.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlmodel import Session

from decode_data.models import User
from decode_data.services.grader.builds import Build, build, reference_build
from decode_data.services.grader.checks import CHECKS
from decode_data.services.grader.feedback import CheckOutcome, StepFeedback
from decode_data.services.lessons import Lesson, Step
from decode_data.services.workspace import ensure_workspace

MAIN_SEEDS, VARIANT_SEEDS, BAD_SEEDS = "seeds", "seeds_variant", "seeds_bad"
VARIANT_NOTE = ("Your work gives the right answer on the lesson's data but not on another data set of "
                "the same shape, which the grader also uses. Did you hard-code a value or a row? ")


class LessonError(RuntimeError):
    """The lesson itself is broken (its reference solution does not build): a bug for authors."""


def find_step(lesson: Lesson, step_id: str) -> Step:
    for step in lesson.steps:
        if step.id == step_id:
            return step
    raise ValueError(f"Lesson '{lesson.id}' has no step '{step_id}'")


def seed_sets(lesson: Lesson) -> list[str]:
    return [s for s in (MAIN_SEEDS, VARIANT_SEEDS) if (lesson.dir / s).is_dir()]


class _Grading:
    """The builds of one grading request, made lazily and at most once each."""

    def __init__(self, key: str, lesson: Lesson, root: Path, project: Path):
        self.key, self.lesson, self.root, self.project = key, lesson, root, project
        self.builds: dict[str, Build] = {}

    def learner(self, seeds: str) -> Build:
        if seeds not in self.builds:
            self.builds[seeds] = build(self.key, self.lesson.id, self.root / "grading" / seeds,
                                       self.project, self.lesson.dir / seeds, seeds)
        return self.builds[seeds]

    def reference(self, seeds: str) -> Build:
        made = reference_build(self.lesson, seeds)
        if not made.result.ok:
            errors = "; ".join(e.message.splitlines()[0] for e in made.result.errors[:3])
            raise LessonError(f"the reference solution of '{self.lesson.id}' does not build on "
                              f"{seeds}: {errors}")
        return made


def _evaluate(step: Step, grading: _Grading, seeds: str) -> dict[int, CheckOutcome]:
    """Outcomes by check index; tests_catch runs once, on the main set, against the bad seeds."""
    outcomes = {}
    for index, check in enumerate(step.checks):
        kind = CHECKS.get(check["kind"])
        if kind is None:
            raise LessonError(f"unknown check kind '{check['kind']}' in lesson '{grading.lesson.id}'")
        if check["kind"] == "tests_catch":
            if seeds != MAIN_SEEDS:
                continue
            bad_seeds = check.get("seeds", BAD_SEEDS)
            if not (grading.lesson.dir / bad_seeds).is_dir():
                raise LessonError(f"'{grading.lesson.id}' has a tests_catch check but no {bad_seeds}/")
            learner = grading.learner(bad_seeds)
        else:
            learner = grading.learner(seeds)
        reference = grading.reference(seeds) if check["kind"] == "relation" else learner
        outcomes[index] = kind(check, learner, reference)
    return outcomes


def grade_step(session: Session, user: User, lesson: Lesson, step_id: str) -> StepFeedback:
    return grade_steps(session, user, lesson, [step_id])[0]


def grade_steps(session: Session, user: User, lesson: Lesson,
                step_ids: list[str] | None = None) -> list[StepFeedback]:
    """Grade several steps on the same builds (the learner's files do not change in between)."""
    steps = [find_step(lesson, s) for s in step_ids] if step_ids else list(lesson.steps)
    paths = ensure_workspace(session, user, lesson)
    grading = _Grading(user.warehouse_key, lesson, paths.root, paths.project)
    return [_grade(step, grading) for step in steps]


def _grade(step: Step, grading: _Grading) -> StepFeedback:
    started = time.monotonic()
    lesson = grading.lesson
    by_check: dict[int, CheckOutcome] = {}
    for seeds in seed_sets(lesson):
        by_check.update(_evaluate(step, grading, seeds))
        failed = [o for o in by_check.values() if not o.passed]
        if failed:
            if seeds != MAIN_SEEDS:
                failed[0].message = VARIANT_NOTE + failed[0].message
            break
    outcomes = [by_check[i] for i in sorted(by_check)]
    return StepFeedback(lesson_id=lesson.id, step_id=step.id, checks=outcomes,
                        passed=bool(outcomes) and all(o.passed for o in outcomes),
                        elapsed_s=time.monotonic() - started)
