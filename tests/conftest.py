"""Shared fixtures: an isolated data dir, a migrated SQLite app database, a tiny fake lesson.

Everything is real (files, SQLite, alembic) and lives under pytest's tmp_path, so tests never
touch a developer's .data/ and can run in parallel.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from decode_data import settings as settings_module


def pytest_collection_modifyitems(items):
    """A test that reads a lesson file's real dbt builds (its module's `builds` fixture) is slow.

    The groups that take longest run first (tests/xdist_modules.py shares them among processes)."""
    from tests.xdist_modules import app_modules, rank

    for item in items:
        if "builds" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
    apps = app_modules()
    items.sort(key=lambda item: rank(item.nodeid, apps))


def pytest_xdist_make_scheduler(config, log):
    from tests.xdist_modules import ModuleScheduling

    return ModuleScheduling(config, log)


@pytest.fixture(scope="session", autouse=True)
def own_data_dir(tmp_path_factory):
    """A test that sets no data folder of its own still writes under this process's temporary
    folder: never the developer's .data/, and never one that another pytest process shares."""
    patch = pytest.MonkeyPatch()
    patch.setenv("DECODE_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    settings_module.reset_settings()
    yield
    patch.undo()
    settings_module.reset_settings()


@pytest.fixture(scope="session", autouse=True)
def shared_references(tmp_path_factory):
    """Every test grades against the same reference builds (real ones, made once per lesson
    version), and so do the processes the tests start (`lessons check`, the app, the bench): a
    reference depends on the lesson's files, not on the data folder of whoever first asked for
    it. One folder for all of pytest-xdist's processes, as for a server's processes."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "reference"
    folder.mkdir(exist_ok=True)
    patch = pytest.MonkeyPatch()
    patch.setenv("DECODE_DATA_REFERENCE_DIR", str(folder))
    settings_module.reset_settings()
    yield folder
    patch.undo()
    settings_module.reset_settings()


@pytest.fixture
def settings_env(monkeypatch, tmp_path):
    """Settings for a test: data under tmp_path, test mode, SQLite, no inherited secrets."""
    monkeypatch.setenv("DECODE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DECODE_DATA_ENV", "test")
    for name in ("DATABASE_URL", "SECRET_KEY", "MOTHERDUCK_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings_module.reset_settings()
    yield settings_module.get_settings()
    settings_module.reset_settings()


CHEAP_HASHER_ARGS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@pytest.fixture
def fast_hashing(monkeypatch):
    """Real Argon2, cheap parameters: the default ones take ~0.35 s per hash on a test machine.
    Modules that hash many passwords use it (`pytestmark = pytest.mark.usefixtures(...)`)."""
    from argon2 import PasswordHasher

    from decode_data.services.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(**CHEAP_HASHER_ARGS))
    passwords._dummy_hash.cache_clear()
    yield
    passwords._dummy_hash.cache_clear()


@pytest.fixture
def db_session(settings_env):
    """A sqlmodel Session on a fresh SQLite database migrated with `alembic upgrade head`."""
    from sqlmodel import Session

    from decode_data.db import dispose_engines, get_engine, upgrade_database

    upgrade_database()
    with Session(get_engine()) as session:
        yield session
    dispose_engines()


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


LESSON_FILES = {
    "lesson.yml": """
        id: demo_lesson
        title: Demo lesson
        summary: A two-model project for unit tests.
        editable:
          - "models/staging/*.sql"
          - "models/*.yml"
        steps:
          - id: staging
            title: Stage the orders
            instructions: Select from the seed.
          - id: mart
            title: Build a mart
            instructions: steps/02_mart.md
            editable: ["models/marts/*.sql"]
    """,
    "steps/02_mart.md": "# Build a mart\n\nSum the orders.\n",
    "starter/models/staging/stg_orders.sql": "select 1 as placeholder\n",
    "starter/models/marts/orders_by_customer.sql": "-- write your mart here\nselect 1 as placeholder\n",
    "starter/models/schema.yml": "version: 2\nmodels: []\n",
    "starter/macros/cents.sql": "{% macro cents(x) %}({{ x }} * 100){% endmacro %}\n",
    "seeds/raw_orders.csv": "id,customer_id,amount\n1,1,10\n2,1,5\n3,2,7\n",
    "solution/models/staging/stg_orders.sql": "select * from {{ ref('raw_orders') }}\n",
    "solution/models/marts/orders_by_customer.sql": (
        "select customer_id, sum(amount) as total\nfrom {{ ref('stg_orders') }}\ngroup by 1\n"
    ),
}


@pytest.fixture
def lesson_dir(tmp_path) -> Path:
    """A tiny lesson folder (lesson.yml, starter, seeds, solution), independent of dbt_template."""
    root = tmp_path / "lessons" / "demo_lesson"
    _write(root, LESSON_FILES)
    return root


@pytest.fixture
def lesson(lesson_dir):
    """The fake lesson loaded through the real lesson loader."""
    from decode_data.services.lessons import load_lesson

    return load_lesson(lesson_dir)


@pytest.fixture
def demo_catalog(db_session, lesson_dir, monkeypatch):
    """The fake demo lesson as the whole catalog, so states find it by id through get_lesson."""
    from decode_data.services.lessons import get_lesson

    monkeypatch.setenv("DECODE_DATA_TEMPLATE_DIR", str(lesson_dir.parent))
    settings_module.reset_settings()
    yield get_lesson("demo_lesson")
    settings_module.reset_settings()


@pytest.fixture
def learner(db_session):
    """A learner account (no password) in the test database."""
    from decode_data.services.learners import get_or_create_learner

    return get_or_create_learner(db_session, "ada")


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    """One real engine (two warm, sandboxed workers) shared by the whole test session.

    It is installed as the process-wide engine, so services (runs, warehouse, grader, the
    lesson builds of tests/engine_builds.py) use it too. Jobs carry their own workspace paths,
    so tests with different data dirs can share it. Its workers are not recycled during the
    session (a warm-up costs seconds of CPU, and the session runs hundreds of jobs): recycling
    is proven by tests/test_engine.py on an engine of its own. Jobs get the app's default time.
    """
    from decode_data.services import engine as engine_module
    from decode_data.services.engine import Engine, PoolConfig

    pool = Engine(
        PoolConfig(
            workers=2,
            job_timeout_s=60,
            job_memory_mb=768,
            worker_max_jobs=10_000,
            max_log_bytes=50_000,
            data_dir=tmp_path_factory.mktemp("engine"),
        )
    )
    engine_module._engine = pool
    yield pool
    engine_module._engine = None
    pool.close()


@pytest.fixture
def hello_lesson(settings_env):
    """The real first lesson, hello_dbt, from dbt_template/."""
    from decode_data.services.lessons import get_lesson

    return get_lesson("hello_dbt")


@pytest.fixture(scope="session")
def pg_url():
    """A real PostgreSQL database: DECODE_DATA_TEST_PG_URL, or a private server the tests start.

    CI installs Debian's `postgresql`, so there this never skips.
    """
    import os

    from tests.pg_server import pg_bin, postgres_server

    if os.environ.get("DECODE_DATA_TEST_PG_URL"):
        yield os.environ["DECODE_DATA_TEST_PG_URL"]
        return
    if pg_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must test against PostgreSQL: install the `postgresql` package")
        pytest.skip("PostgreSQL is not installed here")
    with postgres_server() as url:
        yield url


# --- the real app in a real browser (tests marked `app`) --------------------------------------


class SessionApp:
    """The session's one app. A module that starts apps of its own (tests/test_e2e_faults.py)
    borrows its port: an app on the same port serves the same frontend build instead of
    building it again (~10-15 s of both cores). A test that asks for the app after that gets
    it started again on its port, with its data."""

    def __init__(self, start, port: int):
        self.start, self.port = start, port  # start() serves the app on `port`
        self.app = start()

    def serving(self):
        if self.app is None:
            self.app = self.start()
        return self.app

    def lend_port(self) -> int:
        self.stop()
        return self.port

    def stop(self) -> None:
        if self.app is not None:
            self.app.stop()
            self.app = None


@pytest.fixture(scope="session")
def session_app(tmp_path_factory):
    """The production build of the app on 127.0.0.1 with the real lessons and a real OpenID
    Connect provider (auto-approving its one user) configured as "Test SSO"."""
    from tests.live_app import OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, LiveApp, free_port
    from tests.oidc_provider import OIDCProvider, ProviderUser

    port = free_port()
    root = tmp_path_factory.mktemp("live-app")
    provider = OIDCProvider(
        OIDC_CLIENT_ID,
        OIDC_CLIENT_SECRET,
        [f"http://127.0.0.1:{port}/auth/callback/oidc"],
        ProviderUser(sub="grace-e2e", email="Grace.E2E@example.org"),
    )

    def start():
        app = LiveApp(
            root, Path(__file__).resolve().parent.parent / "dbt_template", port=port, oidc_issuer=provider.issuer
        )
        try:
            app.startup_s = app.wait_until_serving()
        except BaseException:
            app.stop()
            raise
        app.oidc = provider
        return app

    with provider.running():
        app = SessionApp(start, port)
        try:
            yield app
        finally:
            app.stop()


@pytest.fixture
def live_app(session_app):
    """The session's app, serving (see SessionApp)."""
    return session_app.serving()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never `playwright install`: it downloads)."""
    from playwright.sync_api import sync_playwright

    from tests.live_app import CHROMIUM, CHROMIUM_ARGS

    if CHROMIUM is None:
        pytest.skip("needs chromium (scripts/test installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser profile (no cookies) at laptop size; its console errors fail loudly."""
    from playwright.sync_api import expect

    # Playwright's assertions wait 5 s by default: a busy 2-core CI box can take longer to
    # stream a result into the page, so they wait as long as actions do (a pass is still instant).
    expect.set_options(timeout=30_000)
    context = browser.new_context(viewport={"width": 1366, "height": 860}, accept_downloads=True)
    context.set_default_timeout(60_000)
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    yield tab
    context.close()
