"""The trust_your_data lesson, proven with the real dbt CLI.

Structure: the lesson loads, follows the authoring rules of dbt_template/README.md, and its seed
generator rewrites seeds/, seeds_variant/ and seeds_bad/ byte for byte.
Behaviour: starter + solution is laid into a project shaped like the server's and built with
`dbt seed`, `snapshot`, `run`, `test` (each a subprocess, as the grader's sequence) on every seed
set. The numbers are asserted against a computation in Python straight from the CSV files; on
seeds_bad exactly the intended tests fail. Every step's checks pass on the solution (on seeds and
seeds_variant) and at least one check of every step fails on the bare starter, with a small
reference evaluator of the README's check kinds (the grader owns the real one).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

import duckdb
import pytest
import yaml

from decode_data.services.engine.project_files import dbt_project
from decode_data.services.lessons import load_lesson
from decode_data.settings import REPO_ROOT

LESSON_ID = "trust_your_data"
LESSON_DIR = REPO_ROOT / "dbt_template" / LESSON_ID
DBT = Path(sys.executable).parent / "dbt"
GRADE_SEQUENCE = ("seed", "snapshot", "run", "test")
SEED_SETS = ("seeds", "seeds_variant", "seeds_bad")
SERVER_OWNED = {"dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml"}
CHECK_KINDS = {"relation", "depends_on", "uses_ref", "materialized", "dbt_tests", "tests_pass",
               "tests_catch", "unit_tests", "documented", "sql"}
FAILED = ("fail", "error", "runtime error")


# ---------------------------------------------------------------- building projects


@dataclass
class Build:
    project: Path
    warehouse: Path
    returncodes: dict
    logs: dict
    manifest: dict
    test_status: dict  # unique_id -> status of `dbt test`

    def query(self, sql: str, params=None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def node(self, name: str) -> dict | None:
        return next((n for n in self.manifest["nodes"].values()
                     if n["name"] == name and n["resource_type"] != "test"), None)

    def tests(self, model: str | None = None) -> dict:
        """unique_id -> test node, optionally only those attached to `model`."""
        return {uid: n for uid, n in self.manifest["nodes"].items() if n["resource_type"] == "test"
                and (model is None or (n.get("attached_node") or "").split(".")[-1] == model)}


def _dbt(project: Path, command: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(DBT), command, "--project-dir", str(project), "--profiles-dir", str(project)],
                          cwd=project, capture_output=True, text=True, timeout=180)


def build(root: Path, layers: list[str], seeds: str, commands=GRADE_SEQUENCE) -> Build:
    """Lay seeds and lesson folders into a server-shaped project and run the grader's sequence."""
    project = root / "project"
    project.mkdir(parents=True)
    (project / "dbt_project.yml").write_text(yaml.safe_dump(dbt_project(), sort_keys=False))
    warehouse = root / "warehouse.duckdb"
    (project / "profiles.yml").write_text(yaml.safe_dump({"lesson": {"target": "dev", "outputs": {"dev": {
        "type": "duckdb", "path": str(warehouse), "schema": "main", "threads": 1}}}}))
    shutil.copytree(LESSON_DIR / seeds, project / "seeds")
    for layer in layers:
        shutil.copytree(LESSON_DIR / layer, project, dirs_exist_ok=True)
    returncodes, logs = {}, {}
    for command in commands:
        done = _dbt(project, command)
        returncodes[command], logs[command] = done.returncode, done.stdout + done.stderr
    target = project / "target"
    results = json.loads((target / "run_results.json").read_text())["results"]
    return Build(project, warehouse, returncodes, logs, json.loads((target / "manifest.json").read_text()),
                 {r["unique_id"]: r["status"] for r in results})


# The lesson has no snapshots: `dbt snapshot` (a no-op) runs where the test asserts the whole
# sequence is green, and is left out of the bad builds to keep this file fast.
WITHOUT_SNAPSHOT = ("seed", "run", "test")
BUILDS = {  # name -> (layers, seed set, commands)
    "solution": (["starter", "solution"], "seeds", GRADE_SEQUENCE),
    "solution_variant": (["starter", "solution"], "seeds_variant", GRADE_SEQUENCE),
    "solution_bad": (["starter", "solution"], "seeds_bad", WITHOUT_SNAPSHOT),
    "starter": (["starter"], "seeds", GRADE_SEQUENCE),
    "starter_bad": (["starter"], "seeds_bad", WITHOUT_SNAPSHOT),
}


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Build]:
    """All five builds, two at a time (each is three or four dbt processes in a row)."""
    def one(name):
        layers, seeds, commands = BUILDS[name]
        return name, build(tmp_path_factory.mktemp(name), layers, seeds, commands)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, BUILDS))


# ---------------------------------------------------------------- the seeds, in Python


def _read(seeds: str, name: str) -> list[dict]:
    with (LESSON_DIR / seeds / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _ts(text: str) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S") if text else None


def newest_tickets(seeds: str) -> dict[int, dict]:
    """The newest copy of each ticket, as staging must keep it."""
    newest: dict[int, dict] = {}
    for row in _read(seeds, "raw_tickets.csv"):
        tid = int(row["ticket_id"])
        if tid not in newest or _ts(row["updated_at"]) > _ts(newest[tid]["updated_at"]):
            newest[tid] = row
    return newest


def expected_scorecard(seeds: str) -> dict[int, tuple]:
    tickets = newest_tickets(seeds).values()
    card = {}
    for agent in _read(seeds, "raw_agents.csv"):
        mine = [t for t in tickets if t["agent_id"] == agent["agent_id"]]
        minutes = [(_ts(t["first_response_at"]) - _ts(t["opened_at"])).total_seconds() / 60
                   for t in mine if t["first_response_at"]]
        scores = [int(t["csat_score"]) for t in mine if t["csat_score"]]
        card[int(agent["agent_id"])] = (
            agent["agent_name"], agent["team"].lower(), len(mine),
            sum(1 for t in mine if t["status"].lower() in ("solved", "closed")),
            sum(minutes) / len(minutes) if minutes else None,
            sum(scores) / len(scores) if scores else None,
        )
    return card


# ---------------------------------------------------------------- structure


@pytest.fixture(scope="module")
def lesson():
    return load_lesson(LESSON_DIR)


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_lesson_loads_and_teaches(lesson):
    assert lesson.id == LESSON_ID and lesson.level == "intermediate" and lesson.summary
    assert 4 <= len(lesson.steps) <= 8
    for step in lesson.steps:
        assert step.instructions.lstrip().startswith("# "), step.id
        assert "**Done when:**" in step.instructions, step.id
        assert len(step.hints) >= 2 and step.explanation.strip(), step.id
        assert step.checks, step.id
        for check in step.checks:
            assert check["kind"] in CHECK_KINDS and check.get("message"), (step.id, check)
            assert "name" not in check, "README check kinds name the model with `model:`"
    raw = yaml.safe_load((LESSON_DIR / "lesson.yml").read_text(encoding="utf-8"))
    assert 3 <= len(raw["quiz"]) <= 5
    for question in raw["quiz"]:
        assert 0 <= question["answer"] < len(question["choices"]) and question["explanation"]
    referenced = {LESSON_DIR / step["instructions"] for step in raw["steps"]}
    assert referenced == set((LESSON_DIR / "steps").glob("*.md"))


def test_files_follow_the_authoring_rules(lesson):
    assert {p.name for p in LESSON_DIR.iterdir()} <= {"lesson.yml", "steps", "starter", "solution",
                                                       "tools", *SEED_SETS}
    starter, solution = _files(lesson.starter_dir), _files(lesson.solution_dir)
    assert set(solution) <= set(starter), "the starter has a placeholder for every solution file"
    for rel in starter + solution:
        assert PurePosixPath(rel).name not in SERVER_OWNED and not rel.endswith(".py"), rel
        assert lesson.is_editable(rel), rel
    for seeds in SEED_SETS:
        for rel in _files(LESSON_DIR / seeds):
            assert not lesson.is_editable(f"seeds/{rel}"), rel
    for rel in ("dbt_project.yml", "profiles.yml", "packages.yml"):
        assert not lesson.is_editable(rel)
    for rel in solution:
        text = (lesson.solution_dir / rel).read_text(encoding="utf-8")
        assert "main." not in text, f"{rel} must not hard-code a schema"
        if rel.startswith("models/") and rel.endswith(".sql") or rel == "tests/assert_solved_after_opened.sql":
            assert "{{ ref(" in text, f"{rel} must read its inputs with ref()"


def test_seed_sets_have_the_same_files_and_columns():
    names = _files(LESSON_DIR / "seeds")
    assert names == ["raw_agents.csv", "raw_tickets.csv"]
    for seeds in SEED_SETS[1:]:
        assert _files(LESSON_DIR / seeds) == names
        for name in names:
            header = (LESSON_DIR / seeds / name).read_text().splitlines()[0]
            assert header == (LESSON_DIR / "seeds" / name).read_text().splitlines()[0]
    assert (LESSON_DIR / "seeds_variant/raw_tickets.csv").read_bytes() != \
        (LESSON_DIR / "seeds/raw_tickets.csv").read_bytes()
    tickets = _read("seeds", "raw_tickets.csv")
    assert len(_read("seeds", "raw_agents.csv")) == 8 and len(tickets) == 70
    assert len({t["ticket_id"] for t in tickets}) == 64, "six tickets are exported twice"


def test_generator_reproduces_every_seed_set(tmp_path):
    spec = importlib.util.spec_from_file_location("tyd_seeds", LESSON_DIR / "tools" / "generate_seeds.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate_all(tmp_path)
    for seeds in SEED_SETS:
        for name in _files(LESSON_DIR / seeds):
            assert (tmp_path / seeds / name).read_bytes() == (LESSON_DIR / seeds / name).read_bytes(), (seeds, name)


# ---------------------------------------------------------------- real dbt builds


@pytest.mark.parametrize("name", ["solution", "solution_variant", "starter"])
def test_builds_green(builds, name):
    b = builds[name]
    assert b.returncodes == dict.fromkeys(GRADE_SEQUENCE, 0), b.logs
    assert all(status == "pass" for status in b.test_status.values()), b.test_status


@pytest.mark.parametrize("name,seeds", [("solution", "seeds"), ("solution_variant", "seeds_variant")])
def test_solution_numbers_match_the_seeds(builds, name, seeds):
    b = builds[name]
    newest = newest_tickets(seeds)
    assert b.query("select count(*), count(distinct ticket_id) from stg_tickets")[0] == (len(newest), len(newest))
    statuses = dict(b.query("select ticket_id, status from stg_tickets"))
    assert statuses == {tid: row["status"].lower() for tid, row in newest.items()}
    rows = b.query("select agent_id, agent_name, team, tickets_assigned, tickets_solved, "
                   "avg_first_response_minutes, avg_csat_score from agent_scorecard order by agent_id")
    expected = expected_scorecard(seeds)
    assert [r[0] for r in rows] == sorted(expected)
    for agent_id, *actual in rows:
        name_, team, assigned, solved, minutes, csat = expected[agent_id]
        assert actual[:4] == [name_, team, assigned, solved], agent_id
        for got, want, places in ((actual[4], minutes, 1), (actual[5], csat, 2)):
            assert (got is None) == (want is None), agent_id
            if want is not None:
                assert abs(got - want) <= 0.5 * 10 ** -places + 1e-9, (agent_id, got, want)
    assert expected[8][2] == 0, "the newest agent has no tickets"


def test_solution_tests_catch_each_bad_row(builds):
    b = builds["solution_bad"]
    assert b.returncodes["run"] == 0 and b.returncodes["test"] != 0
    by_name = {b.manifest["nodes"][uid]["name"]: status for uid, status in b.test_status.items()}
    failed = {name for name, status in by_name.items() if status in FAILED}
    assert failed == {
        "unique_stg_agents_agent_id",
        "unique_agent_scorecard_agent_id",  # the agent imported twice, again, downstream
        "not_null_stg_tickets_ticket_id",
        "accepted_values_stg_tickets_status__open__pending__solved__closed",
        "relationships_stg_tickets_agent_id__agent_id__ref_stg_agents_",
        "not_null_stg_tickets_solved_at",
        "positive_stg_tickets_first_response_minutes",
        "assert_solved_after_opened",
    }
    assert by_name["accepted_values_stg_tickets_channel__email__chat__phone"] == "warn"
    stored = b.query("select ticket_id from main_dbt_test__audit.assert_solved_after_opened")
    assert stored == [(9005,)]


# ---------------------------------------------------------------- checks


def _table(b: Build, model: str, columns: list[str] | None) -> tuple[list[str], Counter] | None:
    try:
        with duckdb.connect(str(b.warehouse), read_only=True) as con:
            cursor = con.execute(f'select * from main."{model}"')
            names = [d[0].lower() for d in cursor.description]
            rows = cursor.fetchall()
    except duckdb.Error:
        return None
    keep = [names.index(c) for c in (columns or sorted(names)) if c in names]
    if columns and len(keep) != len(columns):
        return None

    def norm(v):
        return round(float(v), 6) if isinstance(v, (int, float)) and not isinstance(v, bool) else \
            (v if v is None or isinstance(v, str) else str(v))
    return sorted(names[i] for i in keep), Counter(tuple(norm(r[i]) for i in keep) for r in rows)


def evaluate(check: dict, b: Build, reference: Build, bad: Build) -> bool:
    """The README's check kinds, reduced to pass/fail (the grader adds the feedback)."""
    kind = check["kind"]
    if kind == "relation":
        mine, ref = _table(b, check["model"], check.get("columns")), _table(reference, check["model"], check.get("columns"))
        assert ref is not None, check
        return mine == ref
    if kind == "depends_on":
        node = b.node(check["model"])
        nodes = {**b.manifest["nodes"], **b.manifest["sources"]}
        parents = {nodes[p]["name"] for p in (node or {}).get("depends_on", {}).get("nodes", []) if p in nodes}
        return node is not None and set(check["parents"]) <= parents
    if kind == "materialized":
        node = b.node(check["model"])
        return node is not None and node["config"]["materialized"] == check["materialized"]
    if kind == "documented":
        node = b.node(check["model"])
        return node is not None and bool(node["description"].strip()) and all(
            (node["columns"].get(c) or {}).get("description", "").strip() for c in check.get("columns", []))
    if kind == "dbt_tests":
        found = {n["test_metadata"]["name"]: b.test_status.get(uid) for uid, n in b.tests(check["model"]).items()
                 if n.get("test_metadata") and n.get("column_name") == check.get("column", n.get("column_name"))}
        return all(found.get(name) == "pass" for name in check["tests"])
    if kind == "tests_pass":
        ids = b.tests(check.get("model"))
        return all(b.test_status.get(uid) in ("pass", "warn") for uid in ids)
    if kind == "tests_catch":
        assert check.get("seeds", "seeds_bad") == "seeds_bad"
        return any(bad.test_status.get(uid) in FAILED for uid in bad.tests(check.get("model")))
    if kind == "sql":
        try:
            value = b.query(check["sql"])[0][0]
        except duckdb.Error:
            return False
        return value is not None and value >= check["expect_min"]
    raise AssertionError(f"check kind {kind!r} is not evaluated here")


@pytest.mark.parametrize("name", ["solution", "solution_variant"])
def test_solution_passes_every_check(lesson, builds, name):
    b = builds[name]
    failed = [(step.id, check["message"]) for step in lesson.steps for check in step.checks
              if not evaluate(check, b, b, builds["solution_bad"])]
    assert not failed


def test_bare_starter_fails_every_step(lesson, builds):
    for step in lesson.steps:
        outcomes = [evaluate(check, builds["starter"], builds["solution"], builds["starter_bad"])
                    for check in step.checks]
        assert not all(outcomes), f"the bare starter already passes step {step.id}"
