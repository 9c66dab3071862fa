"""The engine's side of the worker host (worker_host.py): start it, ask it for workers.

A worker the host forks is not the engine's child, so the engine cannot wait for it as
subprocess does: ForkedProcess watches it through a pidfd instead (readable once it ended,
and it keeps its pid from being mistaken for a newer process while the worker lives).
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import threading
from contextlib import suppress
from pathlib import Path

MAX_MESSAGE = 1 << 16  # one control message between the engine and the host (JSON, small)


class HostUnavailable(RuntimeError):
    """The host could not start or answer: the engine starts a worker on its own instead."""


class ForkedProcess:
    """A worker forked by the host, with the part of Popen's interface the pool uses."""

    def __init__(self, pid: int, stdin_fd: int, stdout_fd: int):
        self.pid = pid
        self.stdin = os.fdopen(stdin_fd, "wb")
        self.stdout = os.fdopen(stdout_fd, "rb")
        self.returncode: int | None = None
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # it ended already (and the host reaped it)
            self._pidfd = None
            self.returncode = -1

    def _ended_within(self, timeout: float | None) -> bool:
        if self.returncode is not None:
            return True
        if not select.select([self._pidfd], [], [], timeout)[0]:
            return False
        os.close(self._pidfd)
        self._pidfd, self.returncode = None, -1  # the host reaps it: its status is not ours to read
        return True

    def poll(self) -> int | None:
        self._ended_within(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended_within(timeout):
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
        return self.returncode

    def kill_group(self) -> None:
        """Kill the worker and its job (its process group), only while it lives: an ended
        worker's pid may already belong to someone else."""
        if self.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.pid, 9)


class WorkerHost:
    """Starts the host on first use (again if it died) and forks workers from it."""

    def __init__(self, env: dict, cwd: Path, config: dict, start_timeout_s: float):
        self.env, self.cwd, self.config, self.start_timeout_s = env, cwd, config, start_timeout_s
        self.lock = threading.Lock()  # one request on the socket at a time
        self.proc: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.closed = False

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "decode_data.services.engine.worker_host", str(theirs.fileno())],
                cwd=str(self.cwd),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=self.env,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        finally:
            theirs.close()
        self.control = ours
        ours.settimeout(self.start_timeout_s)
        ours.send(json.dumps(self.config).encode())
        ready = self._answer()
        if ready.get("type") != "ready":
            self._stop_host()
            raise HostUnavailable(f"the worker host failed to start: {ready}")

    def _answer(self) -> dict:
        """The host's answer; a host that does not give one is stopped (a late answer must
        never be read as the next request's)."""
        try:
            message = self.control.recv(MAX_MESSAGE)
        except OSError as exc:
            self._stop_host()
            raise HostUnavailable(f"the worker host did not answer: {exc}") from exc
        if not message:
            self._stop_host()
            raise HostUnavailable("the worker host exited")
        return json.loads(message)

    def spawn(self) -> ForkedProcess:
        """A new warm worker; HostUnavailable when the host cannot make one (it is started
        again on the next call)."""
        stdin_r, stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        try:
            with self.lock:
                if self.closed:
                    raise HostUnavailable("the engine is closing")
                if self.proc is None or self.proc.poll() is not None:
                    self._stop_host()
                    self._start()
                try:
                    socket.send_fds(self.control, [b'{"type": "spawn"}'], [stdin_r, stdout_w])
                except OSError as exc:
                    self._stop_host()
                    raise HostUnavailable(f"the worker host is gone: {exc}") from exc
                answer = self._answer()
        except BaseException:
            os.close(stdin_w)
            os.close(stdout_r)
            raise
        finally:
            os.close(stdin_r)  # the worker has its own copies now (or there is no worker)
            os.close(stdout_w)
        if "pid" not in answer:
            os.close(stdin_w)
            os.close(stdout_r)
            raise HostUnavailable(f"the worker host could not fork: {answer}")
        return ForkedProcess(int(answer["pid"]), stdin_w, stdout_r)

    def _stop_host(self, wait_s: float = 0.0) -> None:
        """Close the socket; the host then reaps what is left of its workers and exits (given
        `wait_s`), or is killed."""
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=wait_s)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, 9)
                self.proc.wait()
            self.proc = None

    def close(self) -> None:
        """Stop the host (the engine has stopped its workers first)."""
        self.closed = True
        if not self.lock.acquire(timeout=0.2):  # a host still warming up holds the lock
            starting = self.proc
            if starting is not None:
                with suppress(ProcessLookupError):
                    os.killpg(starting.pid, 9)
            self.lock.acquire()
        try:
            self._stop_host(wait_s=5.0)
        finally:
            self.lock.release()
