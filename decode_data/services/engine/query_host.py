"""The query lane's host: keeps one query process per learner, so a query needs no fork.

A query used to be a job like a dbt run: a fork of a warm dbt worker, the whole sandbox, a
DuckDB file open, then exit (~35 ms on top of DuckDB's own time), and it waited for a free
dbt worker behind other learners' long builds. This light process (DuckDB imported, started
with the engine) forks a query process per learner (query_process.py, confined exactly like a
job) on its first query and sends it that learner's later queries. A query process ends when
it has been idle for `idle_s`, when the engine closes it (a dbt job of that learner needs the
DuckDB file), when its workspace was replaced (a reset), or when it runs past its time (killed).

Protocol (JSON lines, like the worker's): the first stdin line is the config, answered by
{"type": "ready"}. Then {"type": "query", "id", "learner", "request"} is answered by
{"type": "result", "id", "pid", "result"}, or by {"type": "exit", "id", "timed_out", "signal"}
when the query process died or was killed first; {"type": "close", "id", "learner"} by
{"type": "closed", "id"}; {"type": "gone", "learner", "pid"} says a query process ended on its
own; {"type": "stop"} ends everything.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

MAX_LINE_BYTES = 32 * 1024 * 1024  # results are shrunk in the query process: only a rogue one sends more
# DuckDB interrupts a query at its time limit with a clear error; the kill is the backstop.
KILL_GRACE_S = 1.0


@dataclass
class _Child:
    learner: str
    pid: int
    to_child: int
    from_child: int
    identity: tuple
    last_used: float
    pending: int | None = None
    deadline: float = 0.0
    buffer: bytes = b""


def _inode(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


def identity(request: dict) -> tuple:
    """What a query process was confined to and opened: a different answer needs a new one
    (other paths or limits, a workspace folder replaced by a reset, a warehouse made or replaced)."""
    paths = request["paths"]
    return (
        paths["root"],
        paths["project"],
        paths["warehouse"],
        request["timeout_s"],
        request["memory_mb"],
        _inode(paths["root"]),
        _inode(paths["warehouse"]),
    )


def _close_fds_except(keep: set[int]) -> None:
    """A query process must not hold the host's pipes or other learners' query processes' pipes."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            with suppress(OSError):
                os.close(fd)


class Host:
    def __init__(self, config: dict):
        self.config = config
        self.idle_s = float(config["idle_s"])
        self.max_processes = int(config["max_processes"])
        self.out = os.fdopen(os.dup(1), "wb", buffering=0)
        self.children: dict[str, _Child] = {}
        self.stdin_buffer = b""

    def send(self, message: dict) -> None:
        self.out.write(json.dumps(message, default=str).encode() + b"\n")

    # --- query processes -----------------------------------------------------------------

    def _fork(self, learner: str, request: dict, ident: tuple) -> _Child:
        from decode_data.services.engine.worker import _vm_bytes

        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        config = {**self.config, "base_vm_bytes": _vm_bytes(), "worker_pid": os.getpid()}
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                _close_fds_except({to_child_r, from_child_w})
                from decode_data.services.engine.query_process import serve_queries

                serve_queries(request, to_child_r, from_child_w, config)
                code = 0
            finally:
                os._exit(code)
        os.close(to_child_r)
        os.close(from_child_w)
        return _Child(learner, pid, to_child_w, from_child_r, ident, time.monotonic())

    def _end(self, child: _Child, why: str | None = None, timed_out: bool = False) -> None:
        """Stop a query process (it holds only a read-only DuckDB file: killing it is safe)."""
        self.children.pop(child.learner, None)
        with suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)
        _, status = os.waitpid(child.pid, 0)
        for fd in (child.to_child, child.from_child):
            with suppress(OSError):
                os.close(fd)
        if child.pending is not None:
            self.send(
                {
                    "type": "exit",
                    "id": child.pending,
                    "timed_out": timed_out,
                    "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) and not timed_out else 0,
                    "crash": why,
                }
            )
        elif why is not None:
            self.send({"type": "gone", "learner": child.learner, "pid": child.pid})

    def _make_room(self) -> None:
        idle = sorted((c for c in self.children.values() if c.pending is None), key=lambda c: c.last_used)
        for child in idle[: max(0, len(self.children) - self.max_processes + 1)]:
            self._end(child, why="evicted")

    # --- requests ------------------------------------------------------------------------

    def _query(self, message: dict) -> None:
        learner, request = message["learner"], message["request"]
        ident = identity(request)
        child = self.children.get(learner)
        if child is not None and (child.identity != ident or child.pending is not None):
            self._end(child, why="replaced")
            child = None
        if child is None:
            self._make_room()
            child = self._fork(learner, request, ident)
            self.children[learner] = child
        else:
            try:
                os.write(child.to_child, json.dumps(request).encode() + b"\n")
            except OSError:  # it just ended (its CPU budget): the query goes to a new one
                self._end(child, why="ended")
                child = self._fork(learner, request, ident)
                self.children[learner] = child
        child.pending = message["id"]
        child.deadline = time.monotonic() + float(request["timeout_s"]) + KILL_GRACE_S

    def _handle(self, message: dict) -> bool:
        kind = message.get("type")
        if kind == "query":
            self._query(message)
        elif kind == "close":
            child = self.children.get(message["learner"])
            if child is not None:
                self._end(child)
            self.send({"type": "closed", "id": message["id"]})
        elif kind == "stop":
            return False
        return True

    def _read_child(self, child: _Child) -> None:
        chunk = os.read(child.from_child, 1 << 20)
        if not chunk:
            self._end(child, why="it stopped unexpectedly")
            return
        child.buffer += chunk
        if len(child.buffer) > MAX_LINE_BYTES:
            self._end(child, why="its answer was too large")
            return
        while b"\n" in child.buffer and child.learner in self.children:
            line, child.buffer = child.buffer.split(b"\n", 1)
            try:
                answer = json.loads(line)
            except json.JSONDecodeError:
                continue
            if child.pending is not None and answer.get("type") == "result":
                self.send({"type": "result", "id": child.pending, "pid": child.pid, "result": answer.get("result")})
                child.pending, child.last_used = None, time.monotonic()

    def _timers(self) -> float:
        """End query processes past their deadline or idle time; seconds until the next check."""
        now, wait = time.monotonic(), self.idle_s
        for child in list(self.children.values()):
            if child.pending is not None:
                if now >= child.deadline:
                    self._end(child, why="timeout", timed_out=True)
                else:
                    wait = min(wait, child.deadline - now)
            elif now - child.last_used >= self.idle_s:
                self._end(child, why="idle")
            else:
                wait = min(wait, self.idle_s - (now - child.last_used))
        return max(wait, 0.001)

    def serve(self) -> None:
        self.send({"type": "ready", "pid": os.getpid()})
        while True:
            wait = self._timers()
            fds = [0] + [c.from_child for c in self.children.values()]
            readable, _, _ = select.select(fds, [], [], wait)
            for child in [c for c in list(self.children.values()) if c.from_child in readable]:
                if child.learner in self.children:
                    self._read_child(child)
            if 0 in readable:
                chunk = os.read(0, 1 << 20)
                if not chunk:
                    return
                self.stdin_buffer += chunk
                *lines, self.stdin_buffer = self.stdin_buffer.split(b"\n")
                for line in lines:
                    if line.strip() and not self._handle(json.loads(line)):
                        return

    def stop(self) -> None:
        for child in list(self.children.values()):
            self._end(child)


def _warm_up(scratch: Path) -> None:
    """Load DuckDB and the query code once, before any fork."""
    from decode_data.services.engine.jobs import Job
    from decode_data.services.engine.query_job import run_query

    warehouse = scratch / "warm.duckdb"
    import duckdb

    duckdb.connect(str(warehouse)).close()
    lockdown = {"readable_dirs": [], "temp_dir": str(scratch), "memory_mb": 128, "max_temp_mb": 16}
    run_query(Job("warmup", "warmup", "query", sql="select 1"), warehouse, {**lockdown, "max_execution_ms": 1000})
    import decode_data.services.engine.job_process  # noqa: F401 - the sandbox code, loaded before forks
    import decode_data.services.engine.query_process  # noqa: F401


def main() -> None:
    config = json.loads(sys.stdin.buffer.readline())
    with tempfile.TemporaryDirectory(prefix="querywarm-", dir=config.get("scratch_dir")) as scratch:
        _warm_up(Path(scratch))
    host = Host(config)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        host.serve()
    finally:
        host.stop()


if __name__ == "__main__":
    main()
