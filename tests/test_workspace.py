"""Workspaces on real disk with a real SQLite app database: policy, saves, rebuilds, pruning."""

from __future__ import annotations

import os
import re
import shutil
import time

import pytest
from sqlmodel import select

from decode_data.models import ModelEdit
from decode_data.services.save_policy import PathRejected, SaveRejected, check_save, read_nofollow, write_nofollow
from decode_data.services.workspace import (
    MARKER,
    WorkspaceMissing,
    ensure_workspace,
    list_files,
    prune_workspaces,
    read_file,
    rebuild_workspace,
    reset_workspace,
    save_file,
    workspace_paths,
)

STG = "models/staging/stg_orders.sql"
NEW_SQL = "select * from {{ ref('raw_orders') }}\n"


# --- save policy: each rejection, with the words the learner sees ----------------------------


@pytest.mark.parametrize(
    "path,message",
    [
        ("", "Choose a file name"),
        ("   ", "Choose a file name"),
        ("models/staging/", "Choose a file name"),
        ("/etc/passwd", "not one starting with '/'"),
        ("/models/staging/x.sql", "not one starting with '/'"),
        ("models\\staging\\x.sql", "forward slashes"),
        ("C:/models/x.sql", "drive letter"),
        ("c:models/x.sql", "drive letter"),
        ("models/staging/../../../etc/x.sql", "cannot go up a folder"),
        ("..", "cannot go up a folder"),
        ("models/staging/x\x00.sql", "control character"),
        ("models/staging/x\n.sql", "control character"),
        ("models/.hidden/x.sql", "Hidden files"),
        ("models/staging/.x.sql", "Hidden files"),
        (".git/config", "Hidden files"),
        ("dbt_project.yml", "dbt_project.yml is managed by Decode Data"),
        ("profiles.yml", "profiles.yml is managed"),
        ("models/packages.yml", "packages.yml is managed"),
        ("models/staging/dependencies.yml", "dependencies.yml is managed"),
        ("models/DBT_PROJECT.YML", "is managed by Decode Data"),
        ("models/staging/evil.py", "Python files cannot be saved"),
        ("models/staging/evil.PY", "Python files cannot be saved"),
        ("models/staging/x.sh", "Only .sql, .yml, .yaml and .md"),
        ("seeds/raw_orders.csv", "Only .sql, .yml, .yaml and .md"),
        ("models/staging/x", "Only .sql, .yml, .yaml and .md"),
        ("models/marts/orders.SQL", "Only .sql, .yml, .yaml and .md"),
        ("macros/cents.sql", "does not let you change macros/cents.sql"),
        ("analyses/a.sql", "Files you can edit: models/staging/*.sql"),
        ("models/staging/" + "x" * 260 + ".sql", "too long"),
    ],
)
def test_save_policy_rejects_paths(lesson, path, message):
    with pytest.raises(SaveRejected, match=re.escape(message)) as info:
        check_save(lesson, path, "select 1", 1000)
    assert message in info.value.reason


@pytest.mark.parametrize(
    "content,message",
    [
        (b"select 1\x00", "plain text"),
        ("select '\x00'", "plain text"),
        (b"\xff\xfe\x00s\x00", "plain text"),
        (b"select '\xe9'", "plain text"),  # latin-1, not UTF-8
        ("x" * 1001, "too large (1,001 bytes); the limit is 1,000 bytes"),
        ("é" * 501, "too large (1,002 bytes)"),  # the limit counts bytes, not characters
    ],
)
def test_save_policy_rejects_content(lesson, content, message):
    with pytest.raises(SaveRejected, match=re.escape(message)):
        check_save(lesson, STG, content, 1000)


@pytest.mark.parametrize(
    "path,expected",
    [
        (STG, STG),
        ("./models/staging//stg_orders.sql", STG),
        ("models/schema.yml", "models/schema.yml"),
        ("models/marts/orders_by_customer.sql", "models/marts/orders_by_customer.sql"),  # a step's glob
    ],
)
def test_save_policy_accepts_and_normalizes(lesson, path, expected):
    assert check_save(lesson, path, "select 'café'\n".encode(), 1000) == expected
    assert check_save(lesson, path, "x" * 1000, 1000) == expected


# --- layout ---------------------------------------------------------------------------------


def test_workspace_paths_layout(settings_env):
    paths = workspace_paths("u_0123456789abcdef", "demo_lesson")
    assert paths.root == settings_env.workspaces_dir / "u_0123456789abcdef" / "demo_lesson"
    assert paths.project == paths.root / "project"
    assert paths.warehouse == paths.root / "warehouse.duckdb"


@pytest.mark.parametrize(
    "key,lesson_id",
    [
        ("../u_1", "demo"),
        ("U_ABC", "demo"),
        ("u_1/x", "demo"),
        ("", "demo"),
        ("u_1;drop", "demo"),
        ("u_0123", ".."),
        ("u_0123", "a/b"),
        ("u_0123", ""),
        ("u_0123", ".hidden"),
        ("u_0123", "x" * 65),
    ],
)
def test_workspace_paths_refuse_unsafe_ids(settings_env, key, lesson_id):
    with pytest.raises(ValueError):
        workspace_paths(key, lesson_id)


# --- creating, saving, reading --------------------------------------------------------------


def test_ensure_copies_starter_and_seeds_and_is_idempotent(db_session, learner, lesson):
    paths = ensure_workspace(db_session, learner, lesson)
    assert (paths.project / STG).read_text() == "select 1 as placeholder\n"
    assert (paths.project / "macros/cents.sql").is_file()
    assert (paths.project / "seeds/raw_orders.csv").read_text().startswith("id,customer_id")
    assert not (paths.project / "solution").exists() and not (paths.project / "lesson.yml").exists()
    assert not paths.warehouse.exists()  # dbt makes it on first run
    assert (paths.root / MARKER).is_file()
    assert [p.name for p in paths.root.iterdir() if p.name.startswith(".project.tmp")] == []

    (paths.project / "target").mkdir()
    (paths.project / "target/partial_parse.msgpack").write_bytes(b"keep me")
    os.utime(paths.root / MARKER, (1, 1))
    assert ensure_workspace(db_session, learner, lesson) == paths
    assert (paths.project / "target/partial_parse.msgpack").read_bytes() == b"keep me"
    assert (paths.root / MARKER).stat().st_mtime > 1


def test_save_writes_file_and_persists_edit(db_session, learner, lesson):
    assert save_file(db_session, learner, lesson, "./" + STG, NEW_SQL) == STG
    paths = workspace_paths(learner.warehouse_key, lesson.id)
    assert (paths.project / STG).read_text() == NEW_SQL
    edit = db_session.exec(select(ModelEdit)).one()
    assert (edit.user_id, edit.lesson_id, edit.path, edit.content) == (learner.id, lesson.id, STG, NEW_SQL)

    save_file(db_session, learner, lesson, STG, b"select 2\n")
    db_session.expire_all()
    edit = db_session.exec(select(ModelEdit)).one()  # updated in place, not duplicated
    assert edit.content == "select 2\n" and edit.updated_at.tzinfo is not None
    assert read_file(learner, lesson, STG) == "select 2\n"


def test_save_can_create_a_new_file_in_a_new_folder(db_session, learner, lesson):
    save_file(db_session, learner, lesson, "models/staging/stg_new.sql", "select 3\n")
    assert read_file(learner, lesson, "models/staging/stg_new.sql") == "select 3\n"


def test_rejected_save_changes_nothing(db_session, learner, lesson):
    ensure_workspace(db_session, learner, lesson)
    with pytest.raises(SaveRejected, match="Python"):
        save_file(db_session, learner, lesson, "models/staging/evil.py", "import os")
    with pytest.raises(SaveRejected, match="managed by Decode Data"):
        save_file(db_session, learner, lesson, "dbt_project.yml", "name: x")
    assert db_session.exec(select(ModelEdit)).all() == []
    assert not (workspace_paths(learner.warehouse_key, lesson.id).project / "models/staging/evil.py").exists()


def test_workspace_quotas_refuse_with_the_reason_and_keep_what_is_saved(db_session, learner, lesson, monkeypatch):
    from decode_data import settings as settings_module

    monkeypatch.setenv("DECODE_DATA_MAX_WORKSPACE_FILES", "3")
    monkeypatch.setenv("DECODE_DATA_MAX_WORKSPACE_BYTES", "1000")
    settings_module.reset_settings()
    for i in range(3):
        save_file(db_session, learner, lesson, f"models/staging/m{i}.sql", f"select {i} as é\n")  # é: 2 bytes in UTF-8
    with pytest.raises(SaveRejected, match="already has 3 saved files"):
        save_file(db_session, learner, lesson, "models/staging/one_too_many.sql", "select 4\n")
    save_file(db_session, learner, lesson, "models/staging/m0.sql", "select 'changed' as x\n")  # an existing file: fine
    with pytest.raises(SaveRejected, match="past 1,000 bytes"):
        save_file(db_session, learner, lesson, "models/staging/m1.sql", "-- é\n" * 200)  # 1,200 bytes, 800 characters
    saved = {e.path: e.content for e in db_session.exec(select(ModelEdit)).all()}
    assert saved == {
        "models/staging/m0.sql": "select 'changed' as x\n",
        "models/staging/m1.sql": "select 1 as é\n",  # the refused save lost nothing
        "models/staging/m2.sql": "select 2 as é\n",
    }
    assert read_file(learner, lesson, "models/staging/m1.sql") == "select 1 as é\n"
    assert not (workspace_paths(learner.warehouse_key, lesson.id).project / "models/staging/one_too_many.sql").exists()


def test_deleted_workspace_is_rebuilt_with_saved_edits(db_session, learner, lesson):
    save_file(db_session, learner, lesson, STG, NEW_SQL)
    save_file(db_session, learner, lesson, "models/staging/stg_extra.sql", "select 4\n")
    paths = workspace_paths(learner.warehouse_key, lesson.id)
    shutil.rmtree(paths.root)
    ensure_workspace(db_session, learner, lesson)
    assert (paths.project / STG).read_text() == NEW_SQL
    assert (paths.project / "models/staging/stg_extra.sql").read_text() == "select 4\n"
    assert (paths.project / "models/marts/orders_by_customer.sql").is_file()  # starter too


def test_rebuild_keeps_edits_and_drops_the_rest(db_session, learner, lesson):
    paths = ensure_workspace(db_session, learner, lesson)
    save_file(db_session, learner, lesson, STG, NEW_SQL)
    paths.warehouse.write_bytes(b"old warehouse")
    (paths.project / "models/staging/unsaved.sql").write_text("select 9")
    rebuild_workspace(db_session, learner, lesson)
    assert (paths.project / STG).read_text() == NEW_SQL
    assert not paths.warehouse.exists()
    assert not (paths.project / "models/staging/unsaved.sql").exists()
    assert len(db_session.exec(select(ModelEdit)).all()) == 1


def test_reset_restores_starter_and_removes_edits(db_session, learner, lesson):
    from decode_data.services.learners import get_or_create_learner

    other = get_or_create_learner(db_session, "grace")
    save_file(db_session, learner, lesson, STG, NEW_SQL)
    save_file(db_session, other, lesson, STG, "select 'grace'\n")
    paths = workspace_paths(learner.warehouse_key, lesson.id)
    paths.warehouse.write_bytes(b"warehouse")
    reset_workspace(db_session, learner, lesson)
    assert (paths.project / STG).read_text() == "select 1 as placeholder\n"
    assert not paths.warehouse.exists()
    edits = db_session.exec(select(ModelEdit)).all()
    assert [(e.user_id, e.content) for e in edits] == [(other.id, "select 'grace'\n")]
    assert read_file(other, lesson, STG) == "select 'grace'\n"


def test_edits_the_lesson_no_longer_allows_are_kept_but_not_replayed(db_session, learner, lesson):
    db_session.add(
        ModelEdit(
            user_id=learner.id,
            lesson_id=lesson.id,
            path="macros/cents.sql",
            content="{% macro cents(x) %}evil{% endmacro %}",
        )
    )
    db_session.commit()
    paths = ensure_workspace(db_session, learner, lesson)
    assert "evil" not in (paths.project / "macros/cents.sql").read_text()
    assert len(db_session.exec(select(ModelEdit)).all()) == 1


def test_list_files_shows_what_a_learner_may_see(db_session, learner, lesson):
    paths = ensure_workspace(db_session, learner, lesson)
    for name in (
        "dbt_project.yml",
        "profiles.yml",
        ".user.yml",
        "target/run.sql",
        "logs/dbt.log",
        "dbt_packages/p/x.sql",
        "models/.secret.sql",
    ):
        (paths.project / name).parent.mkdir(parents=True, exist_ok=True)
        (paths.project / name).write_text("x")
    (paths.project / "models/staging/link.sql").symlink_to(paths.project / STG)
    assert list_files(learner, lesson) == [
        {"path": "macros/cents.sql", "editable": False},
        {"path": "models/marts/orders_by_customer.sql", "editable": True},
        {"path": "models/schema.yml", "editable": True},
        {"path": STG, "editable": True},
        {"path": "seeds/raw_orders.csv", "editable": False},
    ]


def test_read_file_refuses_what_list_files_hides(db_session, learner, lesson):
    paths = ensure_workspace(db_session, learner, lesson)
    (paths.project / "profiles.yml").write_text("token: secret")
    (paths.project / "target").mkdir()
    (paths.project / "target/compiled.sql").write_text("x")
    assert read_file(learner, lesson, "seeds/raw_orders.csv").startswith("id,")
    for path in ("profiles.yml", "target/compiled.sql", "../../../app.db", "/etc/passwd"):
        with pytest.raises(PathRejected):
            read_file(learner, lesson, path)
    with pytest.raises(FileNotFoundError):
        read_file(learner, lesson, "models/missing.sql")


def test_read_and_list_need_an_existing_workspace(db_session, learner, lesson):
    with pytest.raises(WorkspaceMissing):
        read_file(learner, lesson, STG)
    with pytest.raises(WorkspaceMissing):
        list_files(learner, lesson)


def test_losing_a_creation_race_keeps_the_winner(db_session, learner, lesson, monkeypatch):
    """Two requests may build the same workspace at once: the first rename wins, no error."""
    from decode_data.services import workspace

    paths = workspace_paths(learner.warehouse_key, lesson.id)
    real_replay = workspace._replay_edits

    def replay_then_lose(session, user, lesson_, project):
        real_replay(session, user, lesson_, project)
        (paths.project / "models").mkdir(parents=True)
        (paths.project / "models/winner.sql").write_text("select 'first'")

    monkeypatch.setattr(workspace, "_replay_edits", replay_then_lose)
    assert ensure_workspace(db_session, learner, lesson) == paths
    assert (paths.project / "models/winner.sql").is_file()
    assert sorted(p.name for p in paths.root.iterdir()) == sorted([MARKER, "project"])


# --- symlinks planted inside a workspace are never followed ---------------------------------


def test_symlinked_file_is_not_written_through(db_session, learner, lesson, tmp_path):
    paths = ensure_workspace(db_session, learner, lesson)
    outside = tmp_path / "outside.sql"
    outside.write_text("precious")
    (paths.project / STG).unlink()
    (paths.project / STG).symlink_to(outside)
    with pytest.raises(SaveRejected, match="Your change is saved"):
        save_file(db_session, learner, lesson, STG, NEW_SQL)
    assert outside.read_text() == "precious"
    # The edit is safe in the database: a rebuild brings it back without the link.
    rebuild_workspace(db_session, learner, lesson)
    assert not (paths.project / STG).is_symlink()
    assert (paths.project / STG).read_text() == NEW_SQL


def test_symlinked_folder_is_not_written_through(db_session, learner, lesson, tmp_path):
    paths = ensure_workspace(db_session, learner, lesson)
    outside = tmp_path / "outside_dir"
    outside.mkdir()
    shutil.rmtree(paths.project / "models/staging")
    (paths.project / "models/staging").symlink_to(outside)
    with pytest.raises(SaveRejected):
        save_file(db_session, learner, lesson, STG, NEW_SQL)
    assert list(outside.iterdir()) == []


def test_symlink_inside_the_project_is_refused_too(tmp_path):
    """Even a link that stays inside the project is refused: only real folders are walked."""
    project = tmp_path / "project"
    (project / "models/real").mkdir(parents=True)
    (project / "models/alias").symlink_to(project / "models/real")
    with pytest.raises(PathRejected, match="not a real folder"):
        write_nofollow(project, "models/alias/x.sql", b"select 1")
    write_nofollow(project, "models/real/x.sql", b"select 1")
    assert read_nofollow(project, "models/real/x.sql", 100) == b"select 1"
    (project / "models/real/link.sql").symlink_to(project / "models/real/x.sql")
    with pytest.raises(PathRejected, match="not a regular file"):
        write_nofollow(project, "models/real/link.sql", b"select 2")
    assert (project / "models/real/x.sql").read_bytes() == b"select 1"
    with pytest.raises(PathRejected):
        read_nofollow(project, "models/alias/x.sql", 100)


def test_symlinked_read_is_refused(db_session, learner, lesson, tmp_path):
    paths = ensure_workspace(db_session, learner, lesson)
    secret = tmp_path / "secret.txt"
    secret.write_text("server secret")
    (paths.project / "models/staging/peek.sql").symlink_to(secret)
    with pytest.raises(PathRejected):
        read_file(learner, lesson, "models/staging/peek.sql")


def test_fifo_is_not_read(db_session, learner, lesson):
    paths = ensure_workspace(db_session, learner, lesson)
    os.mkfifo(paths.project / "models/staging/pipe.sql")
    with pytest.raises(PathRejected, match="not a regular file"):
        read_file(learner, lesson, "models/staging/pipe.sql")


def test_symlinked_marker_is_replaced_not_followed(db_session, learner, lesson, tmp_path):
    paths = ensure_workspace(db_session, learner, lesson)
    target = tmp_path / "created_by_touch"
    (paths.root / MARKER).unlink()
    (paths.root / MARKER).symlink_to(target)
    ensure_workspace(db_session, learner, lesson)
    assert not target.exists() and not (paths.root / MARKER).is_symlink()


# --- pruning --------------------------------------------------------------------------------


def _age(paths, days: float) -> None:
    old = time.time() - days * 86400
    os.utime(paths.root / MARKER, (old, old))
    os.utime(paths.root, (old, old))


def test_prune_removes_only_idle_workspaces(db_session, learner, lesson, settings_env):
    from decode_data.services.learners import get_or_create_learner

    other = get_or_create_learner(db_session, "grace")
    save_file(db_session, learner, lesson, STG, NEW_SQL)
    idle = workspace_paths(learner.warehouse_key, lesson.id)
    busy = ensure_workspace(db_session, other, lesson)
    _age(idle, 10)
    _age(busy, 2)
    assert prune_workspaces(idle_days=7) == [idle.root]
    assert not idle.root.exists() and busy.project.is_dir()
    assert not list((settings_env.workspaces_dir / ".trash").iterdir())
    # The pruned learner's work comes back on next use.
    assert len(db_session.exec(select(ModelEdit)).all()) == 1
    ensure_workspace(db_session, learner, lesson)
    assert (idle.project / STG).read_text() == NEW_SQL
    assert prune_workspaces(idle_days=7) == []


def test_prune_on_an_empty_data_dir(settings_env):
    assert prune_workspaces(idle_days=1) == []
    with pytest.raises(ValueError):
        prune_workspaces(idle_days=-1)
