"""The server side of the engine: a pool of warm workers and the rules for sharing them.

- one job per worker at a time, N workers (default: cores);
- jobs of one learner strictly one after another (DuckDB allows one writer per file), others
  in parallel; the learner lock is also a file lock, so several backend processes agree;
- a free worker goes to a short job (show, compile) first, then to the learner served longest
  ago (fair_queue.py); queries and table listings never wait for a worker: they go to the
  learner's query process (query_lane.py), which is shut before any other job of that learner;
- a worker is recycled after K jobs and replaced when it dies; a job that runs past its time
  is killed by its worker, and a worker that stops answering is killed by the pool.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from decode_data.services.engine.fair_queue import SHORT_COMMANDS, FairQueue
from decode_data.services.engine.jobs import COMMANDS, QUERY_COMMANDS, Job, JobRejected, JobResult, LearnerError
from decode_data.services.engine.query_lane import QueryLane
from decode_data.services.engine.query_process import readers_lock_path
from decode_data.services.engine.worker_host_client import ForkedProcess, HostUnavailable, WorkerHost

OnEvent = Callable[[dict], None]
REPO_ROOT = Path(__file__).resolve().parents[3]
WORKER_START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class PoolConfig:
    workers: int
    job_timeout_s: float
    job_memory_mb: int
    worker_max_jobs: int
    max_log_bytes: int
    data_dir: Path
    motherduck_token: str | None = None
    query_idle_s: float = 10.0  # a learner's query process stays open this long after a query
    query_processes: int = 64  # open query processes at most (the least recently used goes first)
    query_slots: int | None = None  # queries running at once across learners; None: as many as workers
    short_reserve: int | None = None  # workers kept for short jobs (show, compile); None: 1 from 3 workers
    # The warm-up (seconds of CPU) makes every later job cheaper: worth it for a server or a
    # `lessons check`, not for a process that runs one job and exits (`workspace run`).
    warm_up: bool = True


class WorkerDied(RuntimeError):
    pass


class _LineReader:
    """Reads JSON lines from a pipe with a deadline, so a stuck worker cannot stall a caller.

    Linear in the bytes read, and a line longer than MAX_LINE_BYTES is dropped whole: the job
    process keeps results small, so only a misbehaving job could send one.
    """

    MAX_LINE_BYTES = 16 * 1024 * 1024

    def __init__(self, stream):
        self.fd = stream.fileno()
        self.lines: list[bytes] = []
        self.partial: list[bytes] = []
        self.partial_size = 0
        self.oversized = False

    def _feed(self, chunk: bytes) -> None:
        *complete, rest = chunk.split(b"\n")
        for piece in complete:
            if not self.oversized and self.partial_size + len(piece) <= self.MAX_LINE_BYTES:
                self.partial.append(piece)
                self.lines.append(b"".join(self.partial))
            self.partial, self.partial_size, self.oversized = [], 0, False
        self.partial_size += len(rest)
        if self.partial_size > self.MAX_LINE_BYTES:
            self.partial, self.oversized = [], True
        elif not self.oversized and rest:
            self.partial.append(rest)

    def read(self, deadline: float) -> dict:
        while True:
            while self.lines:
                line = self.lines.pop(0)
                if line.strip():
                    try:
                        return json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a job killed mid-write leaves half a line
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise WorkerDied("the worker stopped answering")
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                raise WorkerDied("the worker exited")
            self._feed(chunk)


def _worker_env(config: PoolConfig) -> dict:
    # A clean environment: no SECRET_KEY, no DATABASE_URL, no tokens reach dbt or learner Jinja.
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": str(config.data_dir / "tmp"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def worker_config(config: PoolConfig) -> dict:
    """What a worker is told at its start (the host is told it once, for all its workers)."""
    return {
        "scratch_dir": str(config.data_dir / "tmp"),
        "motherduck_token": config.motherduck_token,
        "warm_up": config.warm_up,
    }


class WorkerProcess:
    """One warm worker: forked by the engine's worker host, or started on its own when there
    is no host (or it cannot fork one)."""

    def __init__(self, config: PoolConfig, host: WorkerHost | None = None):
        self.config = config
        self.jobs_done = 0
        (config.data_dir / "tmp").mkdir(parents=True, exist_ok=True)  # the warm-up's scratch
        self.proc = self._forked(host) or self._started(config)
        self.reader = _LineReader(self.proc.stdout)
        ready = self.reader.read(time.monotonic() + WORKER_START_TIMEOUT_S)
        if ready.get("type") != "ready":
            raise WorkerDied(f"worker failed to start: {ready}")
        self.pid = ready["pid"]

    def _started(self, config: PoolConfig) -> subprocess.Popen:
        """A worker of its own: it imports and warms up dbt itself."""
        proc = subprocess.Popen(
            [sys.executable, "-m", "decode_data.services.engine.worker"],
            cwd=str(REPO_ROOT),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_worker_env(config),
            start_new_session=True,
        )
        proc.stdin.write(json.dumps(worker_config(config)).encode() + b"\n")
        proc.stdin.flush()
        return proc

    @staticmethod
    def _forked(host: WorkerHost | None) -> ForkedProcess | None:
        if host is None:
            return None
        try:
            return host.spawn()
        except HostUnavailable as exc:
            if host.closed:  # the engine closed meanwhile: no worker at all
                raise WorkerDied("the engine is closing") from exc
            print(f"decode_data engine: starting a worker on its own: {exc}", file=sys.stderr)
            return None

    def _write(self, message: dict) -> None:
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def run(self, request: dict, on_event: OnEvent) -> tuple[dict | None, dict, list[str], bool]:
        """Send a job; stream its events; return (result, exit info, log lines, crash message)."""
        self._write(request)
        self.jobs_done += 1
        deadline = time.monotonic() + float(request["timeout_s"]) + 30.0
        result, logs, crash = None, [], None
        while True:
            message = self.reader.read(deadline)
            kind = message.get("type")
            if kind == "exit":
                return result, message, logs, crash
            if kind == "result":
                result = message["result"]
            elif kind == "crash":
                crash = message.get("message")
            else:
                if kind == "log":
                    logs.append(message.get("line", ""))
                on_event(message)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        try:
            self._write({"type": "stop"})
            self.proc.wait(timeout=5)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            self.kill()

    def kill(self) -> None:
        if isinstance(self.proc, ForkedProcess):
            self.proc.kill_group()
        else:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 9)
        self.proc.wait()


class LearnerLocks:
    """One lock per learner: a thread lock for this process and a file lock for the others."""

    def __init__(self, lock_dir: Path):
        self.lock_dir = lock_dir
        self.guard = threading.Lock()
        self.locks: dict[str, threading.Lock] = {}

    @contextmanager
    def without_readers(self, learner_key: str, wait_s: float):
        """Wait (up to wait_s) until no query process on this machine holds the learner's DuckDB
        file open: each holds the readers lock shared while it lives (query_process.py)."""
        fd = os.open(readers_lock_path(self.lock_dir, learner_key), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        break  # DuckDB then names the lock in its error
                    time.sleep(0.02)
            yield
        finally:
            os.close(fd)

    @contextmanager
    def hold(self, learner_key: str):
        with self.guard:
            lock = self.locks.setdefault(learner_key, threading.Lock())
        with lock:
            self.lock_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_dir / f"{learner_key}.lock", os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)


def _failure(command: str, message: str, status: str = "error") -> JobResult:
    return JobResult(status=status, command=command, errors=[LearnerError(message=message)])


class Engine:
    """Submit jobs; each call blocks its thread until the job is done and streams events."""

    def __init__(self, config: PoolConfig):
        self.config = config
        reserve = config.short_reserve if config.short_reserve is not None else int(config.workers >= 3)
        self.idle = FairQueue(reserve=min(reserve, config.workers - 1))
        self.locks = LearnerLocks(config.data_dir / "locks")
        self.workers: set[WorkerProcess] = set()
        self.closed = False
        self.last_rss_kb: deque[int] = deque(maxlen=1000)
        self.queries = QueryLane(
            _worker_env(config),
            REPO_ROOT,
            {
                "scratch_dir": str(config.data_dir / "tmp"),
                "lock_dir": str(self.locks.lock_dir),
                "idle_s": config.query_idle_s,
                "max_processes": config.query_processes,
            },
            WORKER_START_TIMEOUT_S,
            slots=config.query_slots or config.workers,
        )
        self.host = WorkerHost(_worker_env(config), REPO_ROOT, worker_config(config), WORKER_START_TIMEOUT_S)
        starters = [threading.Thread(target=self._add_worker, daemon=True) for _ in range(config.workers)]
        starters.append(threading.Thread(target=self._start_queries, daemon=True))
        for t in starters:
            t.start()

    def _start_queries(self) -> None:
        try:
            self.queries.start()
        except Exception as exc:  # noqa: BLE001 - the first query starts it again
            print(f"decode_data engine: the query host failed to start: {exc}", file=sys.stderr)

    def _add_worker(self) -> None:
        if self.closed:
            return
        try:
            worker = WorkerProcess(self.config, self.host)
        except Exception as exc:  # noqa: BLE001 - keep the pool alive; log and retry later
            if self.closed:
                return
            print(f"decode_data engine: worker failed to start: {exc}", file=sys.stderr)
            time.sleep(2)
            return self._add_worker()
        if self.closed:  # the engine closed while this worker was starting
            worker.kill()
            return
        self.workers.add(worker)
        self.idle.put(worker)

    def _retire(self, worker: WorkerProcess, kill: bool = False) -> None:
        self.workers.discard(worker)
        worker.kill() if kill else worker.stop()
        threading.Thread(target=self._add_worker, daemon=True).start()

    def submit(
        self,
        job: Job,
        paths: dict,
        on_event: OnEvent | None = None,
        timeout_s: float | None = None,
        motherduck_db: str | None = None,
    ) -> JobResult:
        if job.command not in COMMANDS:
            raise JobRejected(f"'{job.command}' is not a command here; use one of {', '.join(COMMANDS)}")
        timeout = timeout_s or self.config.job_timeout_s
        request = {
            "job": job.to_dict(),
            "paths": {k: str(v) for k, v in paths.items()},
            "timeout_s": timeout,
            "memory_mb": self.config.job_memory_mb,
            "max_log_bytes": self.config.max_log_bytes,
            "motherduck_db": motherduck_db,
        }
        with self.locks.hold(job.learner_key):
            if job.command in QUERY_COMMANDS:
                result, exit_info, crash = self.queries.run(job.learner_key, request)
                return self._finish(job, result, exit_info, [], crash, timeout)
            self.queries.close(job.learner_key)  # dbt needs the DuckDB file: no reader may hold it
            with self.locks.without_readers(job.learner_key, self.config.query_idle_s + 5):
                return self._on_worker(job, request, on_event, timeout)

    def _on_worker(self, job: Job, request: dict, on_event: OnEvent | None, timeout: float) -> JobResult:
        """Run a job on a warm worker (the caller holds the learner's locks)."""
        try:
            worker = self.idle.get(job.learner_key, job.command in SHORT_COMMANDS, timeout=WORKER_START_TIMEOUT_S)
        except queue.Empty:
            return _failure(job.command, "All dbt workers are busy or starting; try again shortly.")
        try:
            result, exit_info, logs, crash = worker.run(request, on_event or (lambda _e: None))
        except (WorkerDied, OSError) as exc:
            self._retire(worker, kill=True)
            return _failure(job.command, f"The job could not finish ({exc}); please run it again.")
        self.last_rss_kb.append(exit_info.get("max_rss_kb", 0))
        if not worker.alive() or worker.jobs_done >= self.config.worker_max_jobs:
            self._retire(worker)
        else:
            self.idle.put(worker)
        return self._finish(job, result, exit_info, logs, crash, timeout)

    def _finish(
        self, job: Job, result: dict | None, exit_info: dict, logs: list[str], crash: str | None, timeout: float
    ) -> JobResult:
        if exit_info.get("timed_out"):
            out = _failure(
                job.command,
                f"Your job was stopped after {timeout:g} s. Look for a query or a Jinja loop that never ends.",
                status="timeout",
            )
        elif result is None:
            signal_no = exit_info.get("signal")
            why = (
                f"it ran out of memory or crashed (signal {signal_no})"
                if signal_no
                else crash or "it stopped unexpectedly"
            )
            out = _failure(
                job.command,
                f"Your job did not finish: {why}. Your files are safe; try a smaller query or run it again.",
            )
        else:
            out = JobResult.from_dict(result)
        out.logs = logs
        if not out.elapsed_s:
            out.elapsed_s = exit_info.get("elapsed_s", 0.0)
        return out

    def close(self) -> None:
        """Stop every worker now: they hold no state, and a running job dies with its worker."""
        self.closed = True
        self.queries.stop()
        for worker in list(self.workers):
            worker.kill()
        self.workers.clear()
        self.host.close()
