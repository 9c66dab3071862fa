"""Learner progress: the one place that records steps passed, help taken, quiz answers and activity.

The UI states and the CLI call these functions; they take a Session, a User and a Lesson, and
return immutable views, so no caller ever holds (or mutates) a live row. Every writer commits
its own change, and rolls the session back when it raises.

Writers read, change and write whole JSON values, so two simultaneous calls for one learner
(two tabs, a grading job and a query) could lose an update. Each writer therefore locks first:
it UPDATEs the row's updated_at, which takes the row lock on PostgreSQL and the database's single
write lock on SQLite, both held until commit. When no row was there, INSERT ... ON CONFLICT DO
NOTHING creates it (a racing creator waits, then inserts nothing) and SELECT ... FOR UPDATE locks
it. Only then is the row read and changed. Readers create nothing and lock nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from decode_data.models import LearnerProgress, User, utcnow
from decode_data.services.lessons import Lesson, Step

# Both dialects spell "create unless it exists" the same way; others are not supported.
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class UnknownStep(ValueError):
    """A step id that the lesson does not have (a typo, or a step renamed by its author)."""


class NoHintsLeft(LookupError):
    """Every hint of the step is already shown (or it has none)."""


@dataclass(frozen=True)
class ProgressView:
    """One learner's progress on one lesson, as stored plus what the UI derives from it."""

    user_id: int
    username: str
    lesson_id: str
    completed_steps: tuple[str, ...] = ()  # in completion order
    attempts: dict[str, int] = field(default_factory=dict)
    hints_used: dict[str, int] = field(default_factory=dict)
    solutions_revealed: tuple[str, ...] = ()
    quiz_answers: dict[int, int] = field(default_factory=dict)
    quiz_score: float | None = None
    runs: int = 0
    queries: int = 0
    current_step: str | None = None
    started_at: datetime | None = None  # None: the learner has not started the lesson
    updated_at: datetime | None = None
    completed_at: datetime | None = None  # first time every step was done; kept if steps are added
    percent: int = 0  # steps of the lesson completed, 0-100
    next_step: str | None = None  # first step not completed, in lesson order
    completed: bool = False  # every step of the lesson as it is now


@dataclass(frozen=True)
class QuestionResult:
    index: int
    question: str
    chosen: int
    answer: int
    correct: bool
    explanation: str


@dataclass(frozen=True)
class QuizResult:
    """The quiz as graded now: every answered question, and the score over all questions."""

    score: float  # correct / questions in the quiz, 0..1 (unanswered questions count as wrong)
    correct: int
    total: int
    questions: tuple[QuestionResult, ...]  # answered ones, by index
    progress: ProgressView


def _view(lesson: Lesson, user_id: int, username: str, row: LearnerProgress | None) -> ProgressView:
    if row is None:
        return ProgressView(
            user_id=user_id,
            username=username,
            lesson_id=lesson.id,
            next_step=lesson.steps[0].id if lesson.steps else None,
        )
    done = set(row.completed_steps)
    remaining = [step.id for step in lesson.steps if step.id not in done]
    total = len(lesson.steps)
    return ProgressView(
        user_id=user_id,
        username=username,
        lesson_id=lesson.id,
        completed_steps=tuple(row.completed_steps),
        attempts=dict(row.attempts),
        hints_used=dict(row.hints_used),
        solutions_revealed=tuple(row.solutions_revealed),
        quiz_answers={int(k): v for k, v in row.quiz_answers.items()},
        quiz_score=row.quiz_score,
        runs=row.runs,
        queries=row.queries,
        current_step=row.current_step,
        started_at=row.started_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
        percent=(total - len(remaining)) * 100 // total if total else 0,
        next_step=remaining[0] if remaining else None,
        completed=bool(total) and not remaining,
    )


def _step(lesson: Lesson, step_id: str) -> Step:
    for step in lesson.steps:
        if step.id == step_id:
            return step
    known = ", ".join(step.id for step in lesson.steps) or "none"
    raise UnknownStep(f"Lesson '{lesson.id}' has no step '{step_id}' (its steps: {known}).")


def _step_after(lesson: Lesson, done: list[str], step_id: str) -> str | None:
    """Where to continue after passing ``step_id``: the next open step after it, else the first open."""
    ids = [step.id for step in lesson.steps]
    after = ids[ids.index(step_id) + 1 :] + ids
    return next((sid for sid in after if sid not in done), None)


def _identity(user: User) -> tuple[int, str]:
    if user.id is None:
        raise ValueError(f"User '{user.username}' is not saved yet: progress needs a user id.")
    return user.id, user.username


def _select(user_id: int, lesson_id: str):
    return (
        select(LearnerProgress)
        .where(LearnerProgress.user_id == user_id, LearnerProgress.lesson_id == lesson_id)
        .execution_options(populate_existing=True)
    )  # never a stale copy from the session


@contextmanager
def _locked(session: Session, user_id: int, lesson_id: str) -> Iterator[LearnerProgress]:
    """The learner's row for the lesson, created if missing and locked until the commit at exit."""
    table = LearnerProgress.__table__
    match = (table.c.user_id == user_id) & (table.c.lesson_id == lesson_id)
    try:
        # The write comes first: on SQLite only a write takes the lock before anything is read.
        if session.execute(update(table).where(match).values(updated_at=utcnow())).rowcount == 0:
            dialect = session.get_bind().dialect.name
            if dialect not in _INSERTS:
                raise NotImplementedError(f"Progress needs SQLite or PostgreSQL, not {dialect}.")
            values = LearnerProgress(user_id=user_id, lesson_id=lesson_id).model_dump(exclude={"id"})
            session.execute(
                _INSERTS[dialect](table)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["user_id", "lesson_id"])
            )
        row = session.exec(_select(user_id, lesson_id).with_for_update()).one()
        yield row
        session.add(row)
        session.commit()
    except BaseException:
        session.rollback()
        raise


def get_progress(session: Session, user: User, lesson: Lesson) -> ProgressView:
    """The learner's progress on the lesson; a zero view (nothing stored) when not started."""
    user_id, username = _identity(user)
    return _view(lesson, user_id, username, session.exec(_select(user_id, lesson.id)).first())


def record_attempt(session: Session, user: User, lesson: Lesson, step_id: str, passed: bool) -> ProgressView:
    """Count one grading of the step; a pass completes it (once) and moves current_step on,
    a fail keeps the learner on this step. A completed step stays completed."""
    _step(lesson, step_id)
    user_id, username = _identity(user)
    with _locked(session, user_id, lesson.id) as row:
        row.attempts = {**row.attempts, step_id: row.attempts.get(step_id, 0) + 1}
        if passed:
            if step_id not in row.completed_steps:
                row.completed_steps = [*row.completed_steps, step_id]
            row.current_step = _step_after(lesson, row.completed_steps, step_id)
            if row.completed_at is None and row.current_step is None:
                row.completed_at = utcnow()
        else:
            row.current_step = step_id
        view = _view(lesson, user_id, username, row)
    return view


def reveal_hint(session: Session, user: User, lesson: Lesson, step_id: str) -> tuple[str, ProgressView]:
    """The step's next hint, in the author's order (nudge first, near-answer last)."""
    step = _step(lesson, step_id)
    user_id, username = _identity(user)
    with _locked(session, user_id, lesson.id) as row:
        shown = row.hints_used.get(step_id, 0)
        if shown >= len(step.hints):
            raise NoHintsLeft(f"Step '{step_id}' of lesson '{lesson.id}' has no more hints ({len(step.hints)} in all).")
        row.hints_used = {**row.hints_used, step_id: shown + 1}
        view = _view(lesson, user_id, username, row)
    return step.hints[shown], view


def reveal_solution(session: Session, user: User, lesson: Lesson, step_id: str) -> ProgressView:
    """Note that the learner saw the step's solution (the UI shows it with step.explanation)."""
    _step(lesson, step_id)
    user_id, username = _identity(user)
    with _locked(session, user_id, lesson.id) as row:
        if step_id not in row.solutions_revealed:
            row.solutions_revealed = [*row.solutions_revealed, step_id]
        view = _view(lesson, user_id, username, row)
    return view


def _check_answers(lesson: Lesson, answers: dict[int, int]) -> None:
    if not lesson.quiz:
        raise ValueError(f"Lesson '{lesson.id}' has no quiz.")
    if not answers:
        raise ValueError("No quiz answers given.")
    for index, choice in answers.items():
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(lesson.quiz):
            raise ValueError(
                f"Lesson '{lesson.id}' has no quiz question {index!r} (questions 0 to {len(lesson.quiz) - 1})."
            )
        choices = lesson.quiz[index].choices
        if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < len(choices):
            raise ValueError(
                f"Quiz question {index} of lesson '{lesson.id}' has no choice {choice!r} "
                f"(choices 0 to {len(choices) - 1})."
            )


def answer_quiz(session: Session, user: User, lesson: Lesson, answers: dict[int, int]) -> QuizResult:
    """Grade question index -> choice index; merged into earlier answers, so one question at a
    time and the whole quiz at once both work, and a changed answer replaces the old one."""
    _check_answers(lesson, answers)
    user_id, username = _identity(user)
    with _locked(session, user_id, lesson.id) as row:
        merged = {int(k): v for k, v in row.quiz_answers.items()} | answers
        # Answers kept from an older version of the quiz may no longer fit it: drop them.
        merged = {
            i: c for i, c in sorted(merged.items()) if i < len(lesson.quiz) and 0 <= c < len(lesson.quiz[i].choices)
        }
        results = tuple(
            QuestionResult(
                index=i,
                question=lesson.quiz[i].question,
                chosen=c,
                answer=lesson.quiz[i].answer,
                correct=c == lesson.quiz[i].answer,
                explanation=lesson.quiz[i].explanation,
            )
            for i, c in merged.items()
        )
        correct = sum(r.correct for r in results)
        row.quiz_answers = {str(i): c for i, c in merged.items()}
        row.quiz_score = correct / len(lesson.quiz)
        view = _view(lesson, user_id, username, row)
    return QuizResult(score=view.quiz_score, correct=correct, total=len(lesson.quiz), questions=results, progress=view)


def _count(session: Session, user: User, lesson: Lesson, counter: str) -> ProgressView:
    user_id, username = _identity(user)
    with _locked(session, user_id, lesson.id) as row:
        setattr(row, counter, getattr(row, counter) + 1)
        view = _view(lesson, user_id, username, row)
    return view


def record_run(session: Session, user: User, lesson: Lesson) -> ProgressView:
    """Count one dbt job the learner ran in this lesson."""
    return _count(session, user, lesson, "runs")


def record_query(session: Session, user: User, lesson: Lesson) -> ProgressView:
    """Count one warehouse query the learner ran in this lesson."""
    return _count(session, user, lesson, "queries")


def set_current_step(session: Session, user: User, lesson: Lesson, step_id: str) -> ProgressView:
    """Remember the step the learner opened, so the lesson reopens there."""
    _step(lesson, step_id)
    user_id, username = _identity(user)
    with _locked(session, user_id, lesson.id) as row:
        row.current_step = step_id
        view = _view(lesson, user_id, username, row)
    return view


def class_overview(session: Session, lesson: Lesson) -> list[ProgressView]:
    """Every learner who started the lesson, by username: the instructor's class view."""
    rows = session.exec(
        select(LearnerProgress, User.username)
        .join(User, User.id == LearnerProgress.user_id)
        .where(LearnerProgress.lesson_id == lesson.id)
        .order_by(User.username)
        .execution_options(populate_existing=True)
    ).all()
    return [_view(lesson, row.user_id, username, row) for row, username in rows]
