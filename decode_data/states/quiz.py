"""The end-of-lesson quiz: pick answers, submit, see which were right and why."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from decode_data.services import progress
from decode_data.services.lessons import Lesson
from decode_data.states.lesson import LessonState


@dataclass
class QuizItem:
    index: int
    question: str
    choices: list[str]
    chosen: str = ""  # the choice index as the radio group sends it; "" when unanswered
    graded: bool = False
    correct: bool = False
    explanation: str = ""


def quiz_items(lesson: Lesson, answers: dict[int, int], graded: bool) -> list[QuizItem]:
    items = []
    for i, q in enumerate(lesson.quiz):
        chosen = answers.get(i)
        items.append(
            QuizItem(
                index=i,
                question=q.question,
                choices=list(q.choices),
                chosen="" if chosen is None else str(chosen),
                graded=graded and chosen is not None,
                correct=chosen == q.answer,
                explanation=q.explanation,
            )
        )
    return items


def _load(session, user, lesson) -> tuple[dict[int, int], float | None]:
    view = progress.get_progress(session, user, lesson)
    return view.quiz_answers, view.quiz_score


def _answer(session, user, lesson, answers: dict[int, int]) -> tuple[dict[int, int], float]:
    result = progress.answer_quiz(session, user, lesson, answers)
    return {q.index: q.chosen for q in result.questions}, result.score


class QuizState(LessonState):
    questions: list[QuizItem] = []
    score: str = ""
    error: str = ""

    def _take(self, answers: dict[int, int], score: float | None) -> None:
        self.questions = quiz_items(self._lesson(), answers, graded=score is not None)
        self.score = "" if score is None else f"{round(score * 100)}%"

    async def _load(self) -> None:
        if self.not_found or not self.lesson_id or not self._lesson().quiz:
            self.questions = []
            return
        self._take(*await self._with_learner(_load))

    @rx.event
    def choose(self, index: int, choice: str):
        self.error = ""
        self.questions = [
            QuizItem(**{**q.__dict__, "chosen": choice, "graded": False}) if q.index == index else q
            for q in self.questions
        ]

    @rx.event
    async def submit(self):
        answers = {q.index: int(q.chosen) for q in self.questions if q.chosen != ""}
        if not answers:
            self.error = "Pick an answer first."
            return
        self._take(*await self._with_learner(_answer, answers))
