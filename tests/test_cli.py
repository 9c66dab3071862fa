"""`python -m decode_data ...` as a user runs it: a real subprocess, real SQLite, real dbt workers.

Every call gets its own data dir (DECODE_DATA_DIR=tmp_path) and one worker, and works on the
real hello_dbt lesson. Calls that run dbt start a warm worker (seconds each), so they are few
and each one checks several things.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
LESSON = "hello_dbt"
STARTER = REPO_ROOT / "dbt_template" / LESSON / "starter"
SOLUTION_STG_ORDERS = (REPO_ROOT / "dbt_template" / LESSON / "solution/models/stg_orders.sql").read_text()
# A missing column on line 3 of the learner's file: the error must point there.
BROKEN_STG_ORDERS = "select\n    id as order_id,\n    no_such_column\nfrom {{ ref('raw_orders') }}\n"
SLOW_MODEL = "{{ config(materialized='table') }}\nselect count(*) as n from range(300000000) t(i) where i % 7 = 3\n"  # ~1 s of DuckDB

HELP_COMMANDS = [
    [],
    ["db"],
    ["db", "upgrade"],
    ["lessons"],
    ["lessons", "list"],
    ["workspace"],
    ["workspace", "save"],
    ["workspace", "run"],
    ["workspace", "query"],
    ["workspace", "reset"],
    ["workspace", "files"],
    ["workspace", "show-file"],
    ["workspaces"],
    ["workspaces", "prune"],
    ["bench"],
]


def _env(data_dir: Path, **extra: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SECRET_KEY", "MOTHERDUCK_TOKEN", "PYTHONUNBUFFERED", "DECODE_DATA_TEMPLATE_DIR")
    }
    env.update({"DECODE_DATA_DIR": str(data_dir), "DECODE_DATA_ENV": "test", "DECODE_DATA_WORKERS": "1", **extra})
    return env


def cli(data_dir: Path, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    """Run the CLI to completion; expected failures must never print a traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "decode_data", *args],
        cwd=REPO_ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(data_dir, **env),
        timeout=180,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def ws(data_dir: Path, action: str, *args: str, user: str = "ada", stdin: str | None = None):
    return cli(data_dir, "workspace", action, "--user", user, "--lesson", LESSON, *args, stdin=stdin)


def streamed(data_dir: Path, *args: str) -> tuple[int, list[tuple[float, str]]]:
    """Run the CLI and note when each stdout line arrives: (exit code, [(seconds, line)])."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "decode_data", *args],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
        env=_env(data_dir),
    )
    lines = [(time.monotonic() - started, line.rstrip("\n")) for line in proc.stdout]
    stderr = proc.stderr.read()
    code = proc.wait(timeout=180)
    assert "Traceback" not in stderr, stderr
    return code, lines


def _at(lines: list[tuple[float, str]], text: str) -> float:
    return next(t for t, line in lines if text in line)


# --- no dbt worker needed ------------------------------------------------------------------


def test_help_for_every_command(tmp_path):
    for words in HELP_COMMANDS:
        proc = cli(tmp_path, *words, "--help")
        assert proc.returncode == 0, (words, proc.stderr)
        assert proc.stdout.startswith("usage: python -m decode_data"), words
        if len(words) == 2 or words == ["bench"]:
            assert "examples:" in proc.stdout, words
    assert not (tmp_path / "app.db").exists(), "--help must not touch the database"


def test_db_upgrade_and_lessons_list(tmp_path):
    upgraded = cli(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0 and "latest schema" in upgraded.stdout
    assert cli(tmp_path, "db", "upgrade").returncode == 0  # idempotent

    listed = cli(tmp_path, "lessons", "list")
    assert listed.returncode == 0
    header, _rule, *rows = listed.stdout.splitlines()
    assert header.split() == ["id", "title", "level", "minutes", "steps"]
    assert any(row.startswith(LESSON) and row.split()[-1] == "6" for row in rows)

    lessons = json.loads(cli(tmp_path, "lessons", "list", "--json").stdout)
    hello = next(lesson for lesson in lessons if lesson["id"] == LESSON)
    assert hello["steps"] == 6 and hello["level"] == "beginner" and "models/*.sql" in hello["editable"]


def test_expected_failures_are_one_line_on_stderr(tmp_path):
    bad_setting = cli(tmp_path, "lessons", "list", DECODE_DATA_WORKERS="many")
    assert bad_setting.returncode == 2
    assert bad_setting.stderr.strip() == "error: DECODE_DATA_WORKERS must be a whole number, got 'many'"

    files = json.loads(ws(tmp_path, "files", "--json").stdout)
    assert {"path": "models/stg_orders.sql", "editable": True} in files
    missing = cli(tmp_path, "workspace", "files", "--user", "ada", "--lesson", "no_such_lesson")
    assert missing.returncode == 2
    assert missing.stderr.strip().startswith("error: no lesson named 'no_such_lesson' (lessons: ")
    assert LESSON in missing.stderr and len(missing.stderr.strip().splitlines()) == 1

    for dbt_args, reason in [
        (["drop"], "'drop' is not a dbt command"),
        (["run", "--vars", "{}"], "'--vars' is not allowed"),
        (["show"], "show needs a model or SQL"),
        (["test", "--full-refresh"], "dbt test has no --full-refresh"),
        (["run", "stg_orders"], "unexpected argument 'stg_orders'"),
    ]:
        proc = ws(tmp_path, "run", "--", *dbt_args)
        assert proc.returncode == 2, dbt_args
        assert reason in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    no_dashes = ws(tmp_path, "run")
    assert no_dashes.returncode == 2 and "put the dbt command after --" in no_dashes.stderr


def test_save_follows_the_lesson_policy(tmp_path):
    saved = ws(tmp_path, "save", "--path", "models/stg_orders.sql", stdin=SOLUTION_STG_ORDERS)
    assert saved.returncode == 0, saved.stderr
    assert saved.stdout.strip() == "models/stg_orders.sql"
    shown = ws(tmp_path, "show-file", "--path", "models/stg_orders.sql")
    assert shown.returncode == 0 and shown.stdout == SOLUTION_STG_ORDERS

    new = ws(tmp_path, "save", "--path", "models/./my_model.sql", stdin="select 1 as id\n")
    assert new.returncode == 0 and new.stdout.strip() == "models/my_model.sql"
    listing = ws(tmp_path, "files").stdout.splitlines()
    assert ["yes", "models/my_model.sql"] in [line.split() for line in listing]
    assert ["-", "seeds/raw_orders.csv"] in [line.split() for line in listing]

    for path, reason in [
        ("models/evil.py", "Python files cannot be saved"),
        ("../outside.sql", "cannot go up a folder"),
        ("dbt_project.yml", "dbt_project.yml is managed by Decode Data"),
        ("seeds/raw_orders.csv", "Only .sql, .yml, .yaml and .md files"),
        ("macros/m.sql", "This lesson does not let you change macros/m.sql"),
    ]:
        proc = ws(tmp_path, "save", "--path", path, stdin="select 1\n")
        assert proc.returncode == 2, path
        assert proc.stderr.startswith("error: not saved: ") and reason in proc.stderr, proc.stderr
        assert proc.stdout == ""
    outside = ws(tmp_path, "show-file", "--path", "../../../app.db")
    assert outside.returncode == 2 and "cannot go up a folder" in outside.stderr


def test_reset_restores_the_starter_and_prune_removes_the_folder(tmp_path):
    assert ws(tmp_path, "save", "--path", "models/stg_orders.sql", stdin=SOLUTION_STG_ORDERS).returncode == 0
    reset = ws(tmp_path, "reset")
    assert reset.returncode == 0 and "starter files" in reset.stdout
    starter = (STARTER / "models/stg_orders.sql").read_text()
    assert ws(tmp_path, "show-file", "--path", "models/stg_orders.sql").stdout == starter

    roots = list((tmp_path / "workspaces").glob(f"*/{LESSON}"))
    assert len(roots) == 1
    kept = cli(tmp_path, "workspaces", "prune", "--idle-days", "30")
    assert kept.returncode == 0 and "Nothing to prune" in kept.stdout and roots[0].is_dir()
    pruned = cli(tmp_path, "workspaces", "prune", "--idle-days", "0")
    assert pruned.returncode == 0
    assert f"removed ada / {LESSON}: {roots[0]}" in pruned.stdout
    assert not roots[0].exists()


# --- real dbt runs (each call starts a warm worker) --------------------------------------


@pytest.mark.slow
def test_run_streams_then_maps_errors_to_the_learners_line(tmp_path):
    user_args = ("workspace", "run", "--user", "ada", "--lesson", LESSON, "--")
    seeded = ws(tmp_path, "run", "--", "seed")
    assert seeded.returncode == 0, seeded.stdout
    for seed in ("raw_customers", "raw_orders"):
        assert f"[success]   seed {seed}" in seeded.stdout
        assert f"OK loaded seed file main.{seed}" in seeded.stdout

    assert ws(tmp_path, "save", "--path", "models/slow_count.sql", stdin=SLOW_MODEL).returncode == 0
    code, lines = streamed(tmp_path, *user_args, "run")
    text = "\n".join(line for _t, line in lines)
    assert code == 0, text
    for model in ("stg_customers", "stg_orders", "customer_orders", "customers", "revenue_by_country"):
        assert f"[running]   model {model}" in text and f"[success]   model {model}" in text
        assert f"models/{model}.sql" in text.split("dbt run: success")[1]  # the summary table
    # Streamed as it happens: a model's start arrives while it runs, not with the summary at exit.
    assert _at(lines, "[success]   model slow_count") - _at(lines, "[running]   model slow_count") > 0.3, lines

    assert ws(tmp_path, "save", "--path", "models/stg_orders.sql", stdin=BROKEN_STG_ORDERS).returncode == 0
    broken = ws(tmp_path, "run", "--", "run", "--select", "stg_orders")
    assert broken.returncode == 1, broken.stdout
    summary = broken.stdout.split("dbt run --select stg_orders: failed")[1]
    assert "models/stg_orders.sql:3: " in summary and "no_such_column" in summary, summary

    queried = ws(tmp_path, "query", "--sql", "select id, status from raw_orders order by id", "--limit", "5", "--json")
    assert queried.returncode == 0, queried.stderr
    preview = json.loads(queried.stdout)
    assert preview["columns"] == ["id", "status"] and preview["rows"][0] == [1, "COMPLETED"]
    assert len(preview["rows"]) == 5 and preview["total_rows"] == 60 and preview["truncated"] is True
