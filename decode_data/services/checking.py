"""Check my work": grade steps and count the attempts, the same for the UI, the API and the CLI."""

from __future__ import annotations

import time

from sqlmodel import Session

from decode_data.models import User
from decode_data.services import history, progress
from decode_data.services.build_record import warehouse_notes
from decode_data.services.grader import grade_steps
from decode_data.services.grader.feedback import StepFeedback
from decode_data.services.lessons import Lesson
from decode_data.services.starter_placeholders import say_untouched, untouched
from decode_data.services.workspace import workspace_paths


def check_steps(session: Session, user: User, lesson: Lesson, step_ids: list[str] | None = None) -> list[StepFeedback]:
    """Grade the steps (all when None) on one build and record one attempt for each, with the
    time the learner waited (the builds are shared, so each step's own grading takes none)."""
    started = time.monotonic()
    results = grade_steps(session, user, lesson, step_ids)
    waited = time.monotonic() - started
    paths = workspace_paths(user.warehouse_key, lesson.id)
    for feedback in results:
        step = next(s for s in lesson.steps if s.id == feedback.step_id)
        models = [c["model"] for c in step.checks if isinstance(c.get("model"), str)]
        feedback.elapsed_s = waited
        say_untouched(feedback, untouched(paths, lesson, models))
        feedback.warehouse = warehouse_notes(paths, models)
        progress.record_attempt(session, user, lesson, feedback.step_id, feedback.passed)
        history.record(
            session,
            user,
            lesson.id,
            "check",
            f"check:{feedback.step_id}",
            "passed" if feedback.passed else "failed",
            feedback.elapsed_s,
        )
    return results


def check_step(session: Session, user: User, lesson: Lesson, step_id: str) -> StepFeedback:
    return check_steps(session, user, lesson, [step_id])[0]
