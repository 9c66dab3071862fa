"""Mutation testing of a lesson: does each step's grader reject broken versions of its solution?

Hand-written wrong answers cover the mistakes an author thought of; generated mutants (a join
flipped, a `>=` turned into `>`, a predicate or a coalesce dropped, ...) cover the rest. A
mutant that changes what the project builds on either seed set but still passes the step
exposes a missing check or missing data. One that changes nothing on either set is equivalent
there and does not count; a lesson may also list survivors it accepts, with the reason, in
`wrong_answers/equivalent_mutants.yml` (`- {step, mutant: <description>, reason}`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from decode_data.services.authoring.mutants import Mutant, sql_mutants
from decode_data.services.authoring.proofs import grade_with_files, in_parallel
from decode_data.services.grader.builds import Build
from decode_data.services.grader.compare import compare_tables
from decode_data.services.grader.grade import seed_sets
from decode_data.services.lessons import Lesson, Step

TARGET_PERCENT = 95.0
MUTANTS_PER_FILE = 12


@dataclass
class StepScore:
    step_id: str
    killed: int = 0
    equivalent: int = 0  # changes nothing the seed sets can show
    accepted: int = 0  # survivors the lesson lists as equivalent, with a reason
    broken: int = 0  # did not build at all: not a meaningful mutant
    survivors: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float:
        counted = self.killed + len(self.survivors)
        return 100.0 * self.killed / counted if counted else 100.0

    @property
    def target(self) -> float:
        return TARGET_PERCENT

    @property
    def ok(self) -> bool:
        return self.percent >= TARGET_PERCENT

    @property
    def label(self) -> str:
        counted = self.killed + len(self.survivors)
        return f"{self.percent:.0f}% ({self.killed}/{counted})" if counted else "n/a"


def graded_models(step: Step) -> list[str]:
    """The models a step grades by their data against the final reference."""
    return [c["model"] for c in step.checks if c["kind"] == "relation" and not c.get("expected_sql")]


def _accepted(lesson: Lesson) -> set[tuple[str, str]]:
    path = lesson.dir / "wrong_answers" / "equivalent_mutants.yml"
    if not path.is_file():
        return set()
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {(e["step"], e["mutant"]) for e in entries if e.get("reason")}


def step_mutants(lesson: Lesson, step: Step) -> list[Mutant]:
    from decode_data.services.authoring.proofs import solution_paths

    paths = solution_paths(lesson, graded_models(step))
    return [
        m
        for path in paths
        for m in sql_mutants((lesson.solution_dir / path).read_text(encoding="utf-8"), path, MUTANTS_PER_FILE)
    ]


def _changes_result(grading, seeds: list[str]) -> bool:
    for name in seeds:
        mine, reference = grading.learner(name), grading.reference(name)
        if _differs(mine, reference):
            return True
    return False


def _differs(mine: Build, reference: Build) -> bool:
    """Any model's rows differ (seeds are the same data; snapshots carry the run's clock)."""
    models = {
        n["name"].lower() for n in reference.result.lineage.get("nodes", {}).values() if n["resource_type"] == "model"
    }
    for name in sorted(models & set(reference.relations)):
        expected, actual = reference.table(name), mine.table(name)
        if actual is None or expected is None:
            return actual is not expected
        if compare_tables(expected, actual) is not None:
            return True
    return False


def _grade_mutant(lesson: Lesson, step: Step, mutant: Mutant) -> str:
    feedbacks, grading = grade_with_files(lesson, [step.id], {mutant.path: mutant.text})
    if not grading.learner(seed_sets(lesson)[0]).built:
        return "broken"
    if not feedbacks[0].passed:
        return "killed"
    return "survived" if _changes_result(grading, seed_sets(lesson)) else "equivalent"


def score_step(lesson: Lesson, step: Step) -> StepScore:
    score = StepScore(step.id)
    accepted = _accepted(lesson)
    mutants = step_mutants(lesson, step)
    verdicts = in_parallel(lesson, mutants, lambda mutant: _grade_mutant(lesson, step, mutant))
    for mutant, verdict in zip(mutants, verdicts, strict=False):
        label = f"{mutant.path}: {mutant.description}"
        if verdict == "survived" and (step.id, mutant.description) in accepted:
            score.accepted += 1
        elif verdict == "survived":
            score.survivors.append(label)
        else:
            setattr(score, verdict, getattr(score, verdict) + 1)
    return score


def mutation_scores(lesson: Lesson) -> dict[str, StepScore]:
    return {step.id: score_step(lesson, step) for step in lesson.steps if graded_models(step)}
