"""MotherDuck: the generated profile, the token's isolation, and a clear error when unreachable.

MotherDuck cannot be reached from CI, so the profile is unit-tested and a real job shows the
message a learner gets when the service (or its extension) is not available.
"""

from __future__ import annotations

import yaml

from decode_data.services import runs
from decode_data.services.engine.project_files import JobLimits, motherduck_database, profile, write_project_files

TOKEN = "md-token-sentinel-0123456789"


def test_profile_points_at_a_per_learner_database_without_the_token(tmp_path):
    db = motherduck_database("u_0123abcd", "hello_dbt")
    assert db == "dd_u_0123abcd_hello_dbt"
    out = profile(
        root=tmp_path,
        project=tmp_path / "project",
        warehouse=tmp_path / "w.duckdb",
        limits=JobLimits(memory_mb=512, timeout_s=30),
        motherduck_db=db,
    )
    target = out["lesson"]["outputs"]["dev"]
    assert target["path"] == "md:dd_u_0123abcd_hello_dbt"
    assert target["plugins"][0]["module"] == "decode_data.services.engine.lockdown_plugin"
    assert TOKEN not in yaml.safe_dump(out)


def test_local_profile_uses_the_learners_duckdb_file(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "packages.yml").write_text("packages: [{git: 'https://example.invalid/x'}]\n")
    write_project_files(
        root=tmp_path,
        project=project,
        warehouse=tmp_path / "warehouse.duckdb",
        limits=JobLimits(memory_mb=512, timeout_s=30),
    )
    written = yaml.safe_load((project / "profiles.yml").read_text())
    assert written["lesson"]["outputs"]["dev"]["path"] == str(tmp_path / "warehouse.duckdb")
    assert not (project / "packages.yml").exists()
    config = written["lesson"]["outputs"]["dev"]["plugins"][0]["config"]
    assert config["readable_dirs"] == [str(project / "seeds")]


def test_unreachable_motherduck_gives_a_clear_error(engine, db_session, learner, lesson, monkeypatch):
    from decode_data import settings as settings_module

    monkeypatch.setenv("MOTHERDUCK_TOKEN", TOKEN)
    settings_module.reset_settings()
    result = runs.run_dbt(db_session, learner, lesson, "run")
    assert result.status == "error"
    message = result.errors[0].message
    assert message.startswith("MotherDuck is configured")
    assert "could not be reached" in message
    assert TOKEN not in message and all(TOKEN not in line for line in result.logs)


def test_a_learners_own_error_that_names_motherduck_is_kept():
    from decode_data.services.engine import JobResult, LearnerError

    own = LearnerError(
        message="Catalog Error: Scalar Function with name getenv does not exist! ... 'MOTHERDUCK_TOKEN'",
        path="models/x.sql",
        line=1,
        node="model.lesson.x",
    )
    result = runs.explain_motherduck(JobResult(status="failed", command="run", errors=[own]))
    assert result.errors == [own] and result.status == "failed"
    down = LearnerError(message="IO Error: Failed to connect to md: (MotherDuck) timed out")
    result = runs.explain_motherduck(JobResult(status="failed", command="run", errors=[down]))
    assert result.errors[0].message.startswith("MotherDuck is configured") and result.status == "error"
