"""A save takes the learner's lock, the one every job of the learner holds while it runs: a run
or a grade sees the project before a save or after it, never halfway. Real engine, real dbt."""

from __future__ import annotations

import threading
import time

import pytest

from decode_data.services import runs
from decode_data.services.engine import Job
from decode_data.services.workspace import ensure_workspace, reset_workspace, save_file
from tests.attack_helpers import LESSON_ID, result_text, write_attack_lesson

# About a second or more of DuckDB work in a pre-hook: the save arrives while it runs.
SLOW_MODEL = (
    "{{ config(pre_hook='select count(*) from range(8000) a, range(8000) b where a.range + b.range >= 0') }}\n"
    "select '{version}' as version\n"
)


@pytest.fixture
def scene(engine, db_session, settings_env, tmp_path, monkeypatch):
    from decode_data.services.learners import get_or_create_learner
    from decode_data.services.lessons import load_lesson

    # The shared test engine keeps its locks in its own folder; the app's engine keeps them in
    # DECODE_DATA_DIR, where saves look for them.
    monkeypatch.setattr(engine.locks, "lock_dir", settings_env.data_dir / "locks")
    lesson = load_lesson(write_attack_lesson(tmp_path / "lessons"))
    user = get_or_create_learner(db_session, "ada")
    ws = ensure_workspace(db_session, user, lesson)
    save_file(db_session, user, lesson, "models/slow.sql", SLOW_MODEL.replace("{version}", "before"))
    return engine, db_session, user, lesson, ws


def _run_in_background(engine, user, ws, command="run"):
    """Start the learner's run of `slow` in a thread; return once its model is running."""
    running, done = threading.Event(), {}

    def on_event(event):
        if event.get("type") == "node" and event.get("status") == "running":
            running.set()

    def work():
        job = Job(learner_key=user.warehouse_key, lesson_id=LESSON_ID, command=command, select="slow")
        paths = {"root": ws.root, "project": ws.project, "warehouse": ws.warehouse}
        done["result"] = engine.submit(job, paths, on_event=on_event)
        done["at"] = time.monotonic()

    thread = threading.Thread(target=work)
    thread.start()
    assert running.wait(120), "the run did not start"
    return thread, done


def _compiled_version(result) -> str:
    code = next(code for uid, code in result.compiled.items() if uid.endswith(".slow"))
    return "after" if "'after'" in code else "before" if "'before'" in code else code


def test_a_save_during_a_run_waits_for_it_and_the_run_sees_the_project_before_the_save(scene):
    engine, session, user, lesson, ws = scene
    thread, run = _run_in_background(engine, user, ws)
    save_file(session, user, lesson, "models/slow.sql", SLOW_MODEL.replace("{version}", "after"))
    saved_at = time.monotonic()
    thread.join(120)
    assert run["result"].ok, result_text(run["result"])[:2000]
    assert saved_at >= run["at"], "the save went through while the learner's run was still going"
    assert _compiled_version(run["result"]) == "before"
    again = runs.run_dbt(session, user, lesson, "run", select="slow")
    assert again.ok and _compiled_version(again) == "after", result_text(again)[:2000]


def test_a_reset_during_a_run_waits_for_it(scene):
    engine, session, user, lesson, ws = scene
    thread, run = _run_in_background(engine, user, ws)
    reset_workspace(session, user, lesson)
    reset_at = time.monotonic()
    thread.join(120)
    assert run["result"].ok, result_text(run["result"])[:2000]
    assert reset_at >= run["at"], "the workspace was reset under a running job"
    assert not (ws.project / "models" / "slow.sql").exists()  # and the reset did happen


def test_a_grade_copies_the_project_once_under_the_lock_and_builds_from_that_copy(
    db_session, settings_env, lesson, learner, monkeypatch
):
    """Every build of one grade (seed sets, broken versions later) reads one snapshot, taken while
    no save is halfway: a grade that starts during a save waits for it to finish."""
    from decode_data.services.grader import grade as grade_module
    from decode_data.services.learner_lock import learner_lock

    seen = {}

    def graded(key, lesson, root, project, steps, **_how):  # stands in for the builds: what would they copy?
        seen["project"] = project
        seen["files"] = {p.relative_to(project).as_posix(): p.read_text() for p in project.rglob("*.sql")}
        return []

    monkeypatch.setattr(grade_module, "grade_project", graded)
    ws = ensure_workspace(db_session, learner, lesson)
    done = threading.Event()
    with learner_lock(learner.warehouse_key):  # a save (two files) is halfway
        (ws.project / "models" / "staging" / "stg_orders.sql").write_text("select 2 as half\n")
        grading = threading.Thread(target=lambda: (grade_module.grade_steps(db_session, learner, lesson), done.set()))
        grading.start()
        time.sleep(1.0)
        assert not done.is_set(), "the grade copied the project while a save held the learner's lock"
        (ws.project / "models" / "marts" / "orders_by_customer.sql").write_text("select 2 as whole\n")
    grading.join(60)
    assert done.is_set()
    assert seen["project"] == ws.root / "grading" / "snapshot"
    assert seen["files"]["models/staging/stg_orders.sql"] == "select 2 as half\n"
    assert seen["files"]["models/marts/orders_by_customer.sql"] == "select 2 as whole\n"
    (ws.project / "models" / "staging" / "stg_orders.sql").write_text("select 3 as later\n")
    assert (seen["project"] / "models" / "staging" / "stg_orders.sql").read_text() == "select 2 as half\n"  # a copy
