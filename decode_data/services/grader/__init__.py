"""Grading that teaches: staged feedback on a learner's step, compared with the reference."""

from decode_data.services.grader.feedback import CheckOutcome, StepFeedback
from decode_data.services.grader.grade import LessonError, find_step, grade_step, grade_steps

__all__ = ["CheckOutcome", "LessonError", "StepFeedback", "find_step", "grade_step", "grade_steps"]
