"""`lessons check` in CI: every lesson's reference solution passes every step on both seed sets,
its starter fails the steps, every shipped wrong answer fails with its phrase, and hello_dbt's
generated mutants are rejected (mutation score). Real CLI, real sandboxed dbt runs.

Each proof runs once: the whole catalog through the CLI (its wrong answers included), hello_dbt's
mutation score through the same function `--mutants` calls, and the `--mutants` report itself
on a one-model lesson (so hello_dbt's wrong answers are not graded a second time for it).
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys

import pytest

from decode_data.settings import REPO_ROOT
from tests.lesson_lab import write_lesson

pytestmark = pytest.mark.slow


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
    from decode_data.services.lessons import list_lessons

    done = _lessons_check(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line.split() for line in done.stdout.splitlines()]
    for lesson in list_lessons(REPO_ROOT / "dbt_template"):
        checked = [row for row in rows if row and row[0] == lesson.id]
        assert [row[1] for row in checked] == [step.id for step in lesson.steps], lesson.id
        assert all(row[-1] == "ok" for row in checked), (lesson.id, checked)
    assert "rejected" in done.stdout


def test_hello_dbt_mutants_are_rejected(engine, settings_env):
    """What `lessons check hello_dbt --mutants` adds to the check above: every step that grades
    data rejects the generated mutants of its models (the score the CLI prints)."""
    from decode_data.services.authoring.mutation_score import TARGET_PERCENT, mutation_scores
    from decode_data.services.lessons import get_lesson

    scores = mutation_scores(get_lesson("hello_dbt"))
    assert len(scores) >= 3, scores
    for step_id, score in scores.items():
        assert score.percent >= TARGET_PERCENT and score.ok, (step_id, score.label, score.survivors)
        assert score.killed >= 1 and score.label.endswith(f"({score.killed}/{score.killed + len(score.survivors)})")


LAB = {
    "lesson.yml": """
        id: mutants_lab
        title: Mutants lab
        editable: ["models/*.sql"]
        steps:
          - id: totals
            title: Totals per customer
            instructions: Sum the orders per customer.
            checks:
              - {kind: relation, model: customer_totals}
    """,
    "seeds/raw_orders.csv": "id,customer_id,amount\n1,1,10\n2,1,5\n3,2,7\n4,3,0\n",
    "seeds_variant/raw_orders.csv": "id,customer_id,amount\n1,4,3\n2,5,9\n3,5,1\n4,6,2\n",
    "starter/models/customer_totals.sql": "select 'replace me' as todo\n",
    "solution/models/customer_totals.sql": (
        "select customer_id, sum(amount) as total\nfrom {{ ref('raw_orders') }}\ngroup by customer_id\n"
    ),
}


def test_the_mutants_flag_prints_each_steps_score(engine, settings_env, tmp_path, monkeypatch, capsys):
    """`lessons check --mutants` (the CLI in this process, on the session's engine) grades the
    generated mutants of a one-model lesson and prints the score in the step's row."""
    from decode_data import settings
    from decode_data.db import dispose_engines

    cli_main = importlib.import_module("decode_data.cli.main")  # the module (the package exports its main())

    write_lesson(tmp_path / "catalog" / "mutants_lab", LAB)
    monkeypatch.setenv("DECODE_DATA_TEMPLATE_DIR", str(tmp_path / "catalog"))
    monkeypatch.setenv("DATABASE_URL", "sqlite://")  # the command points both at its own scratch folder
    monkeypatch.setenv("DECODE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(cli_main, "_shutdown", lambda: None)  # the session's engine outlives the command
    settings.reset_settings()
    try:
        code = cli_main.main(["lessons", "check", "--mutants"])
    finally:
        dispose_engines()
    printed = capsys.readouterr().out
    (row,) = [line.split() for line in printed.splitlines() if line.startswith("mutants_lab")]
    assert row[:5] == ["mutants_lab", "totals", "passes", "fails", "none"], printed
    assert re.fullmatch(r"100%", row[5]) and re.fullmatch(r"\((\d+)/\1\)", row[6]) and row[-1] == "ok", printed
    assert code == 0 and "1 of 1 steps ok" in printed, printed
