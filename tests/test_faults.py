"""Faults, nothing lost: a server killed mid-save or mid-run, a full disk, the app database away,
a damaged DuckDB file. Each fault is real: a process killed with SIGKILL, a small tmpfs filled
to the last byte, a real PostgreSQL server stopped and started, a warehouse file overwritten
with junk, and real dbt runs. The browser side of the same faults is tests/test_e2e_faults.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from decode_data import settings as settings_module
from decode_data.db import dispose_engines, session_scope, upgrade_database
from decode_data.services import runs, warehouse, workspace
from decode_data.services.auth import register, start_session
from decode_data.services.learners import get_or_create_learner
from decode_data.services.lessons import get_lesson
from decode_data.services.outages import DATABASE_DOWN, DISK_FULL, outage_reason
from decode_data.services.workspace import workspace_paths
from decode_data.states.editor import EditorState
from tests.coroutines import run_coroutine
from tests.pg_server import pg_bin, running_postgres
from tests.test_states_lesson import _state

pytestmark = pytest.mark.faults

REPO_ROOT = Path(__file__).resolve().parent.parent
STAGING = "models/staging/stg_orders.sql"
SLOW_MODEL = (
    "{{ config(materialized='table') }}\nselect sum(a.range * b.range) as n from range(200000) a, range(200000) b\n"
)
GOOD_MODEL = "select * from {{ ref('raw_orders') }}\n"


def _child(code: str, env: dict) -> subprocess.Popen:
    """A Python process playing the app server, with the same data folder and database."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_line(process: subprocess.Popen, prefix: str, timeout_s: float = 120) -> str:
    deadline = time.monotonic() + timeout_s
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    process.kill()
    raise AssertionError(f"no {prefix!r} from the child:\n{''.join(seen[-40:])}")


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def _env(settings) -> dict:
    return {"DECODE_DATA_DIR": str(settings.data_dir), "DECODE_DATA_ENV": "test"}


# --- kill -9 mid-save ---------------------------------------------------------------------


def test_a_server_killed_mid_save_never_truncates_a_file_and_the_saved_edit_wins(db_session, learner, lesson):
    """SIGKILL after the database stored the edit, with the new file written but not yet in
    place: the old file is whole (never half-written), and opening the lesson again puts the
    saved edit on disk, so the editor and dbt see what was saved."""
    workspace.ensure_workspace(db_session, learner, lesson)
    before = workspace.read_file(learner, lesson, STAGING)
    saved = "select id, amount from {{ ref('raw_orders') }}\n" * 200
    child = _child(
        f"""
        import os, signal
        from pathlib import Path
        from decode_data.db import session_scope
        from decode_data.services import workspace
        from decode_data.services.learners import get_or_create_learner
        from decode_data.services.lessons import load_lesson

        def killed(fd):  # the data is written, the rename has not happened: the server dies
            os.kill(os.getpid(), signal.SIGKILL)

        os.fsync = killed
        with session_scope() as session:
            user = get_or_create_learner(session, "ada")
            workspace.save_file(session, user, load_lesson(Path({str(lesson.dir)!r})), {STAGING!r}, {saved!r})
        print("NOT KILLED")
        """,
        _env(settings_module.get_settings()),
    )
    output, _ = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, output

    assert workspace.read_file(learner, lesson, STAGING) == before  # whole, not truncated
    assert not any(f["path"].endswith(".tmp") for f in workspace.list_files(learner, lesson))
    project = workspace.workspace_paths(learner.warehouse_key, lesson.id).project
    (left,) = list(project.rglob("*.tmp"))  # the killed save's temp file, hidden
    os.utime(left, (left.stat().st_atime - 120, left.stat().st_mtime - 120))  # the restart comes later
    in_flight = left.with_name(".other.sql.0123abcd.tmp")  # another save, writing right now
    in_flight.write_text("select 1")
    db_session.expire_all()
    assert workspace.sync_saved_edits(db_session, learner, lesson) == [STAGING]
    assert workspace.read_file(learner, lesson, STAGING) == saved
    assert not left.exists() and in_flight.exists()  # opening the lesson removes the stale one only


# --- kill -9 mid-run ----------------------------------------------------------------------


def test_a_server_killed_mid_run_leaves_no_job_behind_and_the_workspace_usable(engine, db_session, learner, lesson):
    """The app is killed while dbt builds a slow model; the operator starts it again. The dead
    server's workers and job go with it (else the job holds the DuckDB lock for its whole time
    limit), and the next run and query in the same workspace work."""
    settings = settings_module.get_settings()
    assert runs.run_dbt(db_session, learner, lesson, "seed").ok
    workspace.save_file(db_session, learner, lesson, STAGING, SLOW_MODEL)
    child = _child(
        f"""
        from pathlib import Path
        from decode_data.db import session_scope
        from decode_data.services import engine as engine_module, runs
        from decode_data.services.engine import Engine, PoolConfig
        from decode_data.services.learners import get_or_create_learner
        from decode_data.services.lessons import load_lesson

        engine_module._engine = pool = Engine(PoolConfig(workers=1, job_timeout_s=120, job_memory_mb=768,
            worker_max_jobs=100, max_log_bytes=50_000, data_dir=Path({str(settings.data_dir / "engine2")!r})))

        def on_event(event):
            if event.get("type") == "node" and event.get("status") == "running":
                print("WORKERS", " ".join(str(w.proc.pid) for w in pool.workers), flush=True)
                print("RUNNING", event.get("name"), flush=True)

        with session_scope() as session:
            user = get_or_create_learner(session, "ada")
            runs.run_dbt(session, user, load_lesson(Path({str(lesson.dir)!r})), "run", select="stg_orders",
                         on_event=on_event)
        print("FINISHED", flush=True)
        """,
        _env(settings),
    )
    try:
        workers = [int(pid) for pid in _wait_for_line(child, "WORKERS ").split()]
        assert _wait_for_line(child, "RUNNING ") == "stg_orders"
        time.sleep(1.0)  # dbt is inside the slow query, holding the warehouse open
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(_gone(pid) for pid in workers):
            time.sleep(0.2)
        assert all(_gone(pid) for pid in workers), "the dead server's dbt worker is still running"
    finally:
        with contextlib.suppress(ProcessLookupError):
            child.kill()

    workspace.save_file(db_session, learner, lesson, STAGING, GOOD_MODEL)
    started = time.monotonic()
    result = runs.run_dbt(db_session, learner, lesson, "run")
    assert result.ok, result.errors
    assert time.monotonic() - started < 30
    rows = warehouse.query(db_session, learner, lesson, "select count(*) from stg_orders")
    assert rows.ok and rows.preview.rows == [[3]]


# --- a damaged DuckDB file ----------------------------------------------------------------


def test_a_damaged_warehouse_says_so_plainly_and_reset_warehouse_rebuilds_it(engine, db_session, learner, lesson):
    """Junk in one learner's warehouse file: their runs say so in plain words (no server path)
    with the way out; Reset warehouse keeps their files and the next build works; another
    learner on the same workers is not affected."""
    other = get_or_create_learner(db_session, "grace")
    assert runs.run_dbt(db_session, learner, lesson, "seed").ok
    workspace.save_file(db_session, learner, lesson, STAGING, GOOD_MODEL)
    paths = workspace_paths(learner.warehouse_key, lesson.id)
    paths.warehouse.write_bytes(b"not a duckdb file " * 4096)

    for result in (
        runs.run_dbt(db_session, learner, lesson, "build"),
        warehouse.query(db_session, learner, lesson, "select 1"),
        runs.inspect_project(db_session, learner, lesson),
    ):
        assert result.status == "error" and runs.warehouse_damaged(result)
        assert [e.message for e in result.errors] == [runs.WAREHOUSE_DAMAGED]
        assert "Reset warehouse" in runs.WAREHOUSE_DAMAGED and str(paths.root) not in json.dumps(result.to_dict())

    assert runs.run_dbt(db_session, other, lesson, "build").ok  # another learner: untouched

    workspace.reset_warehouse(learner, lesson)
    assert workspace.read_file(learner, lesson, STAGING) == GOOD_MODEL  # the project is kept
    rebuilt = runs.run_dbt(db_session, learner, lesson, "build")
    assert rebuilt.ok, rebuilt.errors
    rows = warehouse.query(db_session, learner, lesson, "select count(*) from stg_orders")
    assert rows.ok and rows.preview.rows == [[3]]


# --- the disk full while saving -----------------------------------------------------------


@contextlib.contextmanager
def _small_disk(path: Path, size_kb: int):
    """A tmpfs of `size_kb` mounted at `path` (root only: we run the tests as root)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)], check=False)
    if mounted.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail("CI runs the tests as root: the disk-full test must mount its tmpfs")
        pytest.skip("needs root to mount a small tmpfs")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(disk: Path) -> Path:
    """Take every free byte of the disk; returns the filler to delete."""
    filler = disk / ".filler"
    with filler.open("wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 4096)
    return filler


def _editor(token: str, lesson_id: str, path: str):
    state = _state(EditorState, f"/lessons/{lesson_id}", token=token)
    run_coroutine(EditorState.load_lesson.fn(state))
    run_coroutine(state._reload_files())
    run_coroutine(EditorState.open_file.fn(state, path))
    return state


def test_a_full_disk_keeps_the_edit_in_the_editor_says_why_and_the_retry_saves_it(db_session, learner, demo_catalog):
    """The workspaces' disk fills up: the save fails with "the server's disk is full", the edit
    stays in the editor (and the file on disk stays whole), and once space is freed the retry
    saves it, without a restart."""
    token = start_session(db_session, learner, "pytest")
    with _small_disk(settings_module.get_settings().workspaces_dir, 512) as disk:
        state = _editor(token, "demo_lesson", STAGING)
        before = state.loaded_text
        filler = _fill(disk)
        mine = "select id, customer_id, amount from {{ ref('raw_orders') }}\n-- " + "x" * 8000 + "\n"
        EditorState.edit.fn(state, mine)
        run_coroutine(state._save())
        assert state.save_status == "retrying"
        assert state.save_error == ("Couldn't save: the server's disk is full. Your edit is kept here; we'll retry.")
        assert state._draft == mine
        assert workspace.read_file(learner, demo_catalog, STAGING) == before  # whole

        # Switching files would drop the edit: the editor keeps it open instead.
        run_coroutine(EditorState.open_file.fn(state, "models/schema.yml"))
        assert state.path == STAGING and state._draft == mine and state.save_status == "retrying"

        filler.unlink()
        run_coroutine(state._save())  # what the retry loop does next
        assert state.save_status == "saved" and state.save_error == ""
        assert workspace.read_file(learner, demo_catalog, STAGING) == mine


def test_a_full_disk_under_the_default_sqlite_database_keeps_the_edit_too(monkeypatch, tmp_path, lesson_dir):
    """One machine, defaults: the SQLite app database and the workspaces share the full disk.
    The database refuses the write first; the editor says the disk is full and keeps the edit,
    and the retry stores it once there is room."""
    with _small_disk(tmp_path / "data", 4096) as disk:
        monkeypatch.setenv("DECODE_DATA_DIR", str(disk))
        monkeypatch.setenv("DECODE_DATA_ENV", "test")
        monkeypatch.setenv("DECODE_DATA_TEMPLATE_DIR", str(lesson_dir.parent))
        monkeypatch.delenv("DATABASE_URL", raising=False)
        settings_module.reset_settings()
        try:
            upgrade_database()
            with session_scope() as session:
                user = get_or_create_learner(session, "ada")
                token = start_session(session, user, "pytest")
            state = _editor(token, "demo_lesson", STAGING)
            filler = _fill(disk)
            mine = "select id from {{ ref('raw_orders') }}\n-- " + "y" * 20000 + "\n"
            EditorState.edit.fn(state, mine)
            run_coroutine(state._save())
            assert (state.save_status, state._draft) == ("retrying", mine)
            assert state.save_error.startswith("Couldn't save: the server's disk is full.")

            filler.unlink()
            run_coroutine(state._save())
            assert state.save_status == "saved", state.save_error
            with session_scope() as session:
                user = get_or_create_learner(session, "ada")
                assert workspace.read_file(user, get_lesson("demo_lesson"), STAGING) == mine
        finally:
            dispose_engines()
            settings_module.reset_settings()


def test_outage_reason_names_a_full_disk_and_a_lost_database():
    import errno

    from sqlalchemy import exc as sa_exc

    assert outage_reason(OSError(errno.ENOSPC, "No space left on device")) == DISK_FULL
    assert outage_reason(sa_exc.OperationalError("x", {}, Exception("database or disk is full"))) == DISK_FULL
    assert outage_reason(sa_exc.OperationalError("x", {}, Exception("connection refused"))) == DATABASE_DOWN
    assert outage_reason(ValueError("a bug")) is None
    assert outage_reason(OSError(errno.EACCES, "denied")) is None


# --- the app database unreachable for a while ---------------------------------------------


@pytest.fixture
def outage_pg(settings_env, monkeypatch, lesson_dir):
    """A private PostgreSQL this test may stop and start, as the app database."""
    if pg_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must test against PostgreSQL: install the `postgresql` package")
        pytest.skip("PostgreSQL is not installed here")
    with running_postgres() as server:
        monkeypatch.setenv("DATABASE_URL", server.url)
        monkeypatch.setenv("DECODE_DATA_TEMPLATE_DIR", str(lesson_dir.parent))
        settings_module.reset_settings()
        upgrade_database()
        yield server
        dispose_engines()
        settings_module.reset_settings()


def test_the_app_database_away_keeps_the_edit_and_saves_it_when_it_is_back(outage_pg):
    """PostgreSQL stops while the learner types: the save says the database can't be reached
    and keeps the edit; PostgreSQL starts again and the same process (same engine and pool)
    saves it: no restart."""
    with session_scope() as session:
        user = register(session, "ada_pg", "ada@example.org", "correct horse battery")
        token = start_session(session, user, "pytest")
    state = _editor(token, "demo_lesson", STAGING)
    mine = "select id from {{ ref('raw_orders') }}\n"

    outage_pg.stop()
    EditorState.edit.fn(state, mine)
    run_coroutine(state._save())
    assert state.save_status == "retrying" and state._draft == mine
    assert state.save_error == "Couldn't save: the app database can't be reached. Your edit is kept here; we'll retry."

    outage_pg.start()
    run_coroutine(state._save())
    assert state.save_status == "saved", state.save_error
    with session_scope() as session:
        user = get_or_create_learner(session, "ada_pg")
        assert workspace.read_file(user, get_lesson("demo_lesson"), STAGING) == mine


def test_an_event_that_meets_an_outage_says_what_it_is_not_something_went_wrong():
    """Any handler (opening a page while PostgreSQL is down) gets the plain reason in its notice."""
    from sqlalchemy import exc as sa_exc

    from decode_data.decode_data import handle_backend_error

    down = str(handle_backend_error(sa_exc.OperationalError("select 1", {}, Exception("connection refused"))))
    assert "Sorry, the app database can" in down and "Your saved work is safe" in down
    bug = str(handle_backend_error(ValueError("a bug")))
    assert "Something went wrong on our side" in bug and "database" not in bug
