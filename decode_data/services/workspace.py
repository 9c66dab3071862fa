"""A learner's files on disk: one dbt project and one warehouse per learner per lesson.

Layout: <DECODE_DATA_DIR>/workspaces/<warehouse_key>/<lesson_id>/ is a job's root, holding
project/ (the dbt project) and warehouse.duckdb (made by dbt on first run). The disk copy is a
cache: every save is stored in the database first (ModelEdit), so a lost or pruned folder is
rebuilt from the lesson's starter files plus the learner's edits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import LargeBinary, cast, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, delete, select

from decode_data.models import WAREHOUSE_KEY_RE, ModelEdit, User, utcnow
from decode_data.services.learner_lock import learner_lock
from decode_data.services.lessons import Lesson
from decode_data.services.save_policy import (
    SERVER_OWNED,
    PathRejected,
    SaveRejected,
    check_path,
    check_save,
    content_bytes,
    is_savable_path,
    read_nofollow,
    remove_stale_temp_files,
    write_nofollow,
)
from decode_data.settings import get_settings

log = logging.getLogger(__name__)

LESSON_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
MARKER = ".last_used"
TMP_PREFIX = ".project.tmp-"
TRASH = ".trash"
SKIP_DIRS = frozenset({"target", "logs", "dbt_packages", "__pycache__"})
STALE_TMP_SECONDS = 3600


class WorkspaceMissing(FileNotFoundError):
    """The workspace folder does not exist: call ensure_workspace first."""


@dataclass(frozen=True)
class WorkspacePaths:
    root: Path  # the job's root: everything a job may write lives under it
    project: Path  # the dbt project
    warehouse: Path  # the learner's DuckDB file for this lesson


def workspace_paths(warehouse_key: str, lesson_id: str) -> WorkspacePaths:
    """Where a learner's lesson lives on disk. Both ids are validated: they become path parts."""
    if not isinstance(warehouse_key, str) or not WAREHOUSE_KEY_RE.match(warehouse_key):
        raise ValueError(f"invalid warehouse key {warehouse_key!r}")
    if not isinstance(lesson_id, str) or not LESSON_ID_RE.match(lesson_id):
        raise ValueError(f"invalid lesson id {lesson_id!r}")
    root = get_settings().workspaces_dir / warehouse_key / lesson_id
    return WorkspacePaths(root=root, project=root / "project", warehouse=root / "warehouse.duckdb")


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _touch(path: Path) -> None:
    """Create or refresh a marker file without following a symlink planted in its place."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o644)
    except OSError:
        _discard(path)
        fd = os.open(path, flags, 0o644)
    try:
        os.utime(fd)
    finally:
        os.close(fd)


# --- creating ------------------------------------------------------------------------------


def _ignore(directory: str, names: list[str]) -> set[str]:
    """Template files never copied: hidden files, build output and symlinks."""
    return {n for n in names if n.startswith(".") or n in SKIP_DIRS or os.path.islink(os.path.join(directory, n))}


def _copy_tree(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dst, symlinks=False, ignore=_ignore, dirs_exist_ok=True)
    else:
        dst.mkdir(parents=True, exist_ok=True)


def _edits(session: Session, user: User, lesson_id: str) -> list[ModelEdit]:
    query = select(ModelEdit).where(ModelEdit.user_id == user.id, ModelEdit.lesson_id == lesson_id)
    return list(session.exec(query.order_by(ModelEdit.path)))


def _replay_edits(session: Session, user: User, lesson: Lesson, project: Path) -> None:
    for edit in _edits(session, user, lesson.id):
        # The lesson may have changed since the save: apply only what is still allowed,
        # and keep the row either way (nothing a learner wrote is ever deleted here).
        if not is_savable_path(lesson, edit.path):
            log.warning("not replaying %s for user %s: the lesson no longer allows it", edit.path, user.id)
            continue
        try:
            write_nofollow(project, check_path(edit.path), content_bytes(edit.content))
        except (PathRejected, OSError) as exc:  # one odd edit must not lock the learner out
            log.warning("not replaying %s for user %s: %s", edit.path, user.id, exc)


def write_project_files(session: Session, user: User, lesson: Lesson, target: Path) -> None:
    """The learner's project as the database has it: starter files, seeds, then saved edits."""
    _copy_tree(lesson.starter_dir, target)
    _copy_tree(lesson.seeds_dir, target / "seeds")
    _replay_edits(session, user, lesson, target)


def _build_project(session: Session, user: User, lesson: Lesson, paths: WorkspacePaths) -> None:
    """Build project/ in a temp dir beside it, then rename: never a half-made workspace."""
    paths.root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=paths.root))
    try:
        os.chmod(tmp, 0o755)
        write_project_files(session, user, lesson, tmp)
        if os.path.lexists(paths.project) and not _is_real_dir(paths.project):
            _discard(paths.project)  # a stray file or symlink where the project belongs
        try:
            os.rename(tmp, paths.project)
        except OSError:
            if not _is_real_dir(paths.project):
                raise  # not a lost race with another request: a real failure
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ensure_workspace(session: Session, user: User, lesson: Lesson) -> WorkspacePaths:
    """The learner's workspace for this lesson, created (or rebuilt) on first use.

    Cheap when it exists: one lstat and one touch of the last-used marker read by pruning.
    """
    paths = workspace_paths(user.warehouse_key, lesson.id)
    if not _is_real_dir(paths.project):
        _build_project(session, user, lesson, paths)
    _touch(paths.root / MARKER)
    return paths


# --- saving and reading --------------------------------------------------------------------


def _upsert_edit(session: Session, user: User, lesson_id: str, path: str, text: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = {"sqlite": sqlite_insert, "postgresql": pg_insert}[dialect]
    statement = insert(ModelEdit).values(
        user_id=user.id, lesson_id=lesson_id, path=path, content=text, updated_at=utcnow()
    )
    statement = statement.on_conflict_do_update(
        index_elements=["user_id", "lesson_id", "path"],
        set_={"content": statement.excluded.content, "updated_at": statement.excluded.updated_at},
    )
    session.exec(statement)


def _check_quota(session: Session, user: User, lesson_id: str, path: str, size: int) -> None:
    """A lesson's saved files stay within DECODE_DATA_MAX_WORKSPACE_FILES and _BYTES: a save past
    either is refused with the reason, and everything saved before stays as it was."""
    settings = get_settings()
    size_of = (
        func.octet_length(ModelEdit.content)
        if session.get_bind().dialect.name == "postgresql"
        else func.length(cast(ModelEdit.content, LargeBinary))  # SQLite: bytes of the UTF-8 text
    )
    rows = session.exec(
        select(ModelEdit.path, size_of).where(ModelEdit.user_id == user.id, ModelEdit.lesson_id == lesson_id)
    ).all()
    others = [(p, n or 0) for p, n in rows if p != path]
    if len(others) + 1 > settings.max_workspace_files:
        raise SaveRejected(
            f"This lesson already has {len(others)} saved files, the most a workspace may hold: "
            "delete or reuse one (a reset starts over)."
        )
    if sum(n for _, n in others) + size > settings.max_workspace_bytes:
        raise SaveRejected(
            f"Saving this would take your files in this lesson past {settings.max_workspace_bytes:,} bytes, "
            "the most a workspace may hold: make a file smaller first."
        )


def save_file(session: Session, user: User, lesson: Lesson, rel_path: str, content: bytes | str) -> str:
    """Validate, store in the database, then write to disk. Returns the normalized path.

    Database first: once the commit returns the edit survives a crash or a failed disk write
    (the folder is rebuilt from the database), whereas a file written first could be lost
    with its folder before the database heard of it.
    """
    path = check_save(lesson, rel_path, content, get_settings().max_file_bytes)
    data = content_bytes(content)
    # Under the learner's lock: a run or a grade sees the project before this save or after
    # it (file and parse cache alike), never in between.
    with learner_lock(user.warehouse_key):
        _check_quota(session, user, lesson.id, path, len(data))
        paths = ensure_workspace(session, user, lesson)
        _upsert_edit(session, user, lesson.id, path, data.decode("utf-8"))
        session.commit()
        try:
            write_nofollow(paths.project, path, data)
        except PathRejected as exc:
            raise SaveRejected(
                f"Your change is saved, but it could not be written to the workspace "
                f"({exc.reason}). Rebuild the workspace to restore it."
            ) from None
        if path.startswith(FULL_PARSE_DIRS):
            forget_partial_parse(paths.project)
    return path


def sync_saved_edits(session: Session, user: User, lesson: Lesson) -> list[str]:
    """Rewrite every file whose disk copy is not its saved edit; returns their paths.

    A save commits to the database before it writes the file, so a server killed (or a disk
    full) between the two leaves the database ahead of the disk. The lesson page calls this
    when it opens, so the editor and dbt see what was saved, and a later save built on the
    stale disk copy cannot overwrite the saved edit.
    """
    paths = ensure_workspace(session, user, lesson)
    remove_stale_temp_files(paths.project)
    max_bytes = get_settings().max_file_bytes
    rewritten = []
    for edit in _edits(session, user, lesson.id):
        if not is_savable_path(lesson, edit.path):
            continue
        data = content_bytes(edit.content)
        try:
            on_disk = read_nofollow(paths.project, check_path(edit.path), max_bytes)
        except FileNotFoundError:
            on_disk = None
        except (PathRejected, OSError):
            continue  # not a regular file: a rebuild restores it, as _replay_edits would
        if on_disk != data:
            write_nofollow(paths.project, check_path(edit.path), data)
            rewritten.append(edit.path)
    if any(path.startswith(FULL_PARSE_DIRS) for path in rewritten):
        forget_partial_parse(paths.project)
    return rewritten


# dbt 1.11's partial parsing keeps stale nodes when a macro or a generic test changes (a
# renamed test macro leaves the old tests in the manifest): such a change parses fully.
FULL_PARSE_DIRS = ("macros/", "tests/")


def forget_partial_parse(project: Path) -> None:
    (project / "target" / "partial_parse.msgpack").unlink(missing_ok=True)


def _visible_path(rel_path: str) -> str:
    path = check_path(rel_path)
    if path.split("/", 1)[0] in SKIP_DIRS:
        raise PathRejected(f"{path} is build output and cannot be opened here.")
    return path


def read_file(user: User, lesson: Lesson, rel_path: str) -> str:
    """The text of one project file. Raises PathRejected, WorkspaceMissing or FileNotFoundError."""
    paths = workspace_paths(user.warehouse_key, lesson.id)
    path = _visible_path(rel_path)
    if not _is_real_dir(paths.project):
        raise WorkspaceMissing(f"no workspace for lesson {lesson.id}")
    data = read_nofollow(paths.project, path, get_settings().max_file_bytes)
    return data.decode("utf-8", errors="replace")


def list_files(user: User, lesson: Lesson) -> list[dict]:
    """Project files a learner may see, sorted: [{"path": "models/x.sql", "editable": True}]."""
    paths = workspace_paths(user.warehouse_key, lesson.id)
    if not _is_real_dir(paths.project):
        raise WorkspaceMissing(f"no workspace for lesson {lesson.id}")
    return [
        {"path": path, "editable": is_savable_path(lesson, path)}
        for path in visible_files(paths.project)
        if path.rsplit("/", 1)[-1].lower() not in SERVER_OWNED
    ]


def visible_files(project: Path) -> list[str]:
    """Project-relative paths of the regular files a learner has, sorted: no hidden files, no
    build output, never through a symlink."""
    found = []
    for directory, dirs, names in os.walk(project, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS]
        base = Path(directory).relative_to(project).as_posix()
        for name in names:
            if name.startswith("."):
                continue
            try:
                if not stat.S_ISREG(os.lstat(os.path.join(directory, name)).st_mode):
                    continue  # symlinks, sockets, fifos
            except FileNotFoundError:
                continue  # removed by a running job meanwhile
            found.append(name if base == "." else f"{base}/{name}")
    return sorted(found)


# --- resetting, rebuilding, pruning -------------------------------------------------------


def _discard(path: Path) -> None:
    """Remove a folder atomically: rename it into the trash, then delete it."""
    if not os.path.lexists(path):
        return
    trash = get_settings().workspaces_dir / TRASH
    trash.mkdir(parents=True, exist_ok=True)
    target = trash / secrets.token_hex(8)
    os.rename(path, target)
    if _is_real_dir(target):
        shutil.rmtree(target, ignore_errors=True)  # leftovers are emptied by prune_workspaces
    else:
        target.unlink(missing_ok=True)


def reset_workspace(session: Session, user: User, lesson: Lesson) -> WorkspacePaths:
    """Back to the starter files: the folder (warehouse too) and the saved edits are deleted."""
    with learner_lock(user.warehouse_key):  # never under a running job
        session.exec(delete(ModelEdit).where(ModelEdit.user_id == user.id, ModelEdit.lesson_id == lesson.id))
        session.commit()
        _discard(workspace_paths(user.warehouse_key, lesson.id).root)
        return ensure_workspace(session, user, lesson)


def rebuild_workspace(session: Session, user: User, lesson: Lesson) -> WorkspacePaths:
    """A fresh folder from the starter files plus the saved edits (warehouse rebuilt by dbt)."""
    with learner_lock(user.warehouse_key):
        _discard(workspace_paths(user.warehouse_key, lesson.id).root)
        return ensure_workspace(session, user, lesson)


def reset_warehouse(user: User, lesson: Lesson) -> WorkspacePaths:
    """Drop the learner's DuckDB file (and its WAL and build record): the next dbt run builds a
    new one from the project. For a damaged file; the project files are not touched."""
    from decode_data.services.build_record import RECORD  # it imports this module

    paths = workspace_paths(user.warehouse_key, lesson.id)
    with learner_lock(user.warehouse_key):  # never under a job of this learner
        for name in (paths.warehouse.name, paths.warehouse.name + ".wal", RECORD):
            _discard(paths.root / name)
    return paths


def _last_used(root: Path) -> float:
    # The root's own mtime moves when a job creates or removes files in it (DuckDB's .wal).
    times = [os.lstat(root).st_mtime]
    with contextlib.suppress(FileNotFoundError):
        times.append(os.lstat(root / MARKER).st_mtime)
    return max(times)


def prune_workspaces(idle_days: float) -> list[Path]:
    """Delete workspace folders unused for more than ``idle_days``; saved edits stay in the DB."""
    if idle_days < 0:
        raise ValueError("idle_days cannot be negative")
    base = get_settings().workspaces_dir
    if not _is_real_dir(base):
        return []
    now = time.time()
    removed = []
    for key_dir in sorted(base.iterdir()):
        if key_dir.name.startswith(".") or not _is_real_dir(key_dir):
            continue
        for root in sorted(key_dir.iterdir()):
            if root.name.startswith(".") or not _is_real_dir(root):
                continue
            if now - _last_used(root) > idle_days * 86400:
                _discard(root)
                removed.append(root)
                continue
            for tmp in root.glob(TMP_PREFIX + "*"):  # left by a crash while creating
                if now - os.lstat(tmp).st_mtime > STALE_TMP_SECONDS:
                    shutil.rmtree(tmp, ignore_errors=True)
    trash = base / TRASH
    for leftover in trash.iterdir() if _is_real_dir(trash) else ():
        shutil.rmtree(leftover, ignore_errors=True)  # _discard calls that were interrupted
    return removed
