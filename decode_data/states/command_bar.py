"""The dbt command bar: what the learner types, why a line was refused, and ↑/↓ history.

A sibling of the runner under LessonState and deliberately tiny: a key press in the bar loads
this state and its parents only. A line that passes the platform's rules is handed to the
runner, which checks it again (events can be forged) and runs it.
"""

from __future__ import annotations

import reflex as rx

from decode_data.services.dbt_command import DbtUsageError, parse_command_line
from decode_data.settings import get_settings
from decode_data.states.lesson import LessonState
from decode_data.states.runner import RunnerState

INPUT_ID = "dbt-command"
MAX_HISTORY = 30


class CommandState(LessonState):
    history: list[str] = []  # oldest first
    refused: str = ""  # why the last line was not run, in one line

    _cursor: int = 0  # where ↑/↓ is in the history; len(history) = the empty new line

    @rx.event
    def submit(self, form: dict):
        line = " ".join(str(form.get("line") or "").split())
        try:
            parse_command_line(line, get_settings().query_row_cap)
        except DbtUsageError as exc:
            self.refused = str(exc)
            return None
        self.refused = ""
        self.history = [*[h for h in self.history if h != line], line][-MAX_HISTORY:]
        self._cursor = len(self.history)
        return [rx.set_value(INPUT_ID, ""), RunnerState.run_line(line)]

    @rx.event
    def browse(self, key: str):
        """↑ and ↓ walk the history, like a shell; other keys change nothing here."""
        if key not in ("ArrowUp", "ArrowDown"):
            return None
        step = -1 if key == "ArrowUp" else 1
        self._cursor = max(0, min(len(self.history), self._cursor + step))
        shown = self.history[self._cursor] if self._cursor < len(self.history) else ""
        return rx.set_value(INPUT_ID, shown)
