"""What a learner may save, and how to touch workspace files without following symlinks.

Learner files end up in a dbt project that the server runs, so every save is checked here:
the path must stay inside the project, never name a server-owned file or a Python model, and
be one the lesson lets the learner edit; the content must be small UTF-8 text. Messages are
written for the learner, who sees them in the editor.

The filesystem helpers walk the path one directory at a time with O_NOFOLLOW, so a symlink
planted inside a workspace (by a job, or by hand) can never redirect a read or a write.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from pathlib import Path, PurePosixPath

SERVER_OWNED = frozenset({"dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml"})
SAVABLE_SUFFIXES = (".sql", ".yml", ".yaml", ".md")
MAX_PATH_CHARS = 255
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# dbt makes a model's file name its table name, and the editor shows paths as typed: plain ASCII
# letters, digits, `_`, `-` and `.` only (no spaces, globs, or a right-to-left mark that shows a
# name other than the one saved).
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class PathRejected(ValueError):
    """This path cannot be used in a workspace; ``reason`` is shown to the learner."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SaveRejected(PathRejected):
    """This save was refused; ``reason`` tells the learner why and what to do instead."""


def check_path(rel_path: str) -> str:
    """Normalize a project-relative path or raise PathRejected. Says nothing about the lesson."""
    if not isinstance(rel_path, str) or not rel_path.strip():
        raise PathRejected("Choose a file name, for example models/my_model.sql.")
    if "\x00" in rel_path or _CONTROL.search(rel_path):
        raise PathRejected("The file name contains an invisible control character; type it again.")
    if "\\" in rel_path:
        raise PathRejected("Use forward slashes (/) in file paths, like models/my_model.sql.")
    if _DRIVE.match(rel_path):
        raise PathRejected("Use a path inside your project, like models/my_model.sql, not a drive letter.")
    if rel_path.startswith("/"):
        raise PathRejected("Use a path inside your project, like models/my_model.sql, not one starting with '/'.")
    if len(rel_path) > MAX_PATH_CHARS:
        raise PathRejected(f"The path is too long: keep it under {MAX_PATH_CHARS} characters.")
    parts = [p for p in rel_path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise PathRejected("Paths cannot go up a folder with '..': stay inside your project.")
    if not parts or rel_path.endswith("/"):
        raise PathRejected("Choose a file name, for example models/my_model.sql.")
    if any(p.startswith(".") for p in parts):
        raise PathRejected("Hidden files and folders (names starting with '.') cannot be used.")
    odd = next((p for p in parts if not _NAME.fullmatch(p)), None)
    if odd is not None:
        raise PathRejected(
            f"{odd!r} cannot be a file or folder name: use letters, digits and _ (dbt turns a model's "
            "file name into its table name), for example models/my_model.sql."
        )
    if parts[-1].lower() in SERVER_OWNED:
        raise PathRejected(f"{parts[-1]} is managed by Decode Data for you and cannot be changed here.")
    return "/".join(parts)


def _check_kind(path: str) -> None:
    suffix = PurePosixPath(path).suffix
    if suffix.lower() == ".py":
        raise SaveRejected("Python files cannot be saved: in this course models are written in SQL.")
    if suffix not in SAVABLE_SUFFIXES:
        raise SaveRejected("Only .sql, .yml, .yaml and .md files can be saved.")


def is_savable_path(lesson, rel_path: str) -> bool:
    """True when check_save would accept this path (content aside): drives the editor's lock icon."""
    try:
        path = check_path(rel_path)
        _check_kind(path)
    except PathRejected:
        return False
    return lesson.is_editable(path)


def check_save(lesson, rel_path: str, content: bytes | str, max_bytes: int) -> str:
    """Validate a save; return the normalized POSIX path or raise SaveRejected."""
    try:
        path = check_path(rel_path)
    except PathRejected as exc:
        raise SaveRejected(exc.reason) from None
    _check_kind(path)
    if not lesson.is_editable(path):
        raise SaveRejected(
            f"This lesson does not let you change {path}. "
            f"Files you can edit: {', '.join(lesson.editable_globs()) or 'none'}."
        )
    data = content_bytes(content)
    if len(data) > max_bytes:
        raise SaveRejected(f"The file is too large ({len(data):,} bytes); the limit is {max_bytes:,} bytes.")
    return path


def content_bytes(content: bytes | str) -> bytes:
    """The UTF-8 bytes of text content, or SaveRejected if it is not plain text."""
    try:
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        data.decode("utf-8")
    except (UnicodeError, TypeError):
        raise SaveRejected("The file must be plain text (UTF-8); this looks like binary data.") from None
    if b"\x00" in data:
        raise SaveRejected("The file must be plain text (UTF-8); this looks like binary data.")
    return data


# --- filesystem: never follow a symlink inside a workspace ---------------------------------

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_parent(project: Path, path: str, create: bool) -> int:
    """An fd of the directory holding ``path``, reached without following any symlink."""
    fd = os.open(project, _DIR_FLAGS)  # the project dir itself must not be a link either
    try:
        for part in path.split("/")[:-1]:
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=fd)
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError:  # ELOOP (a symlink), ENOTDIR (a file) or missing
                raise PathRejected(
                    f"{path} cannot be reached: a folder on its path is missing or is not a real folder."
                ) from None
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def _inside(project: Path, path: str) -> None:
    resolved = (project / path).resolve()
    if not resolved.is_relative_to(project.resolve()):
        raise PathRejected(f"{path} points outside your project.")


def write_nofollow(project: Path, path: str, data: bytes) -> None:
    """Atomically write ``project/path`` (temp file + rename); refuse any symlink on the way.

    ``path`` must already be normalized by check_path/check_save.
    """
    _inside(project, path)
    name = path.rsplit("/", 1)[-1]
    parent = _open_parent(project, path, create=True)
    tmp = f".{name}.{secrets.token_hex(4)}.tmp"
    try:
        try:
            st = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise PathRejected(f"{path} is not a regular file and cannot be overwritten.")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=parent)
        try:
            with os.fdopen(fd, "wb", closefd=False) as handle:
                handle.write(data)
                handle.flush()
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=parent)
        raise
    finally:
        os.close(parent)


TEMP_FILE = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")  # what write_nofollow writes before its rename
STALE_TEMP_S = 60.0  # a save takes milliseconds: an older temp file was left by a killed save


def remove_stale_temp_files(project: Path, now: float | None = None) -> list[str]:
    """Delete the temp files of saves killed between their write and their rename (a server
    `kill -9`, a power cut): hidden, never read by dbt, but nothing else would ever remove them.
    Only regular files older than STALE_TEMP_S, so a save in flight keeps its own."""
    now = time.time() if now is None else now
    removed = []
    for directory, dirs, files in os.walk(project):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(directory, d))]
        for name in (f for f in files if TEMP_FILE.match(f)):
            path = os.path.join(directory, name)
            found = os.lstat(path)
            if stat.S_ISREG(found.st_mode) and now - found.st_mtime > STALE_TEMP_S:
                os.unlink(path)
                removed.append(Path(path).relative_to(project).as_posix())
    return removed


def read_nofollow(project: Path, path: str, max_bytes: int) -> bytes:
    """Read ``project/path``, refusing symlinks, non-files and files over ``max_bytes``."""
    _inside(project, path)
    parent = _open_parent(project, path, create=False)
    try:
        try:
            # O_NONBLOCK: a planted FIFO must not hang the server waiting for a writer.
            fd = os.open(
                path.rsplit("/", 1)[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=parent
            )
        except FileNotFoundError:
            raise
        except OSError:
            raise PathRejected(f"{path} is not a regular file.") from None
    finally:
        os.close(parent)
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise PathRejected(f"{path} is not a regular file.")
        if st.st_size > max_bytes:
            raise PathRejected(f"{path} is too large to open here ({st.st_size:,} bytes).")
        return handle.read(max_bytes + 1)[:max_bytes]
