"""Learner progress on real, alembic-migrated databases: SQLite, and a real PostgreSQL server
(the `pg_url` fixture starts one, or uses DECODE_DATA_TEST_PG_URL)."""

from __future__ import annotations

import textwrap
import threading
import uuid

import pytest
from sqlmodel import Session, select

from decode_data.db import get_engine, upgrade_database
from decode_data.models import LearnerProgress, User
from decode_data.services import progress
from decode_data.services.learners import get_or_create_learner
from decode_data.services.lessons import LessonFormatError, load_lesson

QUIZ_LESSON = """
    id: quiz_lesson
    title: Hints and a quiz
    steps:
      - id: one
        title: First
        instructions: Do one.
        hints: ["nudge", "closer", "the answer"]
        explanation: Why one works.
      - id: two
        title: Second
        instructions: Do two.
      - id: three
        title: Third
        instructions: Do three.
        hints: ["only hint"]
    quiz:
      - question: "What does ref() add?"
        choices: ["Speed", "A DAG edge", "Nothing"]
        answer: 1
        explanation: "ref() records a dependency."
      - question: "Default materialization here?"
        choices: ["view", "table"]
        answer: 0
"""


def _lesson_from(tmp_path, text: str, name: str = "quiz_lesson"):
    folder = tmp_path / "lessons" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lesson.yml").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return load_lesson(folder)


@pytest.fixture
def quiz_lesson(tmp_path):
    return _lesson_from(tmp_path, QUIZ_LESSON)


def test_nothing_is_stored_until_the_learner_does_something(db_session, learner, lesson):
    view = progress.get_progress(db_session, learner, lesson)
    assert (view.percent, view.next_step, view.completed, view.started_at) == (0, "staging", False, None)
    assert view.username == "ada" and view.attempts == {} and view.quiz_score is None
    assert db_session.exec(select(LearnerProgress)).all() == []


def test_attempts_completion_percent_and_next_step(db_session, learner, lesson):
    view = progress.record_attempt(db_session, learner, lesson, "staging", passed=False)
    assert view.attempts == {"staging": 1} and view.completed_steps == () and view.percent == 0
    assert view.current_step == "staging" and view.started_at is not None
    view = progress.record_attempt(db_session, learner, lesson, "staging", passed=True)
    assert view.attempts == {"staging": 2} and view.completed_steps == ("staging",)
    assert (view.percent, view.next_step, view.current_step, view.completed) == (50, "mart", "mart", False)
    assert view.completed_at is None
    view = progress.record_attempt(db_session, learner, lesson, "mart", passed=True)
    assert (view.percent, view.next_step, view.current_step, view.completed) == (100, None, None, True)
    assert view.completed_at is not None and view.completed_at.tzinfo is not None
    assert progress.get_progress(db_session, learner, lesson) == view  # what was returned is what is stored


def test_completing_twice_does_not_double_count(db_session, learner, lesson):
    progress.record_attempt(db_session, learner, lesson, "staging", passed=True)
    progress.record_attempt(db_session, learner, lesson, "mart", passed=True)
    first_done = progress.get_progress(db_session, learner, lesson).completed_at
    view = progress.record_attempt(db_session, learner, lesson, "staging", passed=True)
    view = progress.record_attempt(db_session, learner, lesson, "staging", passed=False)
    assert view.completed_steps == ("staging", "mart") and view.percent == 100 and view.completed
    assert view.attempts == {"staging": 3, "mart": 1}
    assert view.completed_at == first_done


def test_steps_done_out_of_order(db_session, learner, quiz_lesson):
    view = progress.record_attempt(db_session, learner, quiz_lesson, "two", passed=True)
    assert (view.percent, view.next_step, view.current_step) == (33, "one", "three")
    view = progress.record_attempt(db_session, learner, quiz_lesson, "three", passed=True)
    assert (view.next_step, view.current_step) == ("one", "one")
    assert view.completed_steps == ("two", "three")


def test_hints_come_in_order_and_run_out(db_session, learner, quiz_lesson):
    texts = []
    for _ in range(3):
        text, view = progress.reveal_hint(db_session, learner, quiz_lesson, "one")
        texts.append(text)
    assert texts == ["nudge", "closer", "the answer"] and view.hints_used == {"one": 3}
    with pytest.raises(progress.NoHintsLeft, match="'one'.*no more hints"):
        progress.reveal_hint(db_session, learner, quiz_lesson, "one")
    with pytest.raises(progress.NoHintsLeft, match="'two'"):
        progress.reveal_hint(db_session, learner, quiz_lesson, "two")  # a step without hints
    assert progress.get_progress(db_session, learner, quiz_lesson).hints_used == {"one": 3}


def test_solution_is_recorded_once(db_session, learner, quiz_lesson):
    progress.reveal_solution(db_session, learner, quiz_lesson, "one")
    view = progress.reveal_solution(db_session, learner, quiz_lesson, "one")
    assert view.solutions_revealed == ("one",) and view.completed_steps == ()


def test_quiz_scoring(db_session, learner, quiz_lesson):
    result = progress.answer_quiz(db_session, learner, quiz_lesson, {0: 1})
    assert (result.score, result.correct, result.total) == (0.5, 1, 2)  # unanswered counts as wrong
    assert result.questions[0].correct and result.questions[0].explanation == "ref() records a dependency."
    result = progress.answer_quiz(db_session, learner, quiz_lesson, {1: 1})
    assert result.score == 0.5 and [q.correct for q in result.questions] == [True, False]
    assert result.questions[1].answer == 0
    result = progress.answer_quiz(db_session, learner, quiz_lesson, {0: 1, 1: 0})
    assert result.score == 1.0 and result.progress.quiz_answers == {0: 1, 1: 0}
    stored = progress.get_progress(db_session, learner, quiz_lesson)
    assert stored.quiz_score == 1.0 and stored.quiz_answers == {0: 1, 1: 0}


@pytest.mark.parametrize(
    "answers, message",
    [
        ({}, "No quiz answers"),
        ({5: 0}, "no quiz question 5"),
        ({0: 3}, "no choice 3"),
        ({0: True}, "no choice True"),
    ],
)
def test_bad_quiz_answers_are_refused(db_session, learner, quiz_lesson, answers, message):
    with pytest.raises(ValueError, match=message):
        progress.answer_quiz(db_session, learner, quiz_lesson, answers)


def test_a_lesson_without_quiz_refuses_answers(db_session, learner, lesson):
    assert lesson.quiz == ()
    with pytest.raises(ValueError, match="'demo_lesson' has no quiz"):
        progress.answer_quiz(db_session, learner, lesson, {0: 0})


def test_counters_and_current_step(db_session, learner, lesson):
    progress.record_run(db_session, learner, lesson)
    progress.record_run(db_session, learner, lesson)
    view = progress.record_query(db_session, learner, lesson)
    assert (view.runs, view.queries) == (2, 1)
    view = progress.set_current_step(db_session, learner, lesson, "mart")
    assert view.current_step == "mart" and view.next_step == "staging"
    assert view.updated_at >= view.started_at


def test_learners_are_separate_and_the_class_overview_lists_them(db_session, learner, lesson, quiz_lesson, tmp_path):
    grace = get_or_create_learner(db_session, "grace")
    progress.record_attempt(db_session, grace, lesson, "staging", passed=True)
    progress.record_run(db_session, learner, lesson)
    progress.record_run(db_session, learner, quiz_lesson)  # another lesson: not in the overview
    assert progress.get_progress(db_session, learner, lesson).completed_steps == ()
    overview = progress.class_overview(db_session, lesson)
    assert [(v.username, v.percent, v.runs) for v in overview] == [("ada", 0, 1), ("grace", 50, 0)]
    untouched = _lesson_from(tmp_path, QUIZ_LESSON.replace("id: quiz_lesson", "id: untouched"), "untouched")
    assert progress.class_overview(db_session, untouched) == []


def test_unknown_steps_are_named(db_session, learner, lesson):
    calls = [
        lambda: progress.record_attempt(db_session, learner, lesson, "nope", passed=True),
        lambda: progress.reveal_hint(db_session, learner, lesson, "nope"),
        lambda: progress.reveal_solution(db_session, learner, lesson, "nope"),
        lambda: progress.set_current_step(db_session, learner, lesson, "nope"),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="Lesson 'demo_lesson' has no step 'nope'"):
            call()
    assert db_session.exec(select(LearnerProgress)).all() == []  # a refused call stores nothing


def test_progress_is_deleted_with_its_user(db_session, learner, lesson):
    progress.record_run(db_session, learner, lesson)
    db_session.delete(db_session.get(User, learner.id))
    db_session.commit()
    assert db_session.exec(select(LearnerProgress)).all() == []


def _hammer(url: str, user_id: int, lesson, threads: int = 4, calls: int = 10) -> None:
    """Writers in parallel sessions, all starting before the row exists: none may be lost."""
    barrier = threading.Barrier(threads)
    errors = []

    def work():
        try:
            with Session(get_engine(url)) as session:
                user = session.get(User, user_id)
                barrier.wait()
                for _ in range(calls):
                    progress.record_attempt(session, user, lesson, "staging", passed=False)
                    progress.record_run(session, user, lesson)
        except Exception as exc:  # reported below, with the thread's error
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []


def test_concurrent_writers_lose_no_update(db_session, learner, lesson, settings_env):
    _hammer(settings_env.database_url, learner.id, lesson)
    view = progress.get_progress(db_session, learner, lesson)
    assert view.attempts == {"staging": 40} and view.runs == 40
    assert len(db_session.exec(select(LearnerProgress)).all()) == 1


def _full_flow(session: Session, user: User, lesson, quiz_lesson) -> None:
    progress.record_attempt(session, user, lesson, "staging", passed=False)
    progress.record_attempt(session, user, lesson, "staging", passed=True)
    view = progress.record_attempt(session, user, lesson, "mart", passed=True)
    assert view.completed and view.percent == 100 and view.completed_at.tzinfo is not None
    assert view.attempts == {"staging": 2, "mart": 1}
    assert progress.reveal_hint(session, user, quiz_lesson, "three")[0] == "only hint"
    with pytest.raises(progress.NoHintsLeft):
        progress.reveal_hint(session, user, quiz_lesson, "three")
    progress.reveal_solution(session, user, quiz_lesson, "one")
    assert progress.answer_quiz(session, user, quiz_lesson, {0: 1, 1: 1}).score == 0.5
    progress.record_query(session, user, quiz_lesson)
    stored = progress.get_progress(session, user, quiz_lesson)
    assert (stored.hints_used, stored.solutions_revealed, stored.quiz_answers, stored.queries) == (
        {"three": 1},
        ("one",),
        {0: 1, 1: 1},
        1,
    )
    assert user.username in [v.username for v in progress.class_overview(session, lesson)]


def test_full_flow_on_sqlite(db_session, learner, lesson, quiz_lesson):
    _full_flow(db_session, learner, lesson, quiz_lesson)


def test_full_flow_on_postgresql(settings_env, lesson, quiz_lesson, pg_url):
    url = pg_url
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    upgrade_database(url)
    engine = get_engine(url)
    with engine.connect() as connection:
        assert (
            compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), SQLModel.metadata)
            == []
        )
    with Session(engine) as session:
        user = get_or_create_learner(session, f"pg_{uuid.uuid4().hex[:12]}")  # the database may be reused
        try:
            _full_flow(session, user, lesson, quiz_lesson)
            _hammer(url, user.id, lesson)
            assert progress.get_progress(session, user, lesson).attempts == {"staging": 42, "mart": 1}
        finally:
            session.rollback()
            session.delete(session.get(User, user.id))
            session.commit()


def test_quiz_is_loaded_from_lesson_yml(quiz_lesson):
    first = quiz_lesson.quiz[0]
    assert (first.choices, first.answer, first.explanation) == (
        ("Speed", "A DAG edge", "Nothing"),
        1,
        "ref() records a dependency.",
    )
    assert quiz_lesson.quiz[1].explanation == ""


@pytest.mark.parametrize(
    "quiz, message",
    [
        ("quiz: {question: x}", "'quiz' must be a list"),
        ("quiz: [{question: x, choices: [a, b], answer: 2}]", "quiz question 1: 'answer'"),
        ("quiz: [{question: x, choices: [a], answer: 0}]", "quiz question 1: 'choices'"),
        ("quiz: [{question: x, choices: [a, 2], answer: 0}]", "quiz question 1: 'choices'"),
        ("quiz: [{question: x, choices: [a, b], answer: true}]", "quiz question 1: 'answer'"),
        ("quiz: [{choices: [a, b], answer: 0}]", "quiz question 1: 'question'"),
    ],
)
def test_a_malformed_quiz_names_the_question(tmp_path, quiz, message):
    text = "id: bad\ntitle: Bad\nsteps: []\n" + quiz + "\n"
    with pytest.raises(LessonFormatError, match=message):
        _lesson_from(tmp_path, text, "bad")


def test_the_migration_goes_down_and_up_again(db_session, settings_env):
    from sqlalchemy import inspect

    from alembic import command
    from decode_data.db import alembic_config

    command.downgrade(alembic_config(), "0001")
    assert "learner_progress" not in inspect(get_engine()).get_table_names()
    upgrade_database()
    assert "learner_progress" in inspect(get_engine()).get_table_names()
