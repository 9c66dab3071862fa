"""What "show me the solution" shows: the reference files a step asks the learner to change."""

from __future__ import annotations

from pathlib import Path

from decode_data.services.lessons import Lesson, Step
from decode_data.services.path_glob import glob_match

MAX_SOLUTION_BYTES = 64_000


def _files(root: Path) -> dict[str, Path]:
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


def step_solution(lesson: Lesson, step: Step) -> list[dict[str, str]]:
    """[{path, content}] of solution files within the step's editable globs (the lesson's when
    the step names none) that differ from the starter: what the learner has to write."""
    globs = step.editable or lesson.editable
    starter = _files(lesson.starter_dir)
    shown = []
    for path, file in _files(lesson.solution_dir).items():
        if not any(glob_match(path, g) for g in globs):
            continue
        content = file.read_bytes()[:MAX_SOLUTION_BYTES].decode("utf-8", errors="replace")
        if path in starter and starter[path].read_text(errors="replace") == content:
            continue
        shown.append({"path": path, "content": content})
    return shown
