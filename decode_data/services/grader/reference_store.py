"""Reference builds kept on disk, so every process of one machine builds each one once.

A reference depends only on the lesson's files, the installed dbt and our own code, yet the
app's server processes, `lessons check`, the bench and a restarted server each built their own.
Now the first process builds a version and writes what the grader reads (`build.json`: the job's
result and the relations it read back) beside its warehouse; the others load it.

Two file locks per version folder keep processes from harming each other, and both vanish with
a process that dies, so a killed server never leaves a version stuck:
- `in-use`, held shared by every process that holds the version: a folder is removed only by a
  process that can take it alone (nobody else reads its warehouse or lends its seeds);
- `build.lock`, held alone while a process builds or loads: a second process waits for the
  first one's build instead of running the same dbt build at the same time.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from decode_data.services import kept_json
from decode_data.services.engine.install_cache import install_key
from decode_data.services.engine.jobs import JobResult

FORMAT = 1
RECORD = "build.json"
IN_USE = "in-use"
CODE_ROOT = Path(__file__).resolve().parents[1]  # decode_data/services: what builds and reads a reference


@functools.cache
def code_key() -> str:
    """The installed dbt and the code that builds and dumps a reference: a version built by
    other code is another folder, never read by this one."""
    digest = hashlib.sha256(f"{FORMAT}\0{install_key()}\0".encode())
    for path in sorted(CODE_ROOT.rglob("*.py")):
        digest.update(path.relative_to(CODE_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def version_name(lesson_hash: str) -> str:
    return hashlib.sha256(f"{lesson_hash}\0{code_key()}".encode()).hexdigest()[:16]


class Hold:
    """This process reads a version folder: it is not removed while the hold is open."""

    def __init__(self, folder: Path):
        while True:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(folder / IN_USE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            fcntl.flock(fd, fcntl.LOCK_SH)
            if _same_file(fd, folder / IN_USE):
                self.fd: int | None = fd
                return
            os.close(fd)  # removed while we waited for the lock: make the folder again

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _same_file(fd: int, path: Path) -> bool:
    try:
        found = path.stat(follow_symlinks=False)
    except OSError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (found.st_dev, found.st_ino)


@contextmanager
def building(folder: Path):
    """One process at a time builds or loads a version (the caller holds it)."""
    fd = os.open(folder / "build.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def remove_unless_held(found: Path) -> bool:
    """Remove another version's folder (or a stray file) unless a process holds it; True if gone."""
    if found.is_symlink() or not found.is_dir():
        found.unlink(missing_ok=True)
        return True
    try:
        fd = os.open(found / IN_USE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    try:
        shutil.rmtree(found, ignore_errors=True)
    finally:
        os.close(fd)
    return not found.exists()


def save(folder: Path, result: JobResult, relations: dict, seeded_file: Path | None) -> None:
    """Best effort and atomic: a version that cannot be written is built again by the next process."""
    record = {
        "format": FORMAT,
        "result": result.to_dict(),
        "relations": relations,
        "seeded_file": seeded_file.name if seeded_file else None,
    }
    kept_json.write(folder / RECORD, record)


def load(folder: Path) -> tuple[JobResult, dict, Path | None] | None:
    """What a finished build of this version recorded, if its files are all still there."""
    path = folder / RECORD
    try:
        record = {} if path.is_symlink() else kept_json.read(path)
        if record.get("format") != FORMAT:
            return None
        result = JobResult.from_dict(record["result"])
        relations = record["relations"]
        name = record.get("seeded_file")
        if name is not None and (not isinstance(name, str) or Path(name).name != name):
            return None  # only a file of this folder is lent to learners' builds
        seeded = folder / name if name else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(relations, dict) or not (folder / "warehouse.duckdb").is_file():
        return None
    if seeded is not None and not seeded.is_file():
        return None
    return result, relations, seeded
