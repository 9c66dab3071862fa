"""The server side of the query lane: queries go to the learner's query process, not a dbt worker.

The query host (query_host.py) runs beside the dbt workers, so a query never waits for a free
worker behind other learners' builds, and it needs no fork once the learner's query process
is open. Before any other job of a learner the engine closes that learner's query process: it
holds the DuckDB file open (read-only), and dbt needs it for writing.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path

WAIT_MARGIN_S = 30.0  # past the query's own time, the host itself must have died
CLOSE_TIMEOUT_S = 10.0


class _Waiter:
    def __init__(self, proc: subprocess.Popen):
        self.proc = proc  # the host asked: if it dies, only its waiters fail
        self.done = threading.Event()
        self.message: dict | None = None


class QueryLane:
    """Starts the query host, sends it queries and closes learners' query processes."""

    def __init__(self, worker_env: dict, repo_root: Path, config: dict, start_timeout_s: float, slots: int):
        self.worker_env, self.repo_root, self.config = worker_env, repo_root, config
        # Queries running at once, across learners: each may use its memory limit, so many
        # learners' heavy queries at the same moment must not all run together (others wait).
        self.slots = threading.BoundedSemaphore(max(1, slots))
        self.start_timeout_s = start_timeout_s
        self.lock = threading.Lock()  # the host's stdin and the tables below
        self.started = threading.Lock()  # one start at a time
        self.proc: subprocess.Popen | None = None
        self.waiting: dict[int, _Waiter] = {}
        self.live: dict[str, int] = {}  # learner -> pid of their open query process
        self.ids = itertools.count(1)
        self.closed = False

    # --- the host process ------------------------------------------------------------------

    def start(self) -> None:
        """Start the host unless it runs (a dead one is replaced on the next query)."""
        from decode_data.services.engine.pool import WorkerDied, _LineReader

        with self.started:
            if self.closed or (self.proc is not None and self.proc.poll() is None):
                return
            Path(self.config["scratch_dir"]).mkdir(parents=True, exist_ok=True)
            proc = subprocess.Popen(
                [sys.executable, "-m", "decode_data.services.engine.query_host"],
                cwd=str(self.repo_root),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=self.worker_env,
                start_new_session=True,
            )
            proc.stdin.write(json.dumps(self.config).encode() + b"\n")
            proc.stdin.flush()
            reader = _LineReader(proc.stdout)
            try:
                ready = reader.read(time.monotonic() + self.start_timeout_s)
            except WorkerDied:
                self._kill(proc)
                raise
            if ready.get("type") != "ready":
                self._kill(proc)
                raise WorkerDied(f"the query host failed to start: {ready}")
            with self.lock:
                self.proc, self.live = proc, {}
            threading.Thread(target=self._read_answers, args=(proc, reader), daemon=True).start()

    def _read_answers(self, proc: subprocess.Popen, reader) -> None:
        from decode_data.services.engine.pool import WorkerDied

        while True:
            try:
                message = reader.read(time.monotonic() + 3600)
            except WorkerDied:
                break
            with self.lock:
                if message.get("type") == "gone":
                    if self.live.get(message.get("learner")) == message.get("pid"):
                        del self.live[message["learner"]]
                    continue
                waiter = self.waiting.pop(message.get("id"), None)
            if waiter is not None:
                waiter.message = message
                waiter.done.set()
        with self.lock:  # the host died: what it was asked fails, its query processes are gone
            lost = [key for key, waiter in self.waiting.items() if waiter.proc is proc]
            waiters = [self.waiting.pop(key) for key in lost]
            if self.proc is proc:
                self.live = {}
        for waiter in waiters:
            waiter.done.set()

    def _send(self, message: dict) -> _Waiter | None:
        """Send a message that gets an answer; None when the host is not running."""
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                return None
            waiter = _Waiter(self.proc)
            message["id"] = next(self.ids)
            self.waiting[message["id"]] = waiter
            try:
                self.proc.stdin.write(json.dumps(message).encode() + b"\n")
                self.proc.stdin.flush()
            except (OSError, ValueError):
                self.waiting.pop(message["id"], None)
                return None
        return waiter

    # --- what the engine calls ---------------------------------------------------------------

    def run(self, learner_key: str, request: dict) -> tuple[dict | None, dict, str | None]:
        """One query in the learner's query process: (result, exit info, crash message)."""
        if not self.slots.acquire(timeout=float(request["timeout_s"]) + WAIT_MARGIN_S):
            return None, {}, "too many queries are running right now"
        try:
            return self._run(learner_key, request)
        finally:
            self.slots.release()

    def _run(self, learner_key: str, request: dict) -> tuple[dict | None, dict, str | None]:
        waiter = self._send({"type": "query", "learner": learner_key, "request": request})
        if waiter is None:
            self.start()
            waiter = self._send({"type": "query", "learner": learner_key, "request": request})
        if waiter is None:
            return None, {}, "the query service could not start"
        if not waiter.done.wait(float(request["timeout_s"]) + WAIT_MARGIN_S):
            self._kill(waiter.proc)  # a host that stops answering is replaced by the next query
            return None, {}, "the query service stopped answering"
        message = waiter.message
        if message is None:
            return None, {}, "the query service stopped"
        if message.get("type") == "result":
            with self.lock:
                self.live[learner_key] = message["pid"]
            return message.get("result"), {}, None
        with self.lock:
            self.live.pop(learner_key, None)
        return None, message, message.get("crash") if message.get("crash") not in ("timeout", None) else None

    def close(self, learner_key: str) -> None:
        """Shut the learner's query process (if one is open) before a job that needs the file."""
        with self.lock:
            if learner_key not in self.live:
                return
        waiter = self._send({"type": "close", "learner": learner_key})
        if waiter is not None:
            waiter.done.wait(CLOSE_TIMEOUT_S)
        with self.lock:
            self.live.pop(learner_key, None)

    def is_open(self, learner_key: str) -> bool:
        with self.lock:
            return learner_key in self.live

    def stop(self) -> None:
        self.closed = True
        with self.lock:
            proc = self.proc
        if proc is not None:
            self._kill(proc)

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, 9)
        proc.wait()
