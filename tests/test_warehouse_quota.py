"""DECODE_DATA_MAX_WAREHOUSE_BYTES: past it, builds are refused with the sizes and the way out,
reading still works, nothing saved is lost, and `dbt build --full-refresh` starts from empty.
Real engine, real dbt, a real DuckDB file."""

from __future__ import annotations

from sqlmodel import select

from decode_data import settings as settings_module
from decode_data.models import ModelEdit
from decode_data.services import runs
from decode_data.services.warehouse_quota import warehouse_bytes
from decode_data.services.workspace import ensure_workspace, read_file, save_file
from tests.attack_helpers import result_text, write_attack_lesson

# About 3 MB in DuckDB: 60,000 rows of 40 distinct-ish characters.
BIG = (
    "{{ config(materialized='table') }}\nselect range as id, md5(range::varchar) || 'padding' as v from range(60000)\n"
)
SMALL = "{{ config(materialized='table') }}\nselect 1 as id, 'small' as v\n"


def test_a_warehouse_past_its_limit_refuses_builds_says_why_and_loses_nothing(
    engine, db_session, settings_env, tmp_path, monkeypatch
):
    from decode_data.services.learners import get_or_create_learner
    from decode_data.services.lessons import load_lesson

    monkeypatch.setenv("DECODE_DATA_MAX_WAREHOUSE_BYTES", "1000000")
    settings_module.reset_settings()
    lesson = load_lesson(write_attack_lesson(tmp_path / "lessons"))
    user = get_or_create_learner(db_session, "ada")
    ws = ensure_workspace(db_session, user, lesson)
    save_file(db_session, user, lesson, "models/big.sql", BIG)

    first = runs.run_dbt(db_session, user, lesson, "run")  # the run that crosses the limit finishes
    assert first.status == "success", result_text(first)[:2000]
    assert warehouse_bytes(ws.warehouse) > 1_000_000
    assert any("over the limit of 1 MB" in e.message for e in first.errors), first.errors

    refused = runs.run_dbt(db_session, user, lesson, "run", select="ok")
    assert refused.status == "rejected"
    message = refused.errors[0].message
    assert message.startswith("Your warehouse is ") and ", the limit is 1 MB:" in message, message
    assert "dbt build --full-refresh" in message and "saved files are kept" in message
    for command in ("seed", "build", "test", "snapshot"):
        assert runs.run_dbt(db_session, user, lesson, command).status == "rejected", command

    # Reading still works, and what was saved is all there.
    assert runs.run_dbt(db_session, user, lesson, "compile").ok
    assert runs.run_dbt(db_session, user, lesson, "show", select="big").ok
    saved = {e.path for e in db_session.exec(select(ModelEdit).where(ModelEdit.user_id == user.id)).all()}
    assert saved == {"models/big.sql"}
    assert read_file(user, lesson, "models/big.sql") == BIG

    # The way out: smaller models, then a build from an empty warehouse.
    save_file(db_session, user, lesson, "models/big.sql", SMALL)
    rebuilt = runs.run_dbt(db_session, user, lesson, "build", args=["--full-refresh"])
    assert rebuilt.ok and not rebuilt.errors, result_text(rebuilt)[:2000]
    assert warehouse_bytes(ws.warehouse) < 1_000_000
    assert runs.run_dbt(db_session, user, lesson, "run").ok
