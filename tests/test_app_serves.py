"""The Reflex app compiles, starts and serves its landing page: a real `reflex run`, no mocks.

One app runs for the module, with its data and lesson catalog in throwaway folders. The first
run installs the frontend packages with bun (minutes, from the npm registry); later runs reuse
.web/ and start in seconds. Select with `-m app`, skip with `-m "not app"`.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from decode_data.pages.landing import PITCH, PRODUCT_NAME

pytestmark = pytest.mark.app

REPO_ROOT = Path(__file__).resolve().parent.parent
BUN_BIN = REPO_ROOT / ".tools" / "bun" / "node_modules" / ".bin"
COMPILED_LANDING = REPO_ROOT / ".web" / "app" / "routes" / "_index.jsx"
STARTUP_TIMEOUT_S = float(os.environ.get("DECODE_DATA_APP_START_TIMEOUT", "900"))
BROWSER = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)

LESSON_ID = "browser_check"
LESSON_YML = """
    id: browser_check
    title: A lesson only this test installs
    summary: Proves the catalog travels from lesson.yml to the browser.
    level: intermediate
    minutes: 7
    steps:
      - id: only
        title: The only step
        instructions: Nothing to do.
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _reflex_env(data_dir: Path, template_dir: Path) -> dict[str, str]:
    """The environment scripts/start gives Reflex, with data and lessons in throwaway folders."""
    env = dict(os.environ)
    for inherited in ("DATABASE_URL", "SECRET_KEY", "MOTHERDUCK_TOKEN", "REFLEX_FRONTEND_PORT",
                      "REFLEX_BACKEND_PORT", "REFLEX_BACKEND_HOST"):
        env.pop(inherited, None)
    env.update(
        PATH=f"{BUN_BIN}{os.pathsep}{env.get('PATH', '')}",
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_CHECK_LATEST_VERSION="false",
        DECODE_DATA_ENV="test",
        DECODE_DATA_DIR=str(data_dir),
        DECODE_DATA_TEMPLATE_DIR=str(template_dir),
    )
    if not env.get("NPM_CONFIG_REGISTRY") and shutil.which("npm"):
        # Without it Reflex times latency probes against several registries to pick one.
        registry = subprocess.run(["npm", "config", "get", "registry"], capture_output=True,
                                  text=True, check=False).stdout.strip()
        if registry:
            env["NPM_CONFIG_REGISTRY"] = registry
    return env


def _get(url: str) -> tuple[int, str, str]:
    """(status, content type, body) of a GET; (0, "", reason) while nothing listens yet."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode("utf-8", errors="replace")
            return response.status, response.headers.get("Content-Type", ""), body
    except urllib.error.HTTPError as exc:
        return exc.code, "", ""
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        return 0, "", str(exc)


def _stop_group(process: subprocess.Popen, grace_s: float = 20) -> None:
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
        # The leader exited; children that outlived it still share its group.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return


class RunningApp:
    """A `reflex run` in dev mode on free ports, with its combined log for failure messages."""

    def __init__(self, root: Path):
        template_dir = root / "lessons"
        (template_dir / LESSON_ID).mkdir(parents=True)
        (template_dir / LESSON_ID / "lesson.yml").write_text(textwrap.dedent(LESSON_YML))
        self.frontend_port = _free_port()
        self.backend_port = _free_port()
        self.log_path = root / "reflex.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "reflex", "run", "--env", "dev", "--loglevel", "info",
                 "--frontend-port", str(self.frontend_port),
                 "--backend-port", str(self.backend_port)],
                cwd=REPO_ROOT,
                env=_reflex_env(root / "data", template_dir),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def frontend(self) -> str:
        return f"http://127.0.0.1:{self.frontend_port}"

    @property
    def backend(self) -> str:
        return f"http://127.0.0.1:{self.backend_port}"

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"reflex run exited with {self.process.returncode}:\n{self.log_tail()}")
            if _get(f"{self.backend}/ping")[0] == 200 and _get(f"{self.frontend}/")[0] == 200:
                return
            time.sleep(1)
        pytest.fail(f"app not serving after {STARTUP_TIMEOUT_S:.0f}s:\n{self.log_tail()}")


@pytest.fixture(scope="module")
def running_app(tmp_path_factory):
    app = RunningApp(tmp_path_factory.mktemp("app"))
    try:
        app.wait_until_serving()
        yield app
    finally:
        _stop_group(app.process)


def _page_text(url: str, expected: str, profile_dir: Path, timeout_s: float = 60) -> str:
    """The visible text of ``url`` in headless Chromium, polled until it contains ``expected``.

    Polling over the DevTools protocol (not --dump-dom) because the lesson cards arrive over
    the websocket after the page loaded, at a time no fixed budget can predict.
    """
    import simple_websocket  # Reflex's websocket dependency; a DevTools client is all we need

    browser = subprocess.Popen(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", f"--user-data-dir={profile_dir}", "--remote-debugging-port=0", url],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    devtools = None
    try:
        deadline = time.monotonic() + timeout_s
        port_file = profile_dir / "DevToolsActivePort"
        while not (port_file.exists() and port_file.read_text().strip()):
            assert time.monotonic() < deadline and browser.poll() is None, "Chromium did not start"
            time.sleep(0.2)
        port = port_file.read_text().split()[0]
        _, _, targets = _get(f"http://127.0.0.1:{port}/json/list")
        page = next(t for t in json.loads(targets) if t["type"] == "page")
        devtools = simple_websocket.Client.connect(page["webSocketDebuggerUrl"])
        text = ""
        for request_id in itertools.count(1):
            devtools.send(json.dumps({"id": request_id, "method": "Runtime.evaluate", "params": {
                "expression": "document.body ? document.body.innerText : ''",
                "returnByValue": True}}))
            while (reply := json.loads(devtools.receive(timeout=10) or "{}")).get("id") != request_id:
                assert reply, "no answer from Chromium"
            text = reply["result"]["result"].get("value", "")
            if expected in text or time.monotonic() > deadline:
                return text
            time.sleep(0.5)
    finally:
        if devtools is not None:
            devtools.close()
        _stop_group(browser, grace_s=5)
    return ""


def test_app_compiles_starts_and_serves_landing_page(running_app):
    status, _, body = _get(f"{running_app.backend}/ping")
    assert (status, body.strip('"')) == (200, "pong")

    status, content_type, html = _get(f"{running_app.frontend}/")
    assert status == 200 and "text/html" in content_type
    assert "<html" in html and "/app/root.jsx" in html, html[:500]

    # The landing page compiled to a route module (rewritten only when it changes), and the
    # dev server serves that module to browsers.
    compiled = COMPILED_LANDING.read_text(encoding="utf-8")
    assert PRODUCT_NAME in compiled and PITCH in compiled
    status, _, module = _get(f"{running_app.frontend}/app/routes/_index.jsx")
    assert status == 200 and PRODUCT_NAME in module


@pytest.mark.skipif(BROWSER is None, reason="needs chromium (scripts/test installs it)")
def test_browser_shows_lessons_from_the_catalog(running_app, tmp_path):
    """The page loads its lesson cards from the backend over the websocket on page load."""
    title = "A lesson only this test installs"
    text = _page_text(f"{running_app.frontend}/", title, tmp_path / "profile")
    assert title in text, f"{text}\n{running_app.log_tail()}"
    assert PRODUCT_NAME in text and PITCH in text
    assert "Proves the catalog travels from lesson.yml to the browser." in text
    assert "intermediate" in text and "7 min" in text
