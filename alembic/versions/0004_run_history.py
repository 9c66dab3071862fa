"""run history: every dbt run, query and check attempt, for activity over time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Hand-checked against decode_data/models/run_history.py (tests/test_db.py compares them after upgrade).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("command", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("elapsed_s", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_run_history_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_history")),
    )
    op.create_index(op.f("ix_run_history_user_id"), "run_history", ["user_id"], unique=False)
    op.create_index(op.f("ix_run_history_lesson_id"), "run_history", ["lesson_id"], unique=False)
    op.create_index(op.f("ix_run_history_created_at"), "run_history", ["created_at"], unique=False)
    op.create_index(op.f("ix_run_history_user_id_created_at"), "run_history", ["user_id", "created_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_run_history_user_id_created_at"), table_name="run_history")
    op.drop_index(op.f("ix_run_history_created_at"), table_name="run_history")
    op.drop_index(op.f("ix_run_history_lesson_id"), table_name="run_history")
    op.drop_index(op.f("ix_run_history_user_id"), table_name="run_history")
    op.drop_table("run_history")
