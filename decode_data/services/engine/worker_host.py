"""The worker host: warms dbt up once, then forks every dbt worker of the engine from itself.

A worker's start is mostly importing dbt and warming it up (~4 CPU-seconds). Started one by
one, an engine of N workers pays that N times, and again for each worker it recycles or
replaces. Forked from this warm process, a new worker is ready in milliseconds, with the same
memory (copy-on-write) and the same code as one started on its own.

Protocol, over a Unix socket (SOCK_SEQPACKET) the engine passes as argv[1]: the first message
is the worker config; the host answers {"type": "ready"} once warm. Each further message is a
spawn request carrying two file descriptors, the new worker's stdin and stdout; the host forks,
the child serves jobs on them exactly like worker.py, and the host answers {"pid": ...}. The
host exits when the engine's end of the socket closes; its workers end with their own pipes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

from decode_data.services.engine import worker
from decode_data.services.engine.worker_host_client import MAX_MESSAGE


def _reap(_signal, _frame) -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:  # none left
        pass


def _wait_for_workers() -> None:
    """Reap every worker before exiting: each ends once the engine's end of its pipe closes."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    try:
        while True:
            os.wait()
    except ChildProcessError:
        pass


def _become_worker(control: socket.socket, stdin_fd: int, stdout_fd: int, config: dict) -> None:
    """In the forked child: own session and pipes, nothing of the host's socket, then serve."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the worker waits for its job processes
        os.setsid()  # its own process group: the engine kills a worker with its jobs
        control.close()
        os.dup2(stdin_fd, 0)
        os.dup2(stdout_fd, 1)
        os.close(stdin_fd)
        os.close(stdout_fd)
        worker.serve(config)
        code = 0
    finally:
        os._exit(code)


def _spawn(control: socket.socket, fds: list[int], config: dict) -> dict:
    if len(fds) != 2:
        for fd in fds:
            os.close(fd)
        return {"error": f"a spawn request needs 2 file descriptors, got {len(fds)}"}
    pid = os.fork()
    if pid == 0:
        _become_worker(control, fds[0], fds[1], config)
    for fd in fds:  # only the worker holds its pipes: its next sibling must not inherit them
        os.close(fd)
    return {"pid": pid}


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    first = control.recv(MAX_MESSAGE)
    if not first:  # the engine closed before it needed a worker
        return
    config = json.loads(first)
    worker.prepare(config)
    # The engine watches each worker through a pidfd of its own; the host only reaps them (so
    # their CPU time adds up in the host's, as a worker's jobs add up in the worker's).
    signal.signal(signal.SIGCHLD, _reap)
    try:
        control.send(json.dumps({"type": "ready", "pid": os.getpid()}).encode())
        while True:
            message, fds, _flags, _address = socket.recv_fds(control, MAX_MESSAGE, 2)
            if not message:  # the engine is gone (or stopped its workers and closed)
                break
            control.send(json.dumps(_spawn(control, fds, config)).encode())
    except OSError:  # the engine went away while the host warmed up or forked
        pass
    _wait_for_workers()


if __name__ == "__main__":
    main()
