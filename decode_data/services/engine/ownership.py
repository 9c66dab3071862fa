"""Which of a workspace's files a job may write, handed to the job's own user id before it runs.

A job runs as an unprivileged user of its own (sandbox.job_uid), so file permissions decide
what it can change, under Landlock. It gets only what dbt and DuckDB write: the warehouse
files, its temp folder, dbt's target/ and logs/, and the seeds of a grade build (which swaps in
the next seed state). The learner's sources, the server-owned project files and every folder
above stay the server's, so even a job that got past Landlock could not rewrite them. The
workspace root is the server's too, shared with the job's group and sticky: the job creates
and replaces its own files there, never the server's (its project folder, the last-used mark).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path

WAREHOUSE_SUFFIXES = ("", ".wal")
SEEDED = "seeded.duckdb"  # a grade build's copy of the reference's seeded warehouse
# What a job may leave behind outside the warehouse (which has its own quota): a lesson's
# compiled SQL and temp files take kilobytes; Jinja or a COPY can write gigabytes.
OUTPUT_KEPT_BYTES = 64 * 1024 * 1024


def hand_over(root: Path, project: Path, warehouse: Path, uid: int) -> None:
    """Give the job's uid what it must write (run as root, before the job confines itself)."""
    os.chown(root, 0, uid)
    os.chmod(root, 0o1770)
    # Only jobs write below these once they are the job's (the server only deletes there):
    # walked when they are not yet (a new or an older workspace), else a job costs one lstat.
    for tree in (root / "tmp", project / "target", project / "logs"):
        _real_dir(tree)
        if os.lstat(tree).st_uid != uid:
            _own_tree(tree, uid)
    if (project / "seeds_next").is_dir():  # the server copies this build's seeds in anew
        _real_dir(project / "seeds")
        _own_tree(project / "seeds", uid)
    for path in [warehouse.with_name(warehouse.name + s) for s in WAREHOUSE_SUFFIXES] + [root / SEEDED]:
        _own(path, uid)


def _real_dir(path: Path) -> None:
    """A folder of our own where a job (or a learner) may have planted a symlink or a file."""
    if os.path.lexists(path) and not stat.S_ISDIR(os.lstat(path).st_mode):
        path.unlink()
    path.mkdir(exist_ok=True)


def _own(path: Path, uid: int) -> None:
    """Hand one entry to uid without following a symlink (a job may have planted one)."""
    _own_at(str(path), uid, dir_fd=None)


def _own_at(name: str, uid: int, dir_fd: int | None) -> None:
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        if st.st_uid != uid or st.st_gid != uid:
            os.chown(name, uid, uid, dir_fd=dir_fd, follow_symlinks=False)
        return
    fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        if st.st_uid != uid or st.st_gid != uid:
            os.fchown(fd, uid, uid)
        if stat.S_IMODE(st.st_mode) != 0o700:
            os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


def _own_tree(top: Path, uid: int) -> None:
    """Own a folder and all below it, through directory descriptors: a symlink anywhere in it
    is handed over itself, never followed."""
    _own(top, uid)
    for _dir, dirs, files, dir_fd in os.fwalk(top, follow_symlinks=False):
        for name in dirs + files:
            _own_at(name, uid, dir_fd)


def drop_oversized_output(root: Path, project: Path, limit: int = OUTPUT_KEPT_BYTES) -> bool:
    """After a job (by the worker, as the server): when the job's temp folder and dbt's
    target/compiled and target/run take more than `limit` on disk, remove them (dbt writes them
    again, and a job's temp files are its own). Kept, a learner's Jinja or COPY could fill the
    server's disk a job at a time, outside every quota. True when something was removed."""
    trees = (root / "tmp", project / "target" / "compiled", project / "target" / "run")
    if sum(_disk_bytes(tree) for tree in trees) <= limit:
        return False
    for tree in trees:
        shutil.rmtree(tree, ignore_errors=True)  # removes symlinks, never follows them
    return True


def _disk_bytes(tree: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(tree):  # does not follow symlinks to folders
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
    return total
