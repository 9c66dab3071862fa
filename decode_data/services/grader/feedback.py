"""What the grader tells a learner: plain data, ready for the UI, the CLI and the JSON API."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Stages in the order a learner can fix them.
STAGES = ("compile", "relation", "columns", "row_count", "values", "order", "types", "graph", "tests", "sql")


@dataclass
class CheckOutcome:
    kind: str
    passed: bool
    message: str = ""
    stage: str | None = None
    model: str | None = None
    seeds: str = "seeds"  # the seed set it was evaluated on
    path: str | None = None
    line: int = 0
    hint: str = ""  # the lesson author's advice for this check
    missing_columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    expected_rows: int = 0
    actual_rows: int = 0
    diff: dict | None = None  # {columns, missing, extra, missing_total, extra_total}
    diagnosis: str = ""  # what differs, in sentences a beginner can act on (shown first)
    examples: dict | None = None  # {columns: [row, column, expected, got], rows}: the evidence
    shapes: list[str] = field(default_factory=list)  # classic mistakes recognised (case, fan_out, ...)


@dataclass
class StepFeedback:
    lesson_id: str
    step_id: str
    passed: bool
    checks: list[CheckOutcome]
    elapsed_s: float = 0.0
    # The learner's own warehouse (the checks ran on a fresh build): what is missing or stale there.
    warehouse: list[str] = field(default_factory=list)

    @property
    def first_failure(self) -> CheckOutcome | None:
        return next((c for c in self.checks if not c.passed), None)

    @property
    def summary(self) -> str:
        failure = self.first_failure
        if failure is None:
            return "All checks pass. Well done!"
        where = f"{failure.path}:{failure.line}: " if failure.path and failure.line else ""
        return where + failure.message

    def to_dict(self) -> dict:
        data = asdict(self)
        data["summary"] = self.summary
        return data
