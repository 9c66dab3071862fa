"""learner progress

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Hand-checked against decode_data/models/progress.py (tests/test_db.py compares them after upgrade).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learner_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.String(length=64), nullable=False),
        sa.Column("completed_steps", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.JSON(), nullable=False),
        sa.Column("hints_used", sa.JSON(), nullable=False),
        sa.Column("solutions_revealed", sa.JSON(), nullable=False),
        sa.Column("quiz_answers", sa.JSON(), nullable=False),
        sa.Column("quiz_score", sa.Float(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("queries", sa.Integer(), nullable=False),
        sa.Column("current_step", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_learner_progress_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner_progress")),
        sa.UniqueConstraint("user_id", "lesson_id", name=op.f("uq_learner_progress_user_id_lesson_id")),
    )
    op.create_index(op.f("ix_learner_progress_lesson_id"), "learner_progress", ["lesson_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_learner_progress_lesson_id"), table_name="learner_progress")
    op.drop_table("learner_progress")
