"""OS-level confinement of one job process, applied right after it forks from a warm worker.

Layers (each closes a way out that the DuckDB lockdown alone leaves open):
- its own identity (identity.py): an unprivileged uid of its own when the server is root, user
  1000 without capabilities in new user, mount, network and IPC namespaces (no network), and
  its workspace shown at JOB_ROOT, so no server path reaches learner code;
- Landlock: the filesystem is read-only where Python and dbt live, read-write only in the job's
  own workspace, invisible everywhere else (other learners, the app database, /etc secrets);
  signals and abstract sockets cannot leave the job;
- rlimits: address space, file size, CPU seconds, no core dumps;
- no_new_privs, so nothing exec'd can gain privileges back.
Landlock needs Linux >= 5.13; ``check_available`` gives a clear error where it is missing, and
tries a job's identity (namespaces, uid mapping, the workspace view) once for real.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from dataclasses import dataclass

from decode_data.services.engine import identity
from decode_data.services.engine.identity import (  # noqa: F401 - the sandbox's public names
    INSIDE_ID,
    JOB_ROOT,
    SandboxUnavailable,
    enter_identity,
    job_uid,
    syscall_failed,
    try_identity,
)

_libc = ctypes.CDLL(None, use_errno=True)

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_PDEATHSIG = 1

# Filesystem access rights by Landlock ABI version.
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_ALL_V1 = (1 << 13) - 1  # execute .. make_sym
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1, 2
_READ_ONLY = _EXECUTE | _READ_FILE | _READ_DIR


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


@dataclass(frozen=True)
class Confinement:
    """What one job may touch, and who it is.

    `root` is the job's workspace root on the server's disk: the job sees it at JOB_ROOT only,
    and may write only there. `uid` is the outer user id it runs as (None: the server's own,
    when the server is not root and cannot hand out another)."""

    root: str
    read_only: tuple[str, ...]
    memory_bytes: int
    cpu_seconds: int
    max_file_bytes: int
    uid: int | None = None


def landlock_abi() -> int:
    abi = _libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return abi if abi > 0 else 0


def check_available() -> None:
    """Refuse, in one clear sentence, to run learner code where the sandbox cannot be built."""
    if landlock_abi() < 1:
        raise SandboxUnavailable(
            "Landlock is not available in this kernel (Linux >= 5.13 with the landlock LSM enabled "
            "is required); Decode Data refuses to run learner dbt code without its OS sandbox."
        )
    problem = try_identity()
    if problem:
        raise SandboxUnavailable(
            f"A dbt job could not take its own unprivileged identity ({problem}). Decode Data needs "
            "user namespaces (and, when it runs as root, user ids from "
            f"{identity.JOB_UID_BASE} to {identity.JOB_UID_BASE + identity.JOB_UID_COUNT - 1} mapped in "
            "this container); it "
            "refuses to run learner dbt code without them."
        )


def _set_limits(c: Confinement) -> None:
    # Past the file-size limit a write fails with EFBIG (a clear DuckDB error) instead of a kill.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_AS, (c.memory_bytes, c.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (c.max_file_bytes, c.max_file_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (c.cpu_seconds, c.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _fs_rights(abi: int) -> int:
    rights = _FS_ALL_V1
    if abi >= 2:
        rights |= _REFER
    if abi >= 3:
        rights |= _TRUNCATE
    if abi >= 5:
        rights |= _IOCTL_DEV
    return rights


def _restrict_filesystem(c: Confinement) -> None:
    abi = landlock_abi()
    if abi < 1:
        check_available()
    handled = _fs_rights(abi)
    attr = _RulesetAttr(
        handled_access_fs=handled,
        handled_access_net=(_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0,
        scoped=(_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL) if abi >= 6 else 0,
    )
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = _libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        syscall_failed("landlock_create_ruleset")
    try:
        for paths, rights in ((c.read_only, _READ_ONLY), ((JOB_ROOT,), handled)):
            for path in paths:
                _allow(ruleset, path, rights)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            syscall_failed("prctl(no_new_privs)")
        if _libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) != 0:
            syscall_failed("landlock_restrict_self")
    finally:
        os.close(ruleset)


def _allow(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not os.path.isdir(path):
            rights &= _EXECUTE | _WRITE_FILE | _READ_FILE | _TRUNCATE | _IOCTL_DEV
        rule = _PathBeneathAttr(allowed_access=rights, parent_fd=fd)
        if _libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
            syscall_failed(f"landlock_add_rule({path})")
    finally:
        os.close(fd)


def confine(c: Confinement) -> None:
    """Confine the calling (single-threaded, freshly forked) process for good."""
    enter_identity(c.root, c.read_only, c.uid)
    _set_limits(c)
    _restrict_filesystem(c)


def die_with_parent(parent_pid: int) -> None:
    """A job must never outlive its worker: it would hold the learner's DuckDB file."""
    if _libc.prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0) != 0:
        syscall_failed("prctl(pdeathsig)")
    if os.getppid() != parent_pid:
        os._exit(1)
