"""How far one learner got in one lesson: steps passed, help taken, quiz, activity counters.

One row per (learner, lesson), keyed by the lesson's id and its stable step ids, so lessons stay
files in git and a progress row survives edits to a lesson's text. The per-step facts are JSON
(plain JSON, which SQLite and PostgreSQL both store) because they are always read and written
as a whole with their row; nothing queries inside them.

JSON columns do not notice in-place changes: assign a new list or dict, never mutate one
(decode_data.services.progress does exactly that, under a row lock).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from decode_data.models.base import UTCDateTime, utcnow


class LearnerProgress(SQLModel, table=True):
    __tablename__ = "learner_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    # Indexed for the instructor's class overview (every learner of one lesson).
    lesson_id: str = Field(max_length=64, index=True)
    completed_steps: list[str] = Field(default_factory=list, sa_type=JSON)  # in completion order
    attempts: dict[str, int] = Field(default_factory=dict, sa_type=JSON)  # step id -> gradings
    hints_used: dict[str, int] = Field(default_factory=dict, sa_type=JSON)  # step id -> hints shown
    solutions_revealed: list[str] = Field(default_factory=list, sa_type=JSON)
    # JSON object keys are strings: question index as text -> chosen choice index.
    quiz_answers: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    quiz_score: float | None = None  # 0..1, None until the quiz is answered
    runs: int = 0  # dbt jobs run
    queries: int = 0  # warehouse queries run
    current_step: str | None = Field(default=None, max_length=64)  # where to continue
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
