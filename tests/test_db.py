"""The app database: migrations match the models, and the tables keep their promises."""

from __future__ import annotations

from datetime import UTC

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

import decode_data.models  # noqa: F401
from decode_data.db import alembic_config, get_engine, normalize_url, session_scope, upgrade_database
from decode_data.models import WAREHOUSE_KEY_RE, ModelEdit, User, new_warehouse_key
from decode_data.services.learners import get_learner, get_or_create_learner


def test_migration_matches_models(db_session):
    with get_engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()  # one head, no fork
        assert context.get_current_revision() == head


def test_compare_would_notice_a_drift(db_session):
    """Guard for the test above: a model the migration lacks must show up as a difference."""
    with get_engine().connect() as connection:
        connection.execute(text("DROP TABLE model_edits"))
        context = MigrationContext.configure(connection)
        diff = compare_metadata(context, SQLModel.metadata)
    assert any(d[0] == "add_table" and d[1].name == "model_edits" for d in diff)


def test_upgrade_is_idempotent_and_creates_the_sqlite_folder(settings_env, tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'app.db'}"
    upgrade_database(url)
    upgrade_database(url)
    tables = set(inspect(get_engine(url)).get_table_names())
    assert {"users", "model_edits", "alembic_version"} <= tables
    get_engine(url).dispose()


def test_sqlite_enforces_foreign_keys(db_session):
    assert db_session.connection().execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_postgresql_urls_use_psycopg():
    assert normalize_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalize_url("postgresql+psycopg2://h/db") == "postgresql+psycopg2://h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_warehouse_keys_are_safe_and_unique(db_session):
    keys = {new_warehouse_key() for _ in range(1000)}
    assert len(keys) == 1000
    assert all(WAREHOUSE_KEY_RE.match(k) and k == k.lower() for k in keys)
    a = get_or_create_learner(db_session, "ada")
    b = get_or_create_learner(db_session, "Ada Lovelace")
    assert a.warehouse_key != b.warehouse_key
    assert all(WAREHOUSE_KEY_RE.match(u.warehouse_key) for u in (a, b))
    db_session.add(User(username="clash", warehouse_key=a.warehouse_key))
    with pytest.raises(IntegrityError):
        db_session.commit()


def test_learner_is_created_once_without_password(db_session):
    ada = get_or_create_learner(db_session, "  ada ")
    assert ada.id is not None and ada.username == "ada" and ada.password_hash is None
    assert get_or_create_learner(db_session, "ada").id == ada.id
    assert get_learner(db_session, "ada").id == ada.id
    assert get_learner(db_session, "nobody") is None
    assert db_session.exec(select(User)).all() == [ada]
    with pytest.raises(ValueError):
        get_or_create_learner(db_session, "   ")


def test_usernames_and_emails_are_unique(db_session):
    db_session.add(User(username="ada", email="ada@example.com"))
    db_session.add(User(username="grace"))  # several users without email is fine
    db_session.add(User(username="linus"))
    db_session.commit()
    db_session.add(User(username="ada2", email="ada@example.com"))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()
    db_session.add(User(username="ada"))
    with pytest.raises(IntegrityError):
        db_session.commit()


def test_datetimes_come_back_aware_utc(db_session, settings_env):
    ada = get_or_create_learner(db_session, "ada")
    with Session(get_engine()) as fresh:
        loaded = fresh.get(User, ada.id)
        assert loaded.created_at.tzinfo is not None
        assert loaded.created_at.utcoffset() == UTC.utcoffset(None)
        assert abs((loaded.created_at - ada.created_at).total_seconds()) < 1e-3


def test_model_edit_is_unique_per_file_and_removed_with_its_user(db_session):
    ada = get_or_create_learner(db_session, "ada")
    db_session.add(ModelEdit(user_id=ada.id, lesson_id="l1", path="models/a.sql", content="select 1"))
    db_session.add(ModelEdit(user_id=ada.id, lesson_id="l2", path="models/a.sql", content="select 2"))
    db_session.commit()
    db_session.add(ModelEdit(user_id=ada.id, lesson_id="l1", path="models/a.sql", content="again"))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()
    db_session.delete(db_session.get(User, ada.id))
    db_session.commit()
    assert db_session.exec(select(ModelEdit)).all() == []


def test_session_scope_commits_or_rolls_back(db_session):
    with session_scope() as session:
        session.add(User(username="kept"))
    with pytest.raises(RuntimeError), session_scope() as session:
        session.add(User(username="dropped"))
        session.flush()
        raise RuntimeError("boom")
    with session_scope() as session:
        names = [u.username for u in session.exec(select(User))]
    assert names == ["kept"]
