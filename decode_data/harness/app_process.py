"""Start the real app the way scripts/start serves it: `reflex run --env prod` (the production
build, one port) on a free port, with its own data folder and lesson folder.

Shared by the browser tests (tests/live_app.py) and the browser bench (decode_data/bench/browser.py),
so both measure and test exactly what a learner gets. The first start in a fresh clone installs the
frontend packages with bun (a few minutes); later starts rebuild in seconds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from decode_data.harness.frontend_lock import align_built_package_json

REPO_ROOT = Path(__file__).resolve().parents[2]  # decode_data/harness/ is two levels below the repo
BUN_BIN = REPO_ROOT / ".tools" / "bun" / "node_modules" / ".bin"
STARTUP_TIMEOUT_S = float(os.environ.get("DECODE_DATA_APP_START_TIMEOUT", "900"))
CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
]
OIDC_CLIENT_ID = "decode-data-e2e"
OIDC_CLIENT_SECRET = "e2e-client-secret-only-for-tests"
OIDC_NAME = "Test SSO"
INHERITED = (
    "DATABASE_URL",
    "SECRET_KEY",
    "MOTHERDUCK_TOKEN",
    "REFLEX_FRONTEND_PORT",
    "REFLEX_BACKEND_PORT",
    "REFLEX_BACKEND_HOST",
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "GITHUB_CLIENT_ID",
    "GITHUB_CLIENT_SECRET",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "PUBLIC_URL",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, timeout: float = 10) -> tuple[int, str, str]:
    """(status, content type, body); (0, "", reason) while nothing listens yet."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return (
                response.status,
                response.headers.get("Content-Type", ""),
                response.read().decode("utf-8", errors="replace"),
            )
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode("utf-8", errors="replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        return 0, "", str(exc)


def npm_registry() -> str:
    """The configured npm registry: without it Reflex probes several to pick the fastest."""
    if os.environ.get("NPM_CONFIG_REGISTRY") or not shutil.which("npm"):
        return os.environ.get("NPM_CONFIG_REGISTRY", "")
    return subprocess.run(
        ["npm", "config", "get", "registry"], capture_output=True, text=True, check=False
    ).stdout.strip()


def stop_group(process: subprocess.Popen, grace_s: float = 20) -> None:
    """Stop a process and everything it spawned (its own process group), politely then not."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # children that outlived the leader
        return


class LiveApp:
    """A production `reflex run` whose environment is exactly what scripts/start gives it."""

    def __init__(
        self,
        root: Path,
        template_dir: Path,
        port: int | None = None,
        oidc_issuer: str | None = None,
        extra_env: dict[str, str] | None = None,
    ):
        """`extra_env` adds settings (DATABASE_URL for PostgreSQL, a longer job time...)."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = root / "data"
        self.log_path = root / "reflex.log"
        self.env = {**self._env(template_dir, oidc_issuer), **(extra_env or {})}
        align_built_package_json(REPO_ROOT)  # the build must leave the tracked reflex.lock/ as it is
        subprocess.run(
            [sys.executable, "-m", "decode_data", "db", "upgrade"],
            cwd=REPO_ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "reflex",
                    "run",
                    "--env",
                    "prod",
                    "--loglevel",
                    "info",
                    "--frontend-port",
                    str(self.port),
                    "--backend-host",
                    "127.0.0.1",
                ],
                cwd=REPO_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _env(self, template_dir: Path, oidc_issuer: str | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in INHERITED}
        env.update(
            PATH=f"{BUN_BIN}{os.pathsep}{env.get('PATH', '')}",
            REFLEX_USE_SYSTEM_BUN="1",
            REFLEX_CHECK_LATEST_VERSION="false",
            DECODE_DATA_ENV="test",
            DECODE_DATA_DIR=str(self.data_dir),
            DECODE_DATA_TEMPLATE_DIR=str(template_dir),
            DECODE_DATA_WORKERS="2",
            PUBLIC_URL=self.url,
            # Every browser of a test session or the bench signs up from 127.0.0.1, and the bench's
            # learner runs dbt over and over: the limits have their own tests (test_abuse_limits.py).
            DECODE_DATA_SIGNUPS_PER_HOUR="1000",
            DECODE_DATA_JOBS_PER_10_MINUTES="10000",
        )
        if registry := npm_registry():
            env["NPM_CONFIG_REGISTRY"] = registry
        if oidc_issuer:
            env.update(
                OIDC_ISSUER=oidc_issuer,
                OIDC_CLIENT_ID=OIDC_CLIENT_ID,
                OIDC_CLIENT_SECRET=OIDC_CLIENT_SECRET,
                OIDC_NAME=OIDC_NAME,
            )
        return env

    def log_tail(self, lines: int = 80) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_until_serving(self) -> float:
        """Seconds until both the backend and the built frontend answer; fails with the log."""
        started = time.monotonic()
        while time.monotonic() - started < STARTUP_TIMEOUT_S:
            if self.process.poll() is not None:
                raise RuntimeError(f"reflex run exited with {self.process.returncode}:\n{self.log_tail()}")
            if http_get(f"{self.url}/ping")[0] == 200 and http_get(f"{self.url}/")[0] == 200:
                return time.monotonic() - started
            time.sleep(1)
        raise RuntimeError(f"app not serving after {STARTUP_TIMEOUT_S:.0f}s:\n{self.log_tail()}")

    def stop(self) -> None:
        stop_group(self.process)
