"""Faults on the real app, in a real browser: the app database stopped and started, the
workspaces' disk full, a damaged warehouse file, and the server killed with SIGKILL during an
autosave and during a run (then started again, as an operator would). The learner is told what
happened in plain words, no saved edit is lost, and the app recovers without a restart.

One app for the module, on its own PostgreSQL server, with its workspaces on a small tmpfs
(we run the tests as root). The service-level side of each fault is tests/test_faults.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from decode_data.db import normalize_url
from tests.e2e_steps import new_username, open_file, open_lesson, replace_editor_text, run_dbt, sign_up, wait_saved
from tests.live_app import LiveApp
from tests.pg_server import pg_bin, running_postgres

pytestmark = [pytest.mark.app, pytest.mark.faults]

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "dbt_template"
STG_CUSTOMERS = "models/stg_customers.sql"
GOOD_MODEL = "select * from {{ ref('raw_customers') }}\n"
# A table the warehouse builds for minutes: the server is killed while dbt is inside it.
SLOW_MODEL = (
    "{{ config(materialized='table') }}\nselect sum(a.range * b.range) as n from range(200000) a, range(200000) b\n"
)
WORKSPACES_DISK_KB = 96 * 1024


class FaultApp:
    """The app under test, which a test may kill and start again on the same port and data."""

    def __init__(self, root: Path, pg, port: int):
        self.root, self.pg, self.starts = root, pg, 0
        self.app = self._start(port=port)

    def _start(self, port: int) -> LiveApp:
        self.starts += 1
        app = LiveApp(
            self.root,
            TEMPLATE_DIR,
            port=port,
            # The job limit is longer than a restart, so a job left running by a killed server
            # would still hold the learner's DuckDB file when the new server runs dbt.
            extra_env={"DATABASE_URL": self.pg.url, "DECODE_DATA_JOB_TIMEOUT": "300"},
        )
        app.wait_until_serving()
        return app

    @property
    def url(self) -> str:
        return self.app.url

    def kill_and_restart(self) -> list[int]:
        """SIGKILL the whole app (reflex and its backend), then start it again; returns the pids
        of the dbt workers the killed app had started."""
        workers = engine_workers(self.app.data_dir)
        os.killpg(self.app.process.pid, signal.SIGKILL)
        self.app.process.wait(timeout=30)
        self.app.log_path.rename(self.root / f"reflex-{self.starts}.log")
        self.app = self._start(port=self.app.port)
        # Same port, same pages: the restart serves the build the killed app served.
        assert "unchanged since its last build" in self.app.log_tail(), self.app.log_tail()
        return workers

    def stop(self) -> None:
        self.app.stop()


def engine_workers(data_dir: Path) -> list[int]:
    """The dbt worker processes of the app whose data folder is `data_dir` (their HOME is in it)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if b"decode_data.services.engine.worker" not in (proc / "cmdline").read_bytes():
                continue
            if f"HOME={data_dir}".encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
    return found


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


@pytest.fixture(scope="module")
def fault_app(tmp_path_factory, session_app):
    """An app of the module's own, on PostgreSQL with a small disk, on the port of the session's
    app (conftest SessionApp), whose frontend build it serves."""
    if pg_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must test against PostgreSQL: install the `postgresql` package")
        pytest.skip("PostgreSQL is not installed here")
    root = tmp_path_factory.mktemp("fault-app")
    workspaces = root / "data" / "workspaces"
    workspaces.mkdir(parents=True)
    mount = ["mount", "-t", "tmpfs", "-o", f"size={WORKSPACES_DISK_KB}k", "tmpfs", str(workspaces)]
    if subprocess.run(mount, check=False).returncode != 0:
        if os.environ.get("CI"):
            pytest.fail("CI runs the tests as root: the disk-full test must mount its tmpfs")
        pytest.skip("needs root to mount a small tmpfs for the workspaces")
    try:
        with running_postgres() as pg:
            app = FaultApp(root, pg, session_app.lend_port())
            try:
                yield app
            finally:
                app.stop()
    finally:
        subprocess.run(["umount", "-l", str(workspaces)], check=False)


def _start_lesson(page, app: FaultApp, prefix: str) -> str:
    username = new_username(prefix)
    sign_up(page, app.url, username)
    open_lesson(page, app.url, "hello_dbt")
    open_file(page, STG_CUSTOMERS)
    return username


def _warehouse_of(app: FaultApp, username: str) -> Path:
    engine = create_engine(normalize_url(app.pg.url))
    try:
        with engine.connect() as connection:
            key = connection.execute(text("select warehouse_key from users where username = :u"), {"u": username})
            return app.app.data_dir / "workspaces" / key.scalar_one() / "hello_dbt" / "warehouse.duckdb"
    finally:
        engine.dispose()


def _editor(page):
    return page.locator("#editor .cm-content")


def test_the_app_database_away_for_a_while_loses_no_edit(page, fault_app):
    """PostgreSQL stops while the learner types: the editor says the database can't be reached
    and keeps the edit; PostgreSQL comes back and the retry saves it, no restart."""
    _start_lesson(page, fault_app, "pgdown")
    mine = "select id, first_name from {{ ref('raw_customers') }}\n"
    fault_app.pg.stop()
    try:
        replace_editor_text(page, mine)
        expect(page.locator("#save-error")).to_contain_text(
            "Couldn't save: the app database can't be reached. Your edit is kept here; we'll retry."
        )
        expect(page.locator("#save-state")).to_have_attribute("data-save", "retrying")
    finally:
        fault_app.pg.start()
    wait_saved(page)
    expect(page.locator("#save-error")).to_have_count(0)

    open_lesson(page, fault_app.url, "hello_dbt")  # a fresh load reads what was stored
    open_file(page, STG_CUSTOMERS)
    expect(_editor(page)).to_contain_text("first_name from")
    assert not page.errors


def test_a_full_disk_keeps_the_edit_and_saves_it_once_there_is_room(page, fault_app):
    """The workspaces' disk fills up: the editor says so and keeps the edit; once space is
    freed the retry saves it."""
    _start_lesson(page, fault_app, "diskfull")
    filler = fault_app.app.data_dir / "workspaces" / ".filler"
    try:
        with filler.open("wb", buffering=0) as handle, contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * 65536)
        replace_editor_text(page, GOOD_MODEL + "-- " + "x" * 8000 + "\n")
        expect(page.locator("#save-error")).to_contain_text(
            "Couldn't save: the server's disk is full. Your edit is kept here; we'll retry."
        )
    finally:
        filler.unlink(missing_ok=True)
    wait_saved(page)
    open_lesson(page, fault_app.url, "hello_dbt")
    open_file(page, STG_CUSTOMERS)
    expect(_editor(page)).to_contain_text("x" * 100)


def test_a_damaged_warehouse_says_so_and_reset_warehouse_is_the_way_out(page, fault_app):
    """Junk in the learner's DuckDB file: the run says the warehouse is damaged (no server path)
    and offers Reset warehouse, which keeps the learner's files; the next build works."""
    username = _start_lesson(page, fault_app, "damaged")
    replace_editor_text(page, GOOD_MODEL)
    wait_saved(page)
    assert "2 success" in run_dbt(page, "seed")
    _warehouse_of(fault_app, username).write_bytes(b"this is not a duckdb file " * 4096)

    page.click("#dbt-seed")
    outcome = page.locator("#run-outcome")
    expect(outcome).to_contain_text("Your warehouse file is damaged", timeout=120_000)
    expect(outcome).to_contain_text("Reset warehouse rebuilds it from your project")
    assert "/workspaces/" not in page.locator("#run-status").inner_text()
    page.click("#reset-warehouse")
    expect(outcome).to_contain_text("Your warehouse was reset")
    expect(_editor(page)).to_contain_text("ref('raw_customers')")  # the learner's file is kept
    assert "2 success" in run_dbt(page, "seed")
    _run_open_model(page)


def _run_open_model(page) -> None:
    page.click("#dbt-run-open")
    expect(page.locator("#run-outcome")).to_contain_text("finished", timeout=120_000)


def test_the_server_killed_during_an_autosave_and_a_run_loses_nothing(page, fault_app):
    """SIGKILL of the app right after an autosave, then again during a dbt run; the operator
    starts it again each time. The saved edit is there after a reload, the killed app's dbt
    workers are gone with it, and the same workspace runs again."""
    _start_lesson(page, fault_app, "killed")
    replace_editor_text(page, SLOW_MODEL)
    wait_saved(page)
    fault_app.kill_and_restart()
    open_lesson(page, fault_app.url, "hello_dbt")
    open_file(page, STG_CUSTOMERS)
    expect(_editor(page)).to_contain_text("range(200000)")

    page.click("#dbt-run-open")
    expect(page.locator("#node-statuses")).to_contain_text("stg_customers running", timeout=120_000)
    time.sleep(1.0)  # dbt is inside the slow query, holding the warehouse open
    old_workers = fault_app.kill_and_restart()
    assert old_workers and not any(running(pid) for pid in old_workers), "the killed app's dbt job lives on"

    open_lesson(page, fault_app.url, "hello_dbt")
    open_file(page, STG_CUSTOMERS)
    replace_editor_text(page, GOOD_MODEL)
    wait_saved(page)
    assert "2 success" in run_dbt(page, "seed")
    _run_open_model(page)
