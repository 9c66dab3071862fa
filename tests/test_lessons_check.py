"""`lessons check` in CI: every lesson's reference solution passes every step on both seed sets,
and its starter does not pass the steps it is meant to fail. Real CLI, real sandboxed dbt runs."""

from __future__ import annotations

import os
import subprocess
import sys

from decode_data.settings import REPO_ROOT


def test_every_lesson_checks_out(tmp_path):
    env = {**os.environ, "DECODE_DATA_DIR": str(tmp_path), "DECODE_DATA_ENV": "test",
           "DECODE_DATA_WORKERS": "2"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "decode_data", "lessons", "check"], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hello_dbt" in done.stdout and " of " in done.stdout
