"""Who a job is: an unprivileged user of its own, in namespaces of its own, seeing only a
neutral view of its workspace, with no capability at all. Applied by sandbox.confine before
Landlock, in a job process freshly forked from a warm worker.

- its own uid: a server running as root hands each job an unprivileged user id of its own
  (one per learner key, `job_uid`), so file permissions back up Landlock: server files and
  other learners' folders are closed to it even where Landlock would let it through;
- a new user, network and IPC namespace: no network at all; inside, the job is user 1000 with
  no capability (not root of its namespace either);
- a mount namespace in which its workspace is at JOB_ROOT and /tmp is otherwise empty: the
  paths that reach learner Jinja (`target.path`, `flags`, DuckDB's settings) name nothing of
  the server's layout and no learner key.
`try_identity` takes this identity once for real in a throwaway process (the start-up check).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import stat
import subprocess
import sys
import tempfile

_libc = ctypes.CDLL(None, use_errno=True)

_PR_SET_DUMPABLE, _PR_CAPBSET_DROP, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 4, 24, 47, 4
_CLONE_NEWNS, _CLONE_NEWUSER, _CLONE_NEWNET, _CLONE_NEWIPC = 0x00020000, 0x10000000, 0x40000000, 0x08000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_BIND, _MS_REC, _MS_PRIVATE = 2, 4, 8, 4096, 1 << 14, 1 << 18
_CAP_VERSION_3 = 0x20080522

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


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def job_uid(key: str) -> int | None:
    """The unprivileged outer user id of a learner key's jobs; None when the server is not root."""
    if os.geteuid() != 0:
        return None
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return JOB_UID_BASE + digest % JOB_UID_COUNT


def try_identity() -> str:
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
        probe = [sys.executable, "-c", "from decode_data.services.engine.identity import _probe; _probe()"]
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
        enter_identity(request["root"], (), request["uid"])
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


def syscall_failed(what: str) -> None:
    """Raise SandboxUnavailable for the libc call that just failed (use_errno: its errno)."""
    err = ctypes.get_errno()
    raise SandboxUnavailable(f"{what} failed: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    args = [v.encode() if v is not None else None for v in (source, target, fstype)]
    if _libc.mount(*args, ctypes.c_ulong(flags), data.encode() if data else None) != 0:
        syscall_failed(f"mount({target})")


def _blocked(directory: str) -> bool:
    """A directory another user cannot pass through (root's home, a private temp folder)."""
    try:
        return not os.stat(directory).st_mode & stat.S_IXOTH
    except OSError:
        return False


def _plan_view(root: str, read_only: tuple[str, ...], uid: int | None) -> dict[str, list[tuple[str, str]]]:
    """Folders to cover with an empty tmpfs -> (what to show, where) inside each.

    /tmp is always covered, to show the workspace at JOB_ROOT and nothing else. A read-only
    path (the Python runtime, say under /root/.pyenv) behind a folder the job's uid cannot
    pass through is shown again through such a cover, at its own path."""
    covers: dict[str, list[tuple[str, str]]] = {"/tmp": [(root, JOB_ROOT)]}
    for path in sorted(read_only):
        if not os.path.exists(path):
            continue
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            ancestor = "/" + "/".join(parts[:depth])
            shown = covers.get(ancestor)
            if shown is None and uid is not None and _blocked(ancestor):
                shown = covers[ancestor] = []
            if shown is not None:
                if not any(path == d or path.startswith(d + "/") for _, d in shown):
                    shown.append((path, path))
                break
    return covers


def _enter_view(root: str, read_only: tuple[str, ...], uid: int | None) -> None:
    """In the new mount namespace: cover each planned folder with an empty tmpfs, then bind
    what must show through it (opened first: the cover hides it)."""
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing done here reaches the host
    covers = _plan_view(root, read_only, uid)
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
        syscall_failed("prctl(dumpable)")


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
        syscall_failed("capset")


def enter_identity(root: str, read_only: tuple[str, ...], uid: int | None) -> None:
    """Namespaces, user id, workspace view, no capabilities: who the job is (Landlock aside).
    `root` is shown at JOB_ROOT; `read_only` paths must stay reachable; `uid` is the outer user
    id to become (None: keep the server's, when it is not root).

    As root, the mount namespace is made first, with root's rights (so the job's uid does not
    need to reach the folders shown to it, and cannot undo the mounts); then the uid changes,
    then a user namespace maps it to INSIDE_ID. Not root: one unprivileged user namespace
    gives the rights to build the same view."""
    if uid is not None:
        if _libc.unshare(_CLONE_NEWNS) != 0:
            syscall_failed("unshare(mount)")
        _enter_view(root, read_only, uid)
        _become(uid)
        if _libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET | _CLONE_NEWIPC) != 0:
            syscall_failed("unshare(user, net, ipc)")
        _map_ids(uid, uid)
    else:
        outer_uid, outer_gid = os.geteuid(), os.getegid()
        if _libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWIPC) != 0:
            syscall_failed("unshare(user, mount, net, ipc)")
        _map_ids(outer_uid, outer_gid)
        _enter_view(root, read_only, None)
    _drop_capabilities()
