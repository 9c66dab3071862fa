"""Workspace export: the zip holds the learner's project and runs with the real, plain dbt CLI."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb

from decode_data.services.engine.project_files import JobLimits, write_project_files
from decode_data.services.export import export_workspace
from decode_data.services.workspace import ensure_workspace, save_file

DBT = Path(sys.executable).with_name("dbt")
EDITED_MODEL = "-- exported edit\nselect * from {{ ref('raw_customers') }}\n"
FAKE_TOKEN = "md_fake_token_that_must_never_be_exported"


def _plant_server_files(paths) -> None:
    """What a workspace holds after jobs ran: server files, build output, junk and a symlink."""
    write_project_files(
        root=paths.root, project=paths.project, warehouse=paths.warehouse, limits=JobLimits(memory_mb=512, timeout_s=30)
    )
    for rel in (
        "target/manifest.json",
        "logs/dbt.log",
        "dbt_packages/pkg/x.sql",
        ".secret",
        "models/.hidden.sql",
        "warehouse.duckdb",
        "models/python_model.py",
    ):
        (paths.project / rel).parent.mkdir(parents=True, exist_ok=True)
        (paths.project / rel).write_text("junk\n")
    (paths.project / "models" / "leak.sql").symlink_to("/etc/passwd")


def _unzip(data: bytes, into: Path) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        archive.extractall(into)
    return names


def test_export_runs_with_plain_dbt(db_session, learner, hello_lesson, tmp_path, monkeypatch):
    monkeypatch.setenv("MOTHERDUCK_TOKEN", FAKE_TOKEN)
    save_file(db_session, learner, hello_lesson, "models/stg_customers.sql", EDITED_MODEL)
    _plant_server_files(ensure_workspace(db_session, learner, hello_lesson))

    filename, data = export_workspace(db_session, learner, hello_lesson)

    assert filename == "hello_dbt-ada.zip"
    assert FAKE_TOKEN.encode() not in data
    names = _unzip(data, tmp_path / "out")
    assert all(name.startswith("hello_dbt/") for name in names)
    files = {name.removeprefix("hello_dbt/") for name in names}
    assert {
        "dbt_project.yml",
        "profiles.yml",
        "README.md",
        "models/schema.yml",
        "models/stg_customers.sql",
        "seeds/raw_customers.csv",
        "seeds/raw_orders.csv",
    } <= files
    assert not [
        f
        for f in files
        if f.split("/")[0] in ("target", "logs", "dbt_packages")
        or "/." in f
        or f.startswith(".")
        or f.endswith((".duckdb", ".py"))
        or f == "models/leak.sql"
    ]

    project = tmp_path / "out" / "hello_dbt"
    assert (project / "models" / "stg_customers.sql").read_text() == EDITED_MODEL
    for server_file in ("dbt_project.yml", "profiles.yml"):
        text = (project / server_file).read_text()
        assert "lockdown" not in text and "plugins" not in text and str(tmp_path) not in text
    assert "path: warehouse.duckdb" in (project / "profiles.yml").read_text()
    assert "dbt build --profiles-dir ." in (project / "README.md").read_text()

    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    build = subprocess.run(
        [str(DBT), "build", "--profiles-dir", ".", "--project-dir", "."],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]

    with duckdb.connect(str(project / "warehouse.duckdb"), read_only=True) as con:
        customers = con.execute("select count(*) from main.stg_customers").fetchone()[0]
        seeded = con.execute("select count(*) from main.raw_customers").fetchone()[0]
    assert customers == seeded == 20


def test_export_keeps_macros_and_unsaved_starter_files(db_session, learner, lesson, tmp_path):
    filename, data = export_workspace(db_session, learner, lesson)

    assert filename == "demo_lesson-ada.zip"
    files = set(_unzip(data, tmp_path / "out"))
    assert {
        "demo_lesson/macros/cents.sql",
        "demo_lesson/models/staging/stg_orders.sql",
        "demo_lesson/models/marts/orders_by_customer.sql",
        "demo_lesson/seeds/raw_orders.csv",
    } <= files
