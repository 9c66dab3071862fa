"""The server-owned project files, rewritten before every job.

A learner must never control dbt_project.yml (hooks, flags, Python), profiles.yml (the
warehouse path, plugins) or packages.yml (code downloads), so the server writes the first two
from these templates and deletes the others before each job.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

PROFILE_NAME = "lesson"
SERVER_OWNED = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")
MOTHERDUCK_DB_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class JobLimits:
    memory_mb: int
    timeout_s: float
    max_temp_mb: int = 256


def dbt_project() -> dict:
    return {
        "name": PROFILE_NAME,
        "version": "1.0",
        "config-version": 2,
        "profile": PROFILE_NAME,
        "model-paths": ["models"],
        "seed-paths": ["seeds"],
        "test-paths": ["tests"],
        "macro-paths": ["macros"],
        "snapshot-paths": ["snapshots"],
        "analysis-paths": ["analyses"],
        "target-path": "target",
        "clean-targets": ["target"],
        "flags": {"send_anonymous_usage_stats": False, "use_colors": False, "partial_parse": True},
        # No comment before each statement: nothing reads it in a learner's warehouse, and dbt
        # would compile its Jinja context in every invocation (~8 % of a grade build).
        "query-comment": None,
        "models": {PROFILE_NAME: {"+materialized": "view"}},
    }


def motherduck_database(learner_key: str, lesson_id: str) -> str:
    """One MotherDuck database per learner per lesson, named safely."""
    name = f"dd_{learner_key}_{lesson_id}".lower().replace("-", "_")
    if not MOTHERDUCK_DB_RE.match(name):
        raise ValueError(f"cannot derive a MotherDuck database name from {learner_key!r}/{lesson_id!r}")
    return name


def lockdown_config(root: Path, project: Path, limits: JobLimits) -> dict:
    """DuckDB limits for a job: only its seeds are readable; DuckDB gets 60% of the job's memory."""
    return {
        "readable_dirs": [str(project / "seeds")],
        "temp_dir": str(root / "tmp"),
        "memory_mb": max(128, int(limits.memory_mb * 0.6)),
        "max_temp_mb": limits.max_temp_mb,
        "max_execution_ms": int(limits.timeout_s * 1000),
    }


def profile(*, root: Path, project: Path, warehouse: Path, limits: JobLimits, motherduck_db: str | None = None) -> dict:
    """profiles.yml for one job. The MotherDuck token is never written here (see lockdown)."""
    lockdown = lockdown_config(root, project, limits)
    output = {
        "type": "duckdb",
        "path": f"md:{motherduck_db}" if motherduck_db else str(warehouse),
        "schema": "main",
        "threads": 1,
        "plugins": [{"module": "decode_data.services.engine.lockdown_plugin", "config": lockdown}],
    }
    return {PROFILE_NAME: {"target": "dev", "outputs": {"dev": output}}}


def write_project_files(
    *,
    root: Path,
    project: Path,
    warehouse: Path,
    limits: JobLimits,
    motherduck_db: str | None = None,
    seen_at: Path | None = None,
) -> None:
    """Write the server-owned files into `project`. `seen_at` is where the job will see `root`
    (sandbox.JOB_ROOT, in its own mount namespace): the paths written into profiles.yml are
    those, so no server path reaches the job's dbt or DuckDB."""
    (root / "tmp").mkdir(exist_ok=True)
    for name in SERVER_OWNED[2:]:
        (project / name).unlink(missing_ok=True)
    # Installed packages run their own hooks and macros: a learner cannot install any.
    if (project / "dbt_packages").is_symlink():
        (project / "dbt_packages").unlink()
    shutil.rmtree(project / "dbt_packages", ignore_errors=True)
    _write_if_changed(project / "dbt_project.yml", yaml.safe_dump(dbt_project(), sort_keys=False))
    shown = root if seen_at is None else seen_at
    text = yaml.safe_dump(
        profile(
            root=shown,
            project=shown / project.relative_to(root),
            warehouse=shown / warehouse.relative_to(root),
            limits=limits,
            motherduck_db=motherduck_db,
        ),
        sort_keys=False,
    )
    _write_if_changed(project / "profiles.yml", text)


def _write_if_changed(path: Path, text: str) -> None:
    # Unchanged bytes keep dbt's partial parse valid; a learner-planted symlink is replaced.
    if path.is_symlink() or not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.unlink(missing_ok=True)
        path.write_text(text, encoding="utf-8")
