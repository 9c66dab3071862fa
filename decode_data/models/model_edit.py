"""The latest saved content of one learner file, so a lost workspace folder can be rebuilt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from decode_data.models.base import UTCDateTime, utcnow


class ModelEdit(SQLModel, table=True):
    __tablename__ = "model_edits"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id", "path"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    lesson_id: str = Field(max_length=64)
    path: str = Field(max_length=255)  # project-relative POSIX path, normalized by save_policy
    content: str = Field(sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
