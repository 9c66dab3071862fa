"""Write a small lesson from a dict of files (dedented), for grader tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from decode_data.services.lessons import Lesson, load_lesson


def write_lesson(root: Path, files: dict[str, str]) -> Lesson:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return load_lesson(root)
