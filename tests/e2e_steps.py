"""The learner's browser steps (decode_data/harness/browser_steps.py), plus names unique per test."""

from __future__ import annotations

import itertools
import time

from decode_data.harness.browser_steps import (
    PASSWORD,
    open_file,
    open_lesson,
    register,
    replace_editor_text,
    run_dbt,
    sign_in,
    sign_out,
    sign_up,
    type_command,
    wait_outcome,
    wait_saved,
)

__all__ = [
    "PASSWORD",
    "new_username",
    "open_file",
    "open_lesson",
    "register",
    "replace_editor_text",
    "run_dbt",
    "sign_in",
    "sign_out",
    "sign_up",
    "type_command",
    "wait_outcome",
    "wait_saved",
]

_names = itertools.count(1)


def new_username(prefix: str) -> str:
    return f"{prefix}{int(time.time() * 1000) % 10_000_000}{next(_names)}"
