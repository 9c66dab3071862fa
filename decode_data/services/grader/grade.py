"""Grade one step of a lesson for one learner.

The learner's project is built on the lesson's seeds and then on its variant seeds (a hidden
data set of the same shape); a step passes only when every check passes on both, so an answer
that hard-codes numbers fails. Checks are evaluated in the author's order and the first one
that fails is what the learner reads first.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from decode_data.models import User
from decode_data.services.grader.builds import (
    MAIN_SEEDS,
    Build,
    build,
    built_reference,
    reference_build,
    snapshot_project,
)
from decode_data.services.grader.checks import CHECKS
from decode_data.services.grader.feedback import CheckOutcome, StepFeedback
from decode_data.services.learner_lock import learner_lock
from decode_data.services.lessons import Lesson, Step
from decode_data.services.workspace import ensure_workspace

VARIANT_SEEDS, BAD_SEEDS = "seeds_variant", "seeds_bad"
READS_RELATIONS = ("exists", "relation")  # check kinds that read a model's rows back
READS_TESTS = ("dbt_tests", "tests_pass", "tests_catch", "unit_tests", "tests_match")  # ... test results
VARIANT_NOTE = (
    "Your work gives the right answer on the lesson's data but not on another data set of "
    "the same shape, which the grader also uses. Did you hard-code a value or a row? "
)


class LessonError(RuntimeError):
    """The lesson itself is broken (its reference solution does not build): a bug for authors."""


def find_step(lesson: Lesson, step_id: str) -> Step:
    for step in lesson.steps:
        if step.id == step_id:
            return step
    raise ValueError(f"Lesson '{lesson.id}' has no step '{step_id}'")


def seed_sets(lesson: Lesson) -> list[str]:
    return [s for s in (MAIN_SEEDS, VARIANT_SEEDS) if (lesson.dir / s).is_dir()]


def check_seeds(check: dict) -> str | None:
    """A check bound to one seed set (its own bad rows), or None for the main and variant sets."""
    if check["kind"] == "tests_catch" and not check.get("seeds"):
        return MAIN_SEEDS if check.get("broken") else BAD_SEEDS  # broken versions are built on the main set
    return check.get("seeds")


def builds_needed(lesson: Lesson, steps: list[Step]) -> list[str]:
    needed = seed_sets(lesson)
    for step in steps:
        for check in step.checks:
            own = check_seeds(check)
            if own and own not in needed:
                if not (lesson.dir / own).is_dir():
                    raise LessonError(f"'{lesson.id}' step '{step.id}' needs the seed set {own}/")
                needed.append(own)
    return needed


def tests_read(steps: list[Step]) -> bool:
    """Whether any check of the steps reads what the project's tests did: a build for steps that
    read none leaves the tests out (they are often a third of a build)."""
    return any(check["kind"] in READS_TESTS or check.get("broken") for step in steps for check in step.checks)


def relations_read(lesson: Lesson, steps: list[Step]) -> dict[str, list[str]]:
    """Seed set -> the relations the steps' checks read there: a learner's build reads back only
    those (any other is read if a check asks for it after all)."""
    read: dict[str, list[str]] = {}
    for step in steps:
        for check in step.checks:
            model = check.get("model")
            if check["kind"] in READS_RELATIONS and isinstance(model, str):
                own = check_seeds(check)
                for seeds in [own] if own else seed_sets(lesson):
                    read.setdefault(seeds, [])
                    if model.lower() not in read[seeds]:
                        read[seeds].append(model.lower())
    return read


@dataclass(frozen=True)
class Mode:
    """How a grading runs.

    eager builds every seed set at once (a learner waits for one build, not three); a proof
    grades many answers side by side instead, and builds a set only when a check needs it.
    first_failure_only ends a step's checks at the first that fails: whether it passes, and
    what a learner reads first, are the same; the checks after it, and the builds only they
    need (a bad seed set's), are spared."""

    eager: bool = True
    first_failure_only: bool = False


LEARNER = Mode()  # every check, every seed set built at once
VERDICT_PROOF = Mode(eager=False, first_failure_only=True)  # `lessons check`: wrong answers, starters


class _Grading:
    """The builds of one grading request: every seed set built at once, on as many workers.

    `relations` (seed set -> names) is what a build reads back with itself: what the checks
    read (relations_read). Anything else, for a learner or a lesson proof alike, is read once,
    the first time something asks for it (Build.relation). `tests` False builds the learner's
    project without its tests (no check reads them); the broken versions their tests must
    catch keep them."""

    def __init__(
        self,
        key: str,
        lesson: Lesson,
        root: Path,
        project: Path,
        relations: dict[str, list[str]],
        tests: bool = True,
        mode: Mode = LEARNER,
    ):
        self.key, self.lesson, self.root, self.project = key, lesson, root, project
        self.relations, self.tests, self.mode = relations, tests, mode
        self.builds: dict[str, Build] = {}
        self.references: dict[str, Build] = {}

    def _reads(self, seeds: str | None) -> list[str]:
        return self.relations.get(seeds, [])

    def prepare(self, seed_names: list[str]) -> None:
        """Build the learner's project (and the reference, once per lesson) on every seed set in
        parallel: a check answers in the time of one build, not of three."""
        jobs = [(self._learner_build, s) for s in seed_names if s not in self.builds]
        jobs += [(self._reference_build, s) for s in seed_names if s not in self.references]
        with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
            for future in [pool.submit(fn, seeds) for fn, seeds in jobs]:
                future.result()

    def _learner_build(self, seeds: str) -> None:
        self.builds[seeds] = build(
            f"{self.key}.grade.{seeds}",
            self.lesson.id,
            self.root / "grading" / seeds,
            self.project,
            self.lesson.dir / seeds,
            seeds,
            seeded_from=built_reference(self.lesson, seeds),
            reuse=True,
            relations=self._reads(seeds),
            tests=self.tests,
        )

    def _reference_build(self, seeds: str) -> None:
        made = reference_build(self.lesson, seeds)
        if not made.built:
            errors = "; ".join(e.message.splitlines()[0] for e in made.result.errors[:3])
            raise LessonError(
                f"the reference solution of '{self.lesson.id}' does not build on "
                f"{seeds}: {errors or made.result.status}"
            )
        self.references[seeds] = made

    def broken(self, index: int, files: dict[str, str], seeds: str = MAIN_SEEDS) -> Build:
        """The learner's project with a model swapped for a broken version (their tests' target)."""
        name = f"broken{index}"
        if name not in self.builds:
            self.builds[name] = build(
                f"{self.key}.grade.{name}",
                self.lesson.id,
                self.root / "grading" / name,
                self.project,
                self.lesson.dir / seeds,
                seeds,
                overlay=files,
                seeded_from=built_reference(self.lesson, seeds),
                reuse=True,
                relations=self._reads(None),
            )
        return self.builds[name]

    def learner(self, seeds: str) -> Build:
        if seeds not in self.builds:
            self.prepare([seeds])
        return self.builds[seeds]

    def reference(self, seeds: str) -> Build:
        if seeds not in self.references:
            self.prepare([seeds])
        return self.references[seeds]


def _evaluate(step: Step, grading: _Grading, seeds: str) -> dict[int, CheckOutcome]:
    """Outcomes by check index on one seed set; a check bound to its own seed set runs once,
    with the main set."""
    outcomes = {}
    for index, check in enumerate(step.checks):
        kind = CHECKS.get(check["kind"])
        if kind is None:
            raise LessonError(f"unknown check kind '{check['kind']}' in lesson '{grading.lesson.id}'")
        own = check_seeds(check)
        if own and seeds != MAIN_SEEDS:
            continue
        on = own or seeds
        if check.get("broken") and not check.get("seeds"):
            outcomes[index] = _catches_broken(check, grading, kind)
            continue
        outcomes[index] = kind(check, grading.learner(on), grading.reference(on))
        if check.get("broken") and outcomes[index].passed:
            outcomes[index] = _catches_broken(check, grading, kind)
        _mention_warnings(outcomes[index], check, grading.learner(on))
        if grading.mode.first_failure_only and not outcomes[index].passed:
            break
    return outcomes


def _mention_warnings(outcome: CheckOutcome, check: dict, learner: Build) -> None:
    """A check that fails on a model the learner configured with a misspelt key, or described
    under a misspelt name: that slip is the likely cause, so the learner reads it with the check."""
    model = check.get("model")
    if outcome.passed or not model:
        return
    for warning in learner.result.warnings:
        if (warning.node or "").endswith(f".{model}") or warning.message.endswith(f"Did you mean {model}?"):
            where = f"{warning.path}:{warning.line}: " if warning.path and warning.line else ""
            outcome.message += f" {where}{warning.message}"


def _catches_broken(check: dict, grading: _Grading, kind) -> CheckOutcome:
    """The learner's tests must also fail on each broken version of the model the lesson ships."""
    outcome = None
    for number, version in enumerate(check["broken"]):
        learner = grading.broken(number, version["files"])
        outcome = kind({k: v for k, v in check.items() if k != "broken"}, learner, learner)
        if not outcome.passed:
            outcome.message = (
                f"Your tests pass on a broken version of {check.get('model') or 'the model'} "
                f"({version['mistake']}): add a test that catches it."
            )
            return outcome
    return outcome


def grade_step(session: Session, user: User, lesson: Lesson, step_id: str) -> StepFeedback:
    return grade_steps(session, user, lesson, [step_id])[0]


def grade_steps(
    session: Session, user: User, lesson: Lesson, step_ids: list[str] | None = None, mode: Mode = LEARNER
) -> list[StepFeedback]:
    """Grade several steps on the same builds (the learner's files do not change in between)."""
    steps = [find_step(lesson, s) for s in step_ids] if step_ids else list(lesson.steps)
    paths = ensure_workspace(session, user, lesson)
    # The grade's builds (several seed sets, broken versions later) all copy one snapshot,
    # taken under the learner's lock: a save meanwhile is graded next time, never half.
    with learner_lock(user.warehouse_key):
        source = snapshot_project(paths.project, paths.root / "grading" / "snapshot")
    return grade_project(user.warehouse_key, lesson, paths.root, source, steps, mode=mode)


def grade_project(
    key: str, lesson: Lesson, root: Path, project: Path, steps: list[Step], mode: Mode = LEARNER
) -> list[StepFeedback]:
    """Grade steps of any project folder (a learner's, or a wrong answer a lesson proves)."""
    return grade_with_builds(key, lesson, root, project, steps, mode)[0]


def grade_with_builds(
    key: str, lesson: Lesson, root: Path, project: Path, steps: list[Step], mode: Mode = LEARNER
) -> tuple[list[StepFeedback], _Grading]:
    """grade_project, also handing back the builds (a mutation score compares them)."""
    grading = _Grading(key, lesson, root, project, relations_read(lesson, steps), tests_read(steps), mode)
    if mode.eager:
        grading.prepare(builds_needed(lesson, steps))
    return [_grade(step, grading) for step in steps], grading


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
    return StepFeedback(
        lesson_id=lesson.id,
        step_id=step.id,
        checks=outcomes,
        passed=bool(outcomes) and all(o.passed for o in outcomes),
        elapsed_s=time.monotonic() - started,
    )
