"""Check my work", hints one at a time, the solution after a confirmation, and reset.

Grading builds the learner's project on fresh warehouses (seconds), so it is a background
task like a run; its feedback is turned into plain items and a diff grid for the page.

A sibling of the editor and the runner under LessonState: it owns the verdict, hints and
solution; it asks the editor to save first and to mark the line the feedback points at.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from decode_data.services import progress
from decode_data.services.checking import check_step
from decode_data.services.rate_limits import RateLimited, count_job
from decode_data.services.solutions import step_solution
from decode_data.states.editor import EditorState
from decode_data.states.lesson import LessonState
from decode_data.states.runner import RunnerState
from decode_data.states.view_models import (
    CheckItem,
    RowDiff,
    TextPart,
    check_items,
    error_location,
    first_diff,
    first_evidence,
    inline_code,
)


def _hint(session, user, lesson, step_id: str) -> str:
    return progress.reveal_hint(session, user, lesson, step_id)[0]


def _shown_hints(session, user, lesson, step_id: str) -> list[str]:
    view = progress.get_progress(session, user, lesson)
    step = next(s for s in lesson.steps if s.id == step_id)
    return list(step.hints[: view.hints_used.get(step_id, 0)])


def _solution(session, user, lesson, step_id: str) -> tuple[list[dict[str, str]], str]:
    progress.reveal_solution(session, user, lesson, step_id)
    step = next(s for s in lesson.steps if s.id == step_id)
    return step_solution(lesson, step), step.explanation


def _check(session, user, lesson, step_id: str) -> dict:
    try:
        count_job(session, user)
    except RateLimited as exc:  # the verdict line says so; no attempt is recorded
        return {"passed": False, "summary": exc.message, "checks": []}
    return check_step(session, user, lesson, step_id).to_dict()


class CheckState(LessonState):
    checking: bool = False
    checked_step: str = ""
    passed: bool = False
    summary: str = ""
    verdict_stale: bool = False  # a run since this verdict: it may describe files that changed
    checks: list[CheckItem] = []
    diff: RowDiff = RowDiff()
    evidence: RowDiff = RowDiff()  # the diagnosis's examples: row, column, expected, got
    warehouse: list[str] = []  # the learner's own warehouse: what is missing or stale there
    hints: list[str] = []
    hint_error: str = ""
    solution: list[dict[str, str]] = []
    explanation: str = ""
    confirm_solution: bool = False

    @rx.var
    def summary_parts(self) -> list[TextPart]:
        return inline_code(self.summary)

    def _clear_feedback(self) -> None:
        self.checked_step, self.passed, self.summary, self.checks, self.diff = "", False, "", [], RowDiff()
        self.verdict_stale = False
        self.evidence, self.warehouse = RowDiff(), []
        self.solution, self.explanation, self.hint_error = [], "", ""

    async def _show_step_help(self) -> None:
        """A step's help starts clean; hints already revealed stay revealed when the learner comes back."""
        self._clear_feedback()
        self.hints = await self._with_learner(_shown_hints, self.step_id) if self.step_id else []

    @rx.event(background=True)
    async def check(self):
        async with self:
            if self.checking or (await self.get_state(RunnerState)).running:
                return
            editor = await self.get_state(EditorState)
            await editor._flush()
            self._clear_feedback()
            self.checking, step_id = True, self.step_id
            call = self._bind(_check, step_id)
        try:
            feedback = await asyncio.to_thread(call)
        finally:
            async with self:
                self.checking = False
        async with self:
            self.checked_step, self.passed, self.summary = step_id, feedback["passed"], feedback["summary"]
            self.verdict_stale = False
            self.checks, self.diff = check_items(feedback), first_diff(feedback)
            self.evidence = first_evidence(feedback)
            self.warehouse = list(feedback.get("warehouse") or [])
            path, line = error_location(feedback)
            if path and line:
                await (await self.get_state(EditorState)).open_at(path, line)
            await self._refresh_progress()
        yield rx.scroll_to("check-feedback")  # the verdict in view, whatever the instructions' length

    @rx.event
    async def next_hint(self):
        try:
            hint = await self._with_learner(_hint, self.step_id)
        except progress.NoHintsLeft:
            self.hint_error = "That was the last hint for this step. The solution is still there if you need it."
            return
        self.hints = [*self.hints, hint]

    @rx.event
    def ask_solution(self, value: bool = True):
        self.confirm_solution = value

    @rx.event
    async def show_solution(self):
        self.confirm_solution = False
        self.solution, self.explanation = await self._with_learner(_solution, self.step_id)
