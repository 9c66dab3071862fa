"""`lessons check` in CI: every lesson's reference solution passes every step on both seed sets,
its starter fails the steps, every shipped wrong answer fails with its phrase, and hello_dbt's
generated mutants are rejected (mutation score). Real CLI, real sandboxed dbt runs."""

from __future__ import annotations

import os
import subprocess
import sys

from decode_data.settings import REPO_ROOT


def _lessons_check(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DECODE_DATA_DIR": str(tmp_path), "DECODE_DATA_ENV": "test", "DECODE_DATA_WORKERS": "2"}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "decode_data", "lessons", "check", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3000,
    )


def test_every_lesson_checks_out_with_its_wrong_answers(tmp_path):
    done = _lessons_check(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hello_dbt" in done.stdout and " of " in done.stdout
    assert "rejected" in done.stdout


def test_hello_dbt_mutants_are_rejected(tmp_path):
    done = _lessons_check(tmp_path, "hello_dbt", "--mutants")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "%" in done.stdout  # a mutation score per step that grades data
