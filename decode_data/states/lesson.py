"""The lesson page's parent state: who, which lesson, which step.

The page's concerns are sibling substates of this one, each owning its own vars: the editor
(files, the open file, autosave), the runner (dbt jobs, results, lineage), the checker (check
my work, hints, solution) and the quiz. An event of one of them loads only it and this parent,
never the others' logs, grids or graphs; they reach each other with `get_state` where one
action spans concerns (choosing a step, resetting the lesson).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

import reflex as rx

from decode_data.routes import lesson_id_from_path
from decode_data.services import progress as progress_service
from decode_data.services.grader.describe import describe_pass
from decode_data.services.lessons import Lesson, LessonNotFound, get_lesson, next_lesson
from decode_data.services.workspace import reset_workspace, sync_saved_edits
from decode_data.states.access import learner_session
from decode_data.states.auth import AuthState
from decode_data.states.view_models import StepItem, step_items

T = TypeVar("T")


class LessonState(AuthState):
    lesson_id: str = ""
    title: str = ""
    not_found: bool = False
    steps: list[StepItem] = []
    step_id: str = ""
    step_title: str = ""
    instructions: str = ""
    percent: int = 0
    next_step_id: str = ""  # the first step not done yet, after this one
    has_hints: bool = False
    step_checks: list[str] = []  # what "Check my work" looks at, in words
    confirm_reset: bool = False
    complete: bool = False  # every step passed: the lesson-complete moment shows
    learned: list[str] = []  # what the steps taught, for that moment
    next_lesson_id: str = ""
    next_lesson_title: str = ""

    @rx.var
    def instructions_titled(self) -> bool:
        """The Markdown starts with its own heading: the page does not add the step title."""
        return self.instructions.lstrip().startswith("#")

    def _lesson(self) -> Lesson:
        return get_lesson(self.lesson_id)

    def _bind(self, work: Callable[..., T], *args) -> Callable[[], T]:
        """`work(session, user, lesson, *args)` for the signed-in learner, ready for a thread.

        Reads the cookie and lesson id now, so background tasks call it inside `async with self`.
        """
        token, lesson_id = self.session_token, self.lesson_id

        def call() -> T:
            with learner_session(token) as (session, user):
                return work(session, user, get_lesson(lesson_id), *args)

        return call

    async def _with_learner(self, work: Callable[..., T], *args) -> T:
        """Run `work` off the event loop (the engine and the database block)."""
        return await asyncio.to_thread(self._bind(work, *args))

    def _show(self, lesson: Lesson, view: progress_service.ProgressView, step_id: str) -> None:
        self.title = lesson.title
        step = next((s for s in lesson.steps if s.id == step_id), lesson.steps[0] if lesson.steps else None)
        if step is None:  # a lesson still being written: its files, no steps yet
            self.step_id, self.step_title, self.instructions = "", "", "This lesson has no steps yet."
            self.has_hints, self.step_checks, self.steps, self.percent, self.next_step_id = False, [], [], 0, ""
            return
        self.step_id, self.step_title, self.instructions = step.id, step.title, step.instructions
        self.has_hints = bool(step.hints)
        self.step_checks = list(dict.fromkeys(describe_pass(c) for c in step.checks))
        self.steps = step_items(lesson, view, step.id)
        self.percent = view.percent
        ids = [s.id for s in lesson.steps]
        later = ids[ids.index(step.id) + 1 :] + ids[: ids.index(step.id)]
        self.next_step_id = next((i for i in later if i not in view.completed_steps), "")
        self.complete = all(i in view.completed_steps for i in ids)
        self.learned = [s.title for s in lesson.steps] if self.complete else []
        following = next_lesson(lesson.id)
        self.next_lesson_id, self.next_lesson_title = (following.id, following.title) if following else ("", "")

    @rx.event
    async def open_page(self):
        """on_load: everything the first paint needs, in one event and one delta: the lesson and
        the learner's place in it, the files with the step's file open, the step's hints, the
        quiz. The lineage (a dbt compile) follows once the page has painted."""
        editor, runner, checker = await self._siblings()
        # A reload right after typing: the edit this tab sent is saved, not replaced by the file.
        # Before the lesson is loaded, so it goes to the lesson it was typed in.
        if editor.path:
            await editor._flush()
        await self._load_lesson()
        if self.not_found:
            return None
        await editor._reload_files()
        await checker._show_step_help()
        from decode_data.states.quiz import QuizState  # a sibling: it derives from this module

        await (await self.get_state(QuizState))._load()
        return type(runner).inspect_after_paint

    @rx.event
    async def load_lesson(self):
        await self._load_lesson()

    async def _load_lesson(self) -> None:
        """The lesson, the learner's progress and a workspace ready to edit."""
        self.lesson_id = lesson_id_from_path(self.router.url.path)
        try:
            lesson = self._lesson()
        except LessonNotFound:
            self.not_found = True
            return
        self.not_found = False

        def load(session, user, lesson):
            sync_saved_edits(session, user, lesson)  # a crash mid-save left the disk behind
            return progress_service.get_progress(session, user, lesson)

        view = await self._with_learner(load)
        last = lesson.steps[-1].id if lesson.steps else ""
        self._show(lesson, view, view.current_step or view.next_step or last)  # a finished lesson: its last step

    async def _refresh_progress(self) -> None:
        view = await self._with_learner(progress_service.get_progress)
        self._show(self._lesson(), view, self.step_id)

    @rx.event
    async def choose_step(self, step_id: str):
        """Another step: its text, its help, its file in the editor and in the lineage."""
        editor, runner, checker = await self._siblings()
        await editor._flush()
        view = await self._with_learner(progress_service.set_current_step, step_id)
        self._show(self._lesson(), view, step_id)
        await checker._show_step_help()
        await editor._switch_to(editor._default_path())
        runner._relayout(editor.current_node)

    @rx.event
    def ask_reset(self, value: bool = True):
        self.confirm_reset = value

    @rx.event
    async def reset_lesson(self):
        """Back to the starter files: edits and the warehouse go, progress stays."""
        self.confirm_reset = False
        editor, runner, checker = await self._siblings()
        if runner.running or checker.checking:
            runner.outcome, runner.outcome_message = "error", "Wait for dbt to finish, then reset."
            return None
        await self._with_learner(reset_workspace)
        checker._clear_feedback()
        runner._forget_runs()
        editor.path = ""
        await editor._reload_files()
        return type(runner).inspect

    async def _siblings(self):
        """The editor, runner and checker of this page (imported here: they derive from this module)."""
        from decode_data.states.check import CheckState
        from decode_data.states.editor import EditorState
        from decode_data.states.runner import RunnerState

        return await self.get_state(EditorState), await self.get_state(RunnerState), await self.get_state(CheckState)

    @rx.event
    async def export_zip(self):
        """The workspace as a zip of a plain dbt project, downloaded by the browser."""
        from decode_data.services.export import export_workspace

        filename, data = await self._with_learner(export_workspace)
        return rx.download(data=data, filename=filename)
