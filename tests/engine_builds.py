"""Lesson projects built for real by the session's warm engine (tests/conftest.py `engine`).

A build is a lesson's folders laid into a project folder the way a learner's workspace holds
them; every dbt command is one engine job, exactly as a learner's Run: the engine writes the
server-owned dbt_project.yml and profiles.yml, forks a warm worker (no cold dbt start-up),
confines the job and runs real dbt on a real DuckDB file. The commands of one build run one
after another (one learner key per build, with partial parsing in between); different builds
run side by side on the engine's workers. Tests read the results (node statuses, failures,
the project's graph) and query the warehouse file itself.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from decode_data.services.engine import Engine, Job, JobResult

JOB_TIMEOUT_S = 300  # generous: a busy CI machine must not turn a slow build into a failure


@dataclass
class Build:
    engine: Engine
    root: Path
    results: dict[str, JobResult] = field(default_factory=dict)  # label -> the command's result
    extra: dict = field(default_factory=dict)

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def key(self) -> str:
        """The learner key: this build's jobs queue behind each other, other builds' do not."""
        return "build_" + re.sub(r"[^A-Za-z0-9_]", "_", self.root.name)

    def dbt(self, command: str, label: str | None = None, select: str | None = None) -> JobResult:
        """Run one dbt command as an engine job; keep its result under `label` (or the command)."""
        job = Job(self.key, "lesson_test", command, select=select)
        paths = {"root": self.root, "project": self.project, "warehouse": self.warehouse}
        result = self.engine.submit(job, paths, timeout_s=JOB_TIMEOUT_S)
        self.results[label or command] = result
        return result

    def run(self, *commands: str) -> None:
        """Run the commands in order; each must succeed."""
        for command in commands:
            self.dbt(command)
            assert self.ok(command), self.describe(command)

    def ok(self, label: str) -> bool:
        return self.results[label].status == "success"

    def describe(self, label: str) -> str:
        """What went wrong in a command, for an assertion message."""
        result = self.results[label]
        errors = "\n".join(e.message for e in result.errors)
        return f"dbt {label} in {self.root.name}: {result.status}\n{errors}\n" + "\n".join(result.logs[-60:])

    def statuses(self, label: str) -> dict[str, str]:
        """unique_id -> status of every node the command ran."""
        return {n.unique_id: n.status for n in self.results[label].nodes}

    def failures(self, label: str) -> dict[str, int | None]:
        """unique_id -> rows a data test found."""
        return {n.unique_id: n.failures for n in self.results[label].nodes}

    def names(self, label: str) -> dict[str, str]:
        """node name -> status (a test's name, e.g. unique_stg_orders_order_id)."""
        return {n.name: n.status for n in self.results[label].nodes}

    @property
    def graph(self) -> dict:
        """The project's graph as the engine parsed it: unique_id -> node (name, resource_type,
        depends_on, macros, materialized, config, test_name, attached, column, ...)."""
        for result in reversed(list(self.results.values())):
            if result.lineage:
                return result.lineage["nodes"]
        raise AssertionError(f"no command of {self.root.name} parsed the project")

    def query(self, sql: str, params=None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


def new_build(engine: Engine, root: Path, lesson_dir: Path, layers: list[str], seeds: str) -> Build:
    """Lay a lesson's folders (e.g. starter, then solution over it) and one seed set into a
    project folder under `root`; no dbt command has run yet."""
    project = root / "project"
    project.mkdir(parents=True)
    for layer in layers:
        shutil.copytree(lesson_dir / layer, project, dirs_exist_ok=True)
    shutil.copytree(lesson_dir / seeds, project / "seeds")
    return Build(engine, root)
