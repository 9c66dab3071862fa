"""The app database on a real PostgreSQL server: migrations match the models, and the
workspace's edit upsert (dialect-specific SQL) keeps one row per file with the latest text."""

from __future__ import annotations

import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

from decode_data.db import get_engine, upgrade_database
from decode_data.models import ModelEdit
from decode_data.services.learners import get_or_create_learner
from decode_data.services.workspace import read_file, save_file


def test_migrations_and_edits_on_postgresql(settings_env, lesson, pg_url):
    upgrade_database(pg_url)
    engine = get_engine(pg_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    with Session(engine) as session:
        user = get_or_create_learner(session, f"pg_{uuid.uuid4().hex[:10]}")
        for text in ("select 1 as v\n", "select 2 as v\n"):
            save_file(session, user, lesson, "models/staging/stg_orders.sql", text)
        edits = session.exec(select(ModelEdit).where(ModelEdit.user_id == user.id)).all()
        assert [(e.path, e.content) for e in edits] == [("models/staging/stg_orders.sql", "select 2 as v\n")]
        assert read_file(user, lesson, "models/staging/stg_orders.sql") == "select 2 as v\n"
