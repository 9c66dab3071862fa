"""Plain data for the progress page (lesson cards, activity, run history): no Reflex.

ProgressPageState turns progress views and run history into these rows for the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from decode_data.services.lessons import Lesson
from decode_data.services.progress import ProgressView
from decode_data.states.view_models import when

ACTIVITY_SERIES = ("runs", "queries", "checks")


@dataclass
class StepProgress:
    id: str
    number: int
    title: str
    done: bool
    attempts: int
    hints: int
    solution_shown: bool


@dataclass
class LessonProgress:
    id: str
    title: str
    percent: int
    steps_done: int
    steps_total: int
    attempts: int
    hints_used: int
    solutions_revealed: int
    has_quiz: bool
    quiz_score: str  # "80%", or "not taken"
    started: bool
    completed: bool
    steps: list[StepProgress] = field(default_factory=list)


def lesson_progress(lesson: Lesson, view: ProgressView) -> LessonProgress:
    """One lesson's card on the progress page; counts only the steps the lesson has now."""
    ids = {s.id for s in lesson.steps}
    done = set(view.completed_steps) & ids
    steps = [
        StepProgress(
            id=s.id,
            number=i + 1,
            title=s.title,
            done=s.id in done,
            attempts=int(view.attempts.get(s.id, 0)),
            hints=int(view.hints_used.get(s.id, 0)),
            solution_shown=s.id in view.solutions_revealed,
        )
        for i, s in enumerate(lesson.steps)
    ]
    quiz = "not taken" if view.quiz_score is None else f"{round(view.quiz_score * 100)}%"
    return LessonProgress(
        id=lesson.id,
        title=lesson.title,
        percent=view.percent,
        steps_done=len(done),
        steps_total=len(lesson.steps),
        attempts=sum(s.attempts for s in steps),
        hints_used=sum(s.hints for s in steps),
        solutions_revealed=sum(s.solution_shown for s in steps),
        has_quiz=bool(lesson.quiz),
        quiz_score=quiz if lesson.quiz else "",
        started=view.started_at is not None,
        completed=view.completed,
        steps=steps,
    )


def activity_points(days: list[dict]) -> list[dict]:
    """history.activity_by_day() -> chart rows {"day": "Nov 26", "date": iso, runs, queries, checks}."""
    points = []
    for d in days:
        iso = str(d.get("day", ""))
        try:
            short = date.fromisoformat(iso).strftime("%b %d")
        except ValueError:
            short = iso
        points.append({"day": short, "date": iso, **{k: int(d.get(k, 0) or 0) for k in ACTIVITY_SERIES}})
    return points


def activity_total(points: list[dict]) -> int:
    return sum(p.get(k, 0) for p in points for k in ACTIVITY_SERIES)


@dataclass
class RunRow:
    id: int
    when: str
    lesson: str
    kind: str
    command: str
    status: str
    seconds: str


def run_rows(entries, titles: dict[str, str]) -> list[RunRow]:
    """history.recent() entries -> table rows, with lesson titles instead of ids where known."""
    return [
        RunRow(
            id=int(e.id),
            when=when(e.created_at),
            lesson=titles.get(e.lesson_id, e.lesson_id),
            kind=e.kind,
            command=e.command,
            status=e.status,
            seconds=f"{float(e.elapsed_s or 0):.2f}",
        )
        for e in entries
    ]
