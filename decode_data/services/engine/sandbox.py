"""OS-level confinement of one job process, applied right after it forks from a warm worker.

Layers (each closes a way out that the DuckDB lockdown alone leaves open):
- its own identity: a server running as root hands each job an unprivileged user id of its own
  (one per learner, from `job_uid`), so file permissions back up Landlock: server files and
  other learners' folders are closed to it even where Landlock would let it through;
- a new user + network namespace: no network at all; inside, the job is user 1000 with no
  capability at all (not root of its namespace either);
- a mount namespace in which its workspace is at JOB_ROOT and /tmp is empty: paths that reach
  learner Jinja (`target.path`, `flags`, DuckDB's settings) name nothing of the server's layout
  and no learner key;
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
import hashlib
import json
import os
import resource
import signal
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass

_libc = ctypes.CDLL(None, use_errno=True)

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE, _PR_CAPBSET_DROP, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 4, 24, 47, 4
_CLONE_NEWNS, _CLONE_NEWUSER, _CLONE_NEWNET, _CLONE_NEWIPC = 0x00020000, 0x10000000, 0x40000000, 0x08000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_BIND, _MS_REC, _MS_PRIVATE = 2, 4, 8, 4096, 1 << 14, 1 << 18
_CAP_VERSION_3 = 0x20080522

# Filesystem access rights by Landlock ABI version.
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_ALL_V1 = (1 << 13) - 1  # execute .. make_sym
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1, 2
_READ_ONLY = _EXECUTE | _READ_FILE | _READ_DIR

# Where a job sees its workspace root (its own mount namespace); /tmp around it is empty.
JOB_ROOT = "/tmp/workspace"
# Who a job is inside its user namespace: an ordinary user, never root.
INSIDE_ID = 1000
# Outer ids handed to jobs when the server runs as root: one per learner key, in a range no
# system account uses. A collision (two keys, one id) leaves Landlock to keep those two apart.
JOB_UID_BASE = 1_000_000_000
JOB_UID_COUNT = 1 << 30


class SandboxUnavailable(RuntimeError):
    """The kernel lacks what the sandbox needs; jobs must not run unconfined."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


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


def job_uid(key: str) -> int | None:
    """The unprivileged outer user id of a learner key's jobs; None when the server is not root."""
    if os.geteuid() != 0:
        return None
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return JOB_UID_BASE + digest % JOB_UID_COUNT


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
    problem = _try_identity()
    if problem:
        raise SandboxUnavailable(
            f"A dbt job could not take its own unprivileged identity ({problem}). Decode Data needs "
            "user namespaces (and, when it runs as root, user ids from "
            f"{JOB_UID_BASE} to {JOB_UID_BASE + JOB_UID_COUNT - 1} mapped in this container); it "
            "refuses to run learner dbt code without them."
        )


def _try_identity() -> str:
    """Enter a job's identity in a throwaway process and check it: '' when all is as it should be."""
    with tempfile.TemporaryDirectory(prefix="dd-sandbox-check-") as scratch:
        root = os.path.join(scratch, "root")
        os.mkdir(root)
        with open(os.path.join(root, "server_owned"), "w") as f:
            f.write("the server's")
        os.chmod(os.path.join(root, "server_owned"), 0o644)
        uid = job_uid("sandbox-check")
        if uid is not None:
            os.chown(root, 0, uid)
            os.chmod(root, 0o1770)
        probe = [sys.executable, "-c", "from decode_data.services.engine.sandbox import _probe; _probe()"]
        request = json.dumps({"root": root, "uid": uid})
        package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": package_parent}
        try:
            done = subprocess.run(probe, input=request, capture_output=True, text=True, timeout=30, env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"the check itself failed: {exc}"
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            return (done.stderr.strip().splitlines() or ["the check process failed"])[-1]
        return json.loads(lines[-1]).get("problem", "")


def _probe() -> None:
    """The check's throwaway process: take a job's identity, then look at what it became."""
    request = json.loads(sys.stdin.read())
    try:
        enter_identity(Confinement(request["root"], (), 0, 0, 0, uid=request["uid"]))
        problem = _identity_problem(own_uid=request["uid"] is not None)
    except (OSError, SandboxUnavailable) as exc:
        problem = str(exc)
    print(json.dumps({"problem": problem}), flush=True)


def _identity_problem(own_uid: bool) -> str:
    if os.getuid() != INSIDE_ID or os.getgid() != INSIDE_ID:
        return f"it is user {os.getuid()}, group {os.getgid()}, not {INSIDE_ID}"
    with open("/proc/self/status") as status:
        caps = {k: v.strip() for k, v in (line.split(":", 1) for line in status if line.startswith("Cap"))}
    if int(caps.get("CapEff", "1"), 16) or int(caps.get("CapPrm", "1"), 16):
        return "it still holds capabilities"
    try:
        with open(os.path.join(JOB_ROOT, "job_file"), "w") as f:
            f.write("the job's")
    except OSError as exc:
        return f"it cannot write its own workspace: {exc}"
    if not own_uid:  # the server's own uid: only Landlock keeps its files from the job
        return ""
    try:
        with open(os.path.join(JOB_ROOT, "server_owned"), "a"):
            return "it can write a file the server owns"
    except PermissionError:
        return ""


def _fail(what: str) -> None:
    err = ctypes.get_errno()
    raise SandboxUnavailable(f"{what} failed: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    args = [v.encode() if v is not None else None for v in (source, target, fstype)]
    if _libc.mount(*args, ctypes.c_ulong(flags), data.encode() if data else None) != 0:
        _fail(f"mount({target})")


def _blocked(directory: str) -> bool:
    """A directory another user cannot pass through (root's home, a private temp folder)."""
    try:
        return not os.stat(directory).st_mode & stat.S_IXOTH
    except OSError:
        return False


def _plan_view(c: Confinement) -> dict[str, list[tuple[str, str]]]:
    """Folders to cover with an empty tmpfs -> (what to show, where) inside each.

    /tmp is always covered, to show the workspace at JOB_ROOT and nothing else. A read-only
    path (the Python runtime, say under /root/.pyenv) behind a folder the job's uid cannot
    pass through is shown again through such a cover, at its own path."""
    covers: dict[str, list[tuple[str, str]]] = {"/tmp": [(c.root, JOB_ROOT)]}
    for path in sorted(c.read_only):
        if not os.path.exists(path):
            continue
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            ancestor = "/" + "/".join(parts[:depth])
            shown = covers.get(ancestor)
            if shown is None and c.uid is not None and _blocked(ancestor):
                shown = covers[ancestor] = []
            if shown is not None:
                if not any(path == d or path.startswith(d + "/") for _, d in shown):
                    shown.append((path, path))
                break
    return covers


def _enter_view(c: Confinement) -> None:
    """In the new mount namespace: cover each planned folder with an empty tmpfs, then bind
    what must show through it (opened first: the cover hides it)."""
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing done here reaches the host
    covers = _plan_view(c)
    opened = {src: os.open(src, os.O_PATH | os.O_CLOEXEC) for shown in covers.values() for src, _ in shown}
    try:
        for cover, shown in covers.items():
            _mount("tmpfs", cover, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, "mode=755,size=64k,nr_inodes=256")
            for src, dest in shown:
                if stat.S_ISDIR(os.fstat(opened[src]).st_mode):  # src itself may be covered by now
                    os.makedirs(dest, exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                    open(dest, "w").close()
                _mount(f"/proc/self/fd/{opened[src]}", dest, None, _MS_BIND | _MS_REC)
    finally:
        for fd in opened.values():
            os.close(fd)


def _become(uid: int) -> None:
    """Leave root for the job's own user id (and a group of the same number, no others)."""
    if not 0 < uid < 2**32 - 1:  # (uid_t)-1 would mean "leave it as it is": root
        raise SandboxUnavailable(f"user id {uid} cannot be given to a job")
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (uid, uid, uid):
        raise SandboxUnavailable(f"the job could not become user {uid}")
    # Changing ids made the process undumpable, which hides its own /proc files from it.
    if _libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0) != 0:
        _fail("prctl(dumpable)")


def _map_ids(outer_uid: int, outer_gid: int) -> None:
    """Inside the new user namespace the job is INSIDE_ID (user and group), mapped to one outer id."""
    for name, text in (
        ("setgroups", "deny"),
        ("uid_map", f"{INSIDE_ID} {outer_uid} 1"),
        ("gid_map", f"{INSIDE_ID} {outer_gid} 1"),
    ):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


def _drop_capabilities() -> None:
    """A new user namespace grants every capability in it: give them all up."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except OSError:
        last = 63
    for cap in range(last + 1):
        _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(version=_CAP_VERSION_3, pid=0)
    data = (_CapData * 2)()
    if _libc.capset(ctypes.byref(header), data) != 0:
        _fail("capset")


def enter_identity(c: Confinement) -> None:
    """Namespaces, user id, workspace view, no capabilities: who the job is (Landlock aside).

    As root, the mount namespace is made first, with root's rights (so the job's uid does not
    need to reach the folders shown to it, and cannot undo the mounts); then the uid changes,
    then a user namespace maps it to INSIDE_ID. Not root: one unprivileged user namespace
    gives the rights to build the same view."""
    if c.uid is not None:
        if _libc.unshare(_CLONE_NEWNS) != 0:
            _fail("unshare(mount)")
        _enter_view(c)
        _become(c.uid)
        if _libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET | _CLONE_NEWIPC) != 0:
            _fail("unshare(user, net, ipc)")
        _map_ids(c.uid, c.uid)
    else:
        outer_uid, outer_gid = os.geteuid(), os.getegid()
        if _libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWIPC) != 0:
            _fail("unshare(user, mount, net, ipc)")
        _map_ids(outer_uid, outer_gid)
        _enter_view(c)
    _drop_capabilities()


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
        _fail("landlock_create_ruleset")
    try:
        for paths, rights in ((c.read_only, _READ_ONLY), ((JOB_ROOT,), handled)):
            for path in paths:
                _allow(ruleset, path, rights)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            _fail("prctl(no_new_privs)")
        if _libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) != 0:
            _fail("landlock_restrict_self")
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
            _fail(f"landlock_add_rule({path})")
    finally:
        os.close(fd)


def confine(c: Confinement) -> None:
    """Confine the calling (single-threaded, freshly forked) process for good."""
    enter_identity(c)
    _set_limits(c)
    _restrict_filesystem(c)


def die_with_parent(parent_pid: int) -> None:
    """A job must never outlive its worker: it would hold the learner's DuckDB file."""
    if _libc.prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0) != 0:
        _fail("prctl(pdeathsig)")
    if os.getppid() != parent_pid:
        os._exit(1)
