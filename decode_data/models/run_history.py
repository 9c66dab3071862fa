"""Every dbt run, warehouse query and "check my work" attempt, one row each, kept over time.

LearnerProgress only counts runs and queries; this log keeps when each happened and how it
ended, so the progress page can chart activity per day and list a learner's recent runs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from decode_data.models.base import UTCDateTime, utcnow

RUN_KINDS = ("run", "query", "check")


class RunRecord(SQLModel, table=True):
    __tablename__ = "run_history"
    # The progress page reads one learner's latest rows: newest first within a user.
    __table_args__ = (Index("ix_run_history_user_id_created_at", "user_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    lesson_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=16)  # one of RUN_KINDS
    command: str = Field(max_length=80)  # "run", "build", "query", "check:<step id>", ...
    status: str = Field(max_length=16)  # success | failed | timeout | error | passed
    elapsed_s: float = 0.0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
