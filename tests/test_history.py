"""Run history on real, alembic-migrated databases: logging, the recent list, the per-day
activity chart (zero days filled, UTC day boundaries), the service hooks, and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from decode_data.db import get_engine, upgrade_database
from decode_data.models import RunRecord, User
from decode_data.services import history, runs, warehouse
from decode_data.services.checking import check_step
from decode_data.services.learners import get_or_create_learner

NOW = datetime(2026, 11, 28, 0, 30, tzinfo=UTC)  # just after a UTC midnight


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _log_a_few_days(session, user) -> None:
    """Activity on Nov 25 and around the Nov 27/28 midnight; Nov 26 stays quiet."""
    log = [
        ("demo_lesson", "run", "run", "success", "2026-11-25T10:00:00"),
        ("demo_lesson", "check", "check:staging", "failed", "2026-11-27T23:59:59"),
        ("demo_lesson", "check", "check:staging", "passed", "2026-11-28T00:00:00"),
        ("demo_lesson", "query", "query", "success", "2026-11-28T00:10:00"),
        ("other_lesson", "run", "build", "failed", "2026-11-28T00:20:00"),
        ("demo_lesson", "run", "run", "success", "2026-11-21T23:59:59"),  # before the window
    ]
    for lesson_id, kind, command, status, at in log:
        history.record(session, user, lesson_id, kind, command, status, 1.5, at=_at(at))


def _zero(day: str) -> dict:
    return {"day": day, "runs": 0, "queries": 0, "checks": 0, "passed_checks": 0}


EXPECTED_WEEK = [
    _zero("2026-11-22"),
    _zero("2026-11-23"),
    _zero("2026-11-24"),
    {"day": "2026-11-25", "runs": 1, "queries": 0, "checks": 0, "passed_checks": 0},
    _zero("2026-11-26"),
    {"day": "2026-11-27", "runs": 0, "queries": 0, "checks": 1, "passed_checks": 0},
    {"day": "2026-11-28", "runs": 1, "queries": 1, "checks": 1, "passed_checks": 1},
]


def _check_activity(session, user) -> None:
    assert history.activity_by_day(session, user, days=7, now=NOW) == EXPECTED_WEEK
    by_lesson = history.activity_by_day(session, user, days=2, now=NOW, lesson_id="demo_lesson")
    assert by_lesson == [
        {"day": "2026-11-27", "runs": 0, "queries": 0, "checks": 1, "passed_checks": 0},
        {"day": "2026-11-28", "runs": 0, "queries": 1, "checks": 1, "passed_checks": 1},
    ]


def test_record_and_recent_newest_first(db_session, learner):
    _log_a_few_days(db_session, learner)
    latest = history.recent(db_session, learner, limit=3)
    assert [(e.command, e.status) for e in latest] == [
        ("build", "failed"),
        ("query", "success"),
        ("check:staging", "passed"),
    ]
    assert latest[0].created_at == _at("2026-11-28T00:20:00")
    assert latest[0].created_at.tzinfo is not None and latest[0].elapsed_s == 1.5
    in_lesson = history.recent(db_session, learner, lesson_id="other_lesson")
    assert [(e.lesson_id, e.kind) for e in in_lesson] == [("other_lesson", "run")]
    assert len(history.recent(db_session, learner)) == 6


def test_only_the_learners_own_history(db_session, learner):
    _log_a_few_days(db_session, learner)
    other = get_or_create_learner(db_session, "grace")
    assert history.recent(db_session, other) == []
    assert history.activity_by_day(db_session, other, days=2, now=NOW) == [_zero("2026-11-27"), _zero("2026-11-28")]


def test_activity_fills_quiet_days_and_splits_at_utc_midnight(db_session, learner):
    _log_a_few_days(db_session, learner)
    _check_activity(db_session, learner)
    # `now` in another zone means the same instant: still Nov 28 in UTC, not Nov 27 in New York.
    new_york = NOW.astimezone(timezone(timedelta(hours=-5)))
    assert history.activity_by_day(db_session, learner, days=7, now=new_york) == EXPECTED_WEEK
    assert len(history.activity_by_day(db_session, learner)) == 14  # default: 14 days up to today


def test_bad_arguments_are_refused(db_session, learner):
    with pytest.raises(ValueError, match="kind"):
        history.record(db_session, learner, "demo_lesson", "deploy", "run", "success", 1.0)
    with pytest.raises(ValueError, match="naive"):
        history.activity_by_day(db_session, learner, now=datetime(2026, 11, 28))
    with pytest.raises(ValueError, match="days"):
        history.activity_by_day(db_session, learner, days=0)


def test_prune_and_cascade(db_session, learner):
    _log_a_few_days(db_session, learner)
    assert history.prune(db_session, older_than_days=2, now=NOW) == 2  # Nov 21 and Nov 25
    assert len(history.recent(db_session, learner)) == 4
    db_session.delete(learner)
    db_session.commit()
    assert db_session.exec(select(RunRecord)).all() == []


def test_runs_queries_and_checks_are_logged(engine, db_session, learner, lesson):
    seeded = runs.run_dbt(db_session, learner, lesson, "seed")
    assert seeded.ok, seeded.errors
    warehouse.query(db_session, learner, lesson, "select 1")
    checked = check_step(db_session, learner, lesson, "staging")  # the demo step has no checks: fails
    logged = history.recent(db_session, learner, lesson_id=lesson.id)
    assert [(e.kind, e.command, e.status) for e in logged] == [
        ("check", "check:staging", "failed"),
        ("query", "query", "success"),
        ("run", "seed", "success"),
    ]
    assert logged[2].elapsed_s == pytest.approx(seeded.elapsed_s) and seeded.elapsed_s > 0
    assert logged[0].elapsed_s == pytest.approx(checked.elapsed_s) and checked.elapsed_s > 0.001  # the wait, builds in
    today = history.activity_by_day(db_session, learner, days=1)[0]
    assert (today["runs"], today["queries"], today["checks"], today["passed_checks"]) == (1, 1, 1, 0)


def test_activity_on_postgresql(settings_env, pg_url):
    upgrade_database(pg_url)
    with Session(get_engine(pg_url)) as session:
        user = get_or_create_learner(session, f"pg_{uuid.uuid4().hex[:12]}")  # the database may be reused
        try:
            # A session zone far from UTC must not move rows across days.
            session.connection().exec_driver_sql("SET TIME ZONE 'Pacific/Kiritimati'")
            _log_a_few_days(session, user)
            session.connection().exec_driver_sql("SET TIME ZONE 'Pacific/Kiritimati'")
            _check_activity(session, user)
            assert history.recent(session, user, limit=1)[0].created_at == _at("2026-11-28T00:20:00")
        finally:
            session.rollback()
            session.delete(session.get(User, user.id))
            session.commit()
