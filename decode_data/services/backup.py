"""Back up and restore everything a learner would miss: the app database and the workspaces.

The app database is the source of truth for learners' work (every saved edit is committed
there before it reaches a file) and for their progress. A backup takes it online (SQLite's
backup API, or `pg_dump` on an exported snapshot) while the app runs, then writes every
workspace's project files *from that same snapshot* (starter files, seeds, saved edits), so
the database and the files in one backup always agree. Warehouses are left out: dbt rebuilds them
from the files (`dbt seed` / `dbt build`), and a half-written DuckDB file is worth nothing.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine, select

from decode_data.models import ModelEdit, User
from decode_data.services.lessons import LessonNotFound, get_lesson
from decode_data.services.workspace import write_project_files
from decode_data.settings import get_settings

SQLITE_FILE = "app.sqlite3"
PG_FILE = "app.pgdump"
WORKSPACES_FILE = "workspaces.tar.gz"
MANIFEST = "backup.json"


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why."""


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg_env(url: str) -> tuple[list[str], dict]:
    """libpq arguments for pg_dump/pg_restore, the password passed in the environment only."""
    parsed = make_url(url)
    args = ["--host", parsed.host or "127.0.0.1", "--port", str(parsed.port or 5432)]
    args += ["--username", parsed.username or "postgres", "--dbname", parsed.database or "postgres"]
    env = {"PATH": "/usr/bin:/bin:/usr/lib/postgresql/bin", "PGPASSWORD": parsed.password or ""}
    for version_dir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        env["PATH"] = f"{version_dir}:{env['PATH']}"  # Debian keeps pg_dump in a versioned folder
        break
    return args, env


def _write_workspaces(session: Session, archive: Path) -> int:
    """Every learner's lesson project as `session` sees it: starter files, seeds, saved edits."""
    count = 0
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive, "w:gz") as tar:
        users = {user.id: user for user in session.exec(select(User)).all()}
        pairs = sorted({(edit.user_id, edit.lesson_id) for edit in session.exec(select(ModelEdit)).all()})
        for user_id, lesson_id in pairs:
            try:
                lesson = get_lesson(lesson_id)
            except LessonNotFound:
                continue  # a lesson no longer in the catalog: its edits stay in the database
            if user_id not in users:
                continue
            user = users[user_id]
            project = Path(tmp) / user.warehouse_key / lesson_id / "project"
            project.mkdir(parents=True)
            write_project_files(session, user, lesson, project)
            count += 1
        tar.add(tmp, arcname="workspaces")
    return count


def _backup_sqlite(url: str, dest: Path) -> int:
    source, target = sqlite3.connect(_sqlite_path(url)), sqlite3.connect(dest / SQLITE_FILE)
    try:
        source.backup(target)  # a consistent copy while the app keeps writing
    finally:
        target.close()
        source.close()
    engine = create_engine(f"sqlite:///{dest / SQLITE_FILE}")
    try:
        with Session(engine) as session:  # the files come from the copy: they agree with it
            return _write_workspaces(session, dest / WORKSPACES_FILE)
    finally:
        engine.dispose()


def _backup_postgres(url: str, dest: Path) -> int:
    """pg_dump and the workspace files read one exported snapshot: they agree with each other."""
    args, env = _pg_env(url)
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as connection, connection.begin():
            snapshot = connection.exec_driver_sql("select pg_export_snapshot()").scalar()
            done = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}", "--file", str(dest / PG_FILE)]
                + args,
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
            with Session(bind=connection) as session:
                return _write_workspaces(session, dest / WORKSPACES_FILE)
    finally:
        engine.dispose()


def backup(dest: Path) -> dict:
    """Write a backup into the folder `dest` (created; must be empty); returns its manifest."""
    settings = get_settings()
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: back up into a new folder")
    dest.mkdir(parents=True, exist_ok=True)
    url = settings.database_url
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    workspaces = _backup_sqlite(url, dest) if kind == "sqlite" else _backup_postgres(url, dest)
    manifest = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": kind,
        "workspaces": workspaces,
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def restore(src: Path, force: bool = False) -> dict:
    """Restore a backup into the configured (empty, unless `force`) database and data folder."""
    settings = get_settings()
    src = Path(src)
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"{src} holds no backup ({MANIFEST} is missing or unreadable)") from None
    url = settings.database_url
    if manifest.get("database") == "sqlite":
        if not url.startswith("sqlite"):
            raise BackupError("this backup holds a SQLite database; restore it with a SQLite DATABASE_URL")
        target = _sqlite_path(url)
        if target.exists() and not force:
            raise BackupError(f"{target} exists: restore into a fresh data folder, or pass --force")
        target.parent.mkdir(parents=True, exist_ok=True)
        source, copy = sqlite3.connect(src / SQLITE_FILE), sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        if not url.startswith("postgresql"):
            raise BackupError("this backup holds a PostgreSQL database; set DATABASE_URL to one")
        args, env = _pg_env(url)
        done = subprocess.run(
            ["pg_restore", "--no-owner", *(["--clean", "--if-exists"] if force else []), *args, str(src / PG_FILE)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")
    workspaces = settings.workspaces_dir
    if workspaces.exists() and any(workspaces.iterdir()) and not force:
        raise BackupError(f"{workspaces} is not empty: restore into a fresh data folder, or pass --force")
    workspaces.mkdir(parents=True, exist_ok=True)
    with tarfile.open(src / WORKSPACES_FILE, "r:gz") as tar:
        for member in tar.getmembers():
            if not (member.isfile() or member.isdir()) or not member.name.startswith("workspaces"):
                raise BackupError(f"unexpected entry {member.name!r} in {WORKSPACES_FILE}")
        tar.extractall(workspaces.parent, filter="data")
    return manifest
