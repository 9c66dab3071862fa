"""Backups while the app runs: `backup DEST` then `restore SRC` into a fresh data folder, and a
learner finds their edits and progress there. SQLite (the default) and a real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from decode_data import settings as settings_module
from decode_data.db import dispose_engines, get_engine, upgrade_database
from decode_data.services import progress
from decode_data.services.backup import BackupError, backup, restore
from decode_data.services.learners import get_or_create_learner
from decode_data.services.workspace import ensure_workspace, read_file, save_file

ROOT = Path(__file__).resolve().parents[1]
EDIT = ("models/stg_customers.sql", "select * from {{ ref('raw_customers') }} -- mine\n")


def _learner_works(hello_lesson) -> str:
    """A learner saves an edit and passes a step; returns their name."""
    name = f"backed_{uuid.uuid4().hex[:8]}"
    with Session(get_engine()) as session:
        user = get_or_create_learner(session, name)
        save_file(session, user, hello_lesson, *EDIT)
        progress.record_attempt(session, user, hello_lesson, "first_model", passed=True)
    return name


def _fresh_data_dir(monkeypatch, folder: Path, database_url: str | None = None) -> None:
    dispose_engines()
    monkeypatch.setenv("DECODE_DATA_DIR", str(folder))
    if database_url:
        monkeypatch.setenv("DATABASE_URL", database_url)
    settings_module.reset_settings()


def _finds_their_work(name: str, hello_lesson) -> None:
    with Session(get_engine()) as session:
        user = get_or_create_learner(session, name)
        assert read_file(user, hello_lesson, EDIT[0]) == EDIT[1]  # the folder came back as it was
        ensure_workspace(session, user, hello_lesson)  # usable as is, nothing rebuilt
        view = progress.get_progress(session, user, hello_lesson)
        assert list(view.completed_steps) == ["first_model"]


def test_backup_and_restore_on_sqlite_through_the_cli(db_session, hello_lesson, tmp_path, monkeypatch):
    name = _learner_works(hello_lesson)
    dest = tmp_path / "backup"
    done = subprocess.run(
        [sys.executable, "-m", "decode_data", "backup", str(dest)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "backed up the sqlite database and 1 workspaces" in done.stdout
    again = subprocess.run([sys.executable, "-m", "decode_data", "backup", str(dest)], cwd=ROOT, capture_output=True)
    assert again.returncode == 2 and b"is not empty" in again.stderr  # never over an older backup

    _fresh_data_dir(monkeypatch, tmp_path / "restored")
    done = subprocess.run(
        [sys.executable, "-m", "decode_data", "restore", str(dest)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    _finds_their_work(name, hello_lesson)
    with pytest.raises(BackupError, match="restore into a fresh data folder"):
        restore(dest)  # never over a live database by accident


def test_backup_and_restore_on_postgresql(settings_env, hello_lesson, pg_url, tmp_path, monkeypatch):
    _fresh_data_dir(monkeypatch, tmp_path / "live", pg_url)
    upgrade_database()
    name = _learner_works(hello_lesson)
    manifest = backup(tmp_path / "backup")
    assert manifest["database"] == "postgresql" and manifest["workspaces"] >= 1

    fresh = f"restored_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"create database {fresh}"))
    admin.dispose()
    _fresh_data_dir(monkeypatch, tmp_path / "restored", pg_url.rsplit("/", 1)[0] + "/" + fresh)
    restore(tmp_path / "backup")
    _finds_their_work(name, hello_lesson)
    dispose_engines()
