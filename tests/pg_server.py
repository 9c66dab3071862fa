"""A throw-away PostgreSQL server for the tests, from the machine's Debian packages.

Bound to 127.0.0.1 on a free port, with its data in a temporary folder, stopped at the end.
As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--"] + cmd if os.geteuid() == 0 else cmd


class PostgresServer:
    """A private server in a temporary folder; `stop` and `start` it to cut the app off."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="decode-data-pg-"))
        self.data, self.port = self.root / "data", _free_port()
        self.url = f"postgresql://decode@127.0.0.1:{self.port}/decode_data_test"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        subprocess.run(
            _as_server_user(
                [str(bin_dir / "initdb"), "-D", str(self.data), "-U", "decode", "--auth=trust", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
        )

    def _ctl(self, *args: str, check: bool = True) -> None:
        subprocess.run(
            _as_server_user([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), *args]),
            check=check,
            capture_output=True,
        )

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -F"
        self._ctl("-w", "-l", str(self.root / "server.log"), "-o", options, "start")
        _wait(self.port)

    def stop(self) -> None:
        """Stop at once, as a crash would: every open connection breaks."""
        self._ctl("-m", "immediate", "-w", "stop", check=False)

    def create_database(self) -> None:
        subprocess.run(
            [str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "decode"]
            + ["decode_data_test"],
            check=True,
            capture_output=True,
        )

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def running_postgres():
    """Yield a started PostgresServer holding a fresh, empty database; removed afterwards."""
    bin_dir = pg_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (Debian package `postgresql`)")
    server = PostgresServer(bin_dir)
    try:
        server.start()
        server.create_database()
        yield server
    finally:
        server.remove()


@contextmanager
def postgres_server():
    """Yield a SQLAlchemy URL of a fresh, empty database on a private server."""
    with running_postgres() as server:
        yield server.url


def _wait(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not start")
