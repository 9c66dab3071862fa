"""A model the learner has not touched yet gets one line that says so, not every finding of
every check about it ("not a typed table name" about a file that holds no table name at all).

A placeholder is a starter file that reads no table (`select 'replace me' as todo`). A starter
model that does read one is the lesson's own code, handed to the learner to test or fix: leaving
it as it is can be right, and its checks say what is wrong, not that it is a placeholder.
"""

from __future__ import annotations

from decode_data.services.build_record import project_file
from decode_data.services.grader.feedback import CheckOutcome, StepFeedback
from decode_data.services.grader.model_sql import reads_a_table
from decode_data.services.lessons import Lesson
from decode_data.services.workspace import WorkspacePaths


def untouched(paths: WorkspacePaths, lesson: Lesson, models: list[str]) -> dict[str, str]:
    """model name -> project path, for the models whose file is still exactly the starter's
    placeholder."""
    found = {}
    for name in dict.fromkeys(models):
        path = project_file(paths.project, name)
        starter = lesson.starter_dir / path
        if not path or not starter.is_file():
            continue
        try:
            text = starter.read_bytes()
            if (paths.project / path).read_bytes() == text and not reads_a_table(text.decode(errors="replace")):
                found[name] = path
        except OSError:
            continue
    return found


def say_untouched(feedback: StepFeedback, placeholders: dict[str, str]) -> None:
    """Replace the failing checks about each untouched model with one line about it. Failing
    checks that name no model (a data check, the project's tests) go too: on a project with a
    placeholder in it they describe the placeholder, not the learner's work."""
    if feedback.passed or not placeholders:
        return
    about = {c.model for c in feedback.checks if not c.passed and c.model in placeholders}
    if not about:
        return
    lines = [
        CheckOutcome(
            kind="starter",
            passed=False,
            message=f"{placeholders[name]} still holds the starter placeholder: write {name} as this step asks.",
            stage="compile",
            model=name,
            path=placeholders[name],
        )
        for name in placeholders
        if name in about
    ]
    feedback.checks = lines + [c for c in feedback.checks if c.passed or (c.model and c.model not in about)]
