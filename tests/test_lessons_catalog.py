"""The lesson catalog, and the first lesson proven with real dbt runs.

Structure: every lesson loads and follows the authoring rules of dbt_template/README.md (its own
test file adds what is particular to it).
Behaviour: the reference solution is laid over the starter in a project shaped like the server's,
then `dbt seed`, `dbt run` and `dbt test` run for real (dbtRunner, in process) against a DuckDB
file. The solution must pass every step's checks, on the shipped seeds and on a variant of them;
the bare starter must build.

The checks themselves are the grader's business: `lessons check` proves them (tests/test_lessons_check.py).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path, PurePosixPath

import duckdb
import pytest
import yaml

from decode_data.services.grader.checks import CHECKS
from decode_data.services.lessons import (
    LessonFormatError,
    LessonNotFound,
    get_lesson,
    list_lessons,
    load_lesson,
)
from decode_data.settings import REPO_ROOT

TEMPLATE_DIR = REPO_ROOT / "dbt_template"
LESSON_ID = "hello_dbt"
SERVER_OWNED = {"dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml"}
LESSON_ENTRIES = {"lesson.yml", "seeds", "starter", "solution", "steps", "tools", "wrong_answers", ".sqlfluff"}
# .sqlfluff: where sqlfluff finds a lesson's own macros when it lints solution/
CHECK_KINDS = set(CHECKS)
ALL_LESSONS = sorted(p.parent.name for p in TEMPLATE_DIR.glob("*/lesson.yml"))
SOLUTION_MODELS = {"stg_customers", "stg_orders", "customer_orders", "customers", "revenue_by_country"}

# What the server writes before every job (server-owned; lessons never ship these files).
DBT_PROJECT_YML = """\
name: lesson
version: "1.0.0"
profile: lesson
model-paths: [models]
seed-paths: [seeds]
test-paths: [tests]
macro-paths: [macros]
snapshot-paths: [snapshots]
models:
  lesson:
    +materialized: view
"""


# ---------------------------------------------------------------- catalog and structure


@pytest.fixture(scope="module")
def lesson():
    return get_lesson(LESSON_ID, TEMPLATE_DIR)


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_catalog_lists_every_lesson_folder():
    ids = [lesson.id for lesson in list_lessons(TEMPLATE_DIR)]
    folders = sorted(p.parent.name for p in TEMPLATE_DIR.glob("*/lesson.yml"))
    assert LESSON_ID in ids
    assert sorted(ids) == folders


def test_unknown_lesson_is_not_found():
    with pytest.raises(LessonNotFound):
        get_lesson("no_such_lesson", TEMPLATE_DIR)


@pytest.fixture(params=ALL_LESSONS)
def each_lesson(request):
    return get_lesson(request.param, TEMPLATE_DIR)


def test_lesson_metadata(each_lesson):
    assert each_lesson.title and each_lesson.summary
    assert each_lesson.level in ("beginner", "intermediate", "advanced")
    assert 5 <= each_lesson.minutes <= 120
    assert each_lesson.dir == TEMPLATE_DIR / each_lesson.id


def test_steps_teach(each_lesson):
    assert len(each_lesson.steps) >= 4
    assert len({step.id for step in each_lesson.steps}) == len(each_lesson.steps), "step ids must be unique"
    for step in each_lesson.steps:
        # The loader replaced the path with the Markdown text itself.
        assert step.instructions.lstrip().startswith("# "), step.id
        assert "**Done when:**" in step.instructions, step.id
        assert len(step.instructions) > 300, step.id
        assert len(step.hints) >= 2 and all(isinstance(h, str) and h.strip() for h in step.hints), step.id
        assert step.explanation.strip(), step.id
        assert step.checks, step.id
        for check in step.checks:
            assert check.get("kind") in CHECK_KINDS, (step.id, check)
            if check["kind"] == "sql":
                assert isinstance(check["sql"], str) and isinstance(check["expect_min"], int)


def test_quiz_is_well_formed(each_lesson):
    if not each_lesson.quiz:
        return  # the quiz is optional
    assert 3 <= len(each_lesson.quiz) <= 5
    for question in each_lesson.quiz:
        assert question.question.strip() and question.explanation.strip()
        assert len(question.choices) >= 2 and all(c.strip() for c in question.choices)
        assert 0 <= question.answer < len(question.choices)


def test_lesson_folder_holds_only_known_entries(each_lesson):
    entries = {p.name for p in each_lesson.dir.iterdir()}
    assert {e for e in entries if not e.startswith("seeds_")} <= LESSON_ENTRIES  # seeds_* : more seed sets
    referenced = {(each_lesson.dir / "steps" / Path(p).name) for p in _step_paths(each_lesson)}
    assert referenced == set((each_lesson.dir / "steps").glob("*.md")), "every steps/*.md is used, and only those"


def _step_paths(lesson) -> list[str]:
    raw = yaml.safe_load((lesson.dir / "lesson.yml").read_text(encoding="utf-8"))
    return [step["instructions"] for step in raw["steps"]]


def _seed_sets(lesson) -> list[str]:
    return sorted(p.name for p in lesson.dir.iterdir() if p.name.startswith("seeds"))


def test_no_server_owned_or_python_files(each_lesson):
    for part in ["starter", "solution", *_seed_sets(each_lesson)]:
        files = _files(each_lesson.dir / part)
        assert files, f"{part}/ is empty"
        for rel in files:
            assert PurePosixPath(rel).name not in SERVER_OWNED, rel
            assert not rel.endswith(".py"), rel
        if part.startswith("seeds"):
            assert all(rel.endswith(".csv") and "/" not in rel for rel in files), files
    python = [p.relative_to(each_lesson.dir).as_posix() for p in each_lesson.dir.rglob("*.py")]
    assert python == ["tools/generate_seeds.py"], "Python lives only in the author's tools/"


def test_editable_globs_cover_learner_files_and_nothing_server_owned(each_lesson):
    for rel in _files(each_lesson.starter_dir) + _files(each_lesson.solution_dir):
        assert each_lesson.is_editable(rel), rel
    for rel in [
        "dbt_project.yml",
        "profiles.yml",
        "packages.yml",
        "dependencies.yml",
        "models/evil.py",
        "macros/evil.py",
        *(f"seeds/{name}" for name in _files(each_lesson.seeds_dir)),
    ]:
        assert not each_lesson.is_editable(rel), rel


@pytest.mark.parametrize("lesson_id", ALL_LESSONS)
def test_generator_reproduces_every_seed_set_byte_for_byte(lesson_id, tmp_path):
    lesson = get_lesson(lesson_id, TEMPLATE_DIR)
    _load_generator(lesson).generate_all(tmp_path)
    for seeds in _seed_sets(lesson):
        assert _files(tmp_path / seeds) == _files(lesson.dir / seeds), seeds
        for name in _files(lesson.dir / seeds):
            assert (tmp_path / seeds / name).read_bytes() == (lesson.dir / seeds / name).read_bytes(), (seeds, name)


def test_solution_has_exactly_five_models_and_starter_the_same_files(lesson):
    models = {PurePosixPath(rel).stem for rel in _files(lesson.solution_dir) if rel.endswith(".sql")}
    assert models == SOLUTION_MODELS
    assert set(_files(lesson.starter_dir)) == set(_files(lesson.solution_dir)), (
        "the starter holds a placeholder for every solution file, so the learner never has to create one"
    )
    for rel in _files(lesson.solution_dir):
        if rel.endswith(".sql"):
            text = (lesson.solution_dir / rel).read_text(encoding="utf-8")
            assert "{{ ref(" in text, f"{rel} must read its inputs with ref()"
            assert "main." not in text, f"{rel} must not hard-code a schema"


def test_seeds_are_small_and_regenerated_byte_for_byte(lesson, tmp_path):
    generator = _load_generator(lesson)
    generator.generate(tmp_path)
    for name in _files(lesson.seeds_dir):
        assert (tmp_path / name).read_bytes() == (lesson.seeds_dir / name).read_bytes(), name
    customers, orders = _read_seeds(lesson.seeds_dir)
    assert len(customers) == 20 and len(orders) == 60


def _edge_cases(seeds_dir: Path) -> dict:
    customers, orders = _read_seeds(seeds_dir)
    statuses = defaultdict(list)
    for order in orders:
        statuses[order["user_id"]].append(order["status"].lower())
    countries = Counter(c["country"] for c in customers)
    never = [c for c in customers if c["id"] not in statuses]
    return {
        "never_ordered": len(never),
        "only_returned": sum(1 for s in statuses.values() if set(s) == {"returned"}),
        "lone_country_without_sale": sum(1 for c in never if countries[c["country"]] == 1),
        "mixed_case_status": len({o["status"] for o in orders if o["status"].lower() == "returned"}) > 1,
        "mixed_case_email": any(c["email"] != c["email"].lower() for c in customers),
    }


@pytest.mark.parametrize("seeds", ["seeds", "seeds_variant"])
def test_both_seed_sets_hold_the_edge_cases_the_wrong_answers_need(lesson, seeds):
    """Inner vs left join and coalesce (customers without orders), the returned filter (a customer
    with only returned orders), a country that shows 0, and case to clean: in both sets."""
    assert _edge_cases(lesson.dir / seeds) == {
        "never_ordered": 3,
        "only_returned": 1,
        "lone_country_without_sale": 1,
        "mixed_case_status": True,
        "mixed_case_email": True,
    }


def test_variant_shares_no_value_a_learner_could_type_in(lesson):
    main, variant = _read_seeds(lesson.seeds_dir), _read_seeds(lesson.dir / "seeds_variant")
    for main_rows, variant_rows in zip(main, variant, strict=False):
        assert len(main_rows) != len(variant_rows)  # a leftover `limit` that fits one set fails the other
        assert list(main_rows[0]) == list(variant_rows[0])  # same columns
    for column in ("id", "first_name", "last_name", "email", "country", "signup_date"):
        assert not {c[column] for c in main[0]} & {c[column] for c in variant[0]}, column
    for column in ("id", "user_id", "order_date"):
        assert not {o[column] for o in main[1]} & {o[column] for o in variant[1]}, column


def test_bad_seed_sets_add_exactly_the_rows_each_test_must_catch(lesson):
    customers, orders = _read_seeds(lesson.seeds_dir)
    dups_customers, dups_orders = _read_seeds(lesson.dir / "seeds_bad_dups")
    nulls_customers, nulls_orders = _read_seeds(lesson.dir / "seeds_bad_nulls")
    assert dups_customers[:-1] == customers and dups_orders[:-1] == orders
    assert dups_customers[-1]["id"] in {c["id"] for c in customers}
    assert dups_orders[-1]["id"] in {o["id"] for o in orders}
    assert nulls_customers[:-1] == customers and nulls_orders[:-1] == orders
    assert nulls_customers[-1]["id"] == "" and nulls_orders[-1]["id"] == ""


def _load_generator(lesson):
    path = lesson.dir / "tools" / "generate_seeds.py"
    spec = importlib.util.spec_from_file_location(f"{lesson.id}_generate_seeds", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module


def test_loader_rejects_a_missing_instructions_file(tmp_path):
    lesson_dir = tmp_path / "broken"
    lesson_dir.mkdir()
    (lesson_dir / "lesson.yml").write_text(
        "id: broken\ntitle: Broken\nsteps:\n  - {id: a, title: A, instructions: steps/missing.md}\n"
    )
    with pytest.raises(LessonFormatError, match="missing.md"):
        load_lesson(lesson_dir)


def test_loader_rejects_a_check_without_kind(tmp_path):
    lesson_dir = tmp_path / "broken"
    (lesson_dir / "steps").mkdir(parents=True)
    (lesson_dir / "steps" / "a.md").write_text("# A\n")
    (lesson_dir / "lesson.yml").write_text(
        "id: broken\ntitle: Broken\nsteps:\n"
        "  - {id: a, title: A, instructions: steps/a.md, checks: [{sql: 'select 1'}]}\n"
    )
    with pytest.raises(LessonFormatError, match="kind"):
        load_lesson(lesson_dir)


def test_loader_rejects_a_column_check_that_fails_upper_case_aliases(tmp_path):
    """`select id as STORE_ID` is a right answer (DuckDB resolves names case-insensitively) but is
    stored as typed: a check on information_schema must compare lower(column_name)."""
    lesson_dir = tmp_path / "broken"
    (lesson_dir / "steps").mkdir(parents=True)
    (lesson_dir / "steps" / "a.md").write_text("# A\n")
    sql = "select count(*) from information_schema.columns where table_name = 'm' and {} in ('n')"
    for compared, accepted in (("column_name", False), ("lower(column_name)", True)):
        (lesson_dir / "lesson.yml").write_text(
            "id: broken\ntitle: Broken\nsteps:\n"
            f'  - {{id: a, title: A, instructions: steps/a.md, checks: [{{kind: sql, sql: "{sql.format(compared)}"}}]}}\n'
        )
        if accepted:
            load_lesson(lesson_dir)
        else:
            with pytest.raises(LessonFormatError, match="lower\\(column_name\\)"):
                load_lesson(lesson_dir)


# ---------------------------------------------------------------- real dbt runs


def _dbt(project: Path, *args: str):
    """Run one dbt command in process, then release dbt-duckdb's process-wide connection."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    try:
        result = dbtRunner().invoke(
            [
                *args,
                "--project-dir",
                str(project),
                "--profiles-dir",
                str(project),
                "--no-send-anonymous-usage-stats",
                "--no-use-colors",
            ]
        )
    finally:
        with DuckDBConnectionManager._LOCK:
            if DuckDBConnectionManager._ENV is not None:
                DuckDBConnectionManager._ENV.close()
                DuckDBConnectionManager._ENV = None
    return result


def _build(root: Path, lesson, layers: list[str], seeds_dir: Path | None = None) -> dict:
    """Lay the lesson's folders into a server-shaped project and run seed, run and test."""
    project = root / "project"
    project.mkdir(parents=True)
    (project / "dbt_project.yml").write_text(DBT_PROJECT_YML)
    warehouse = root / "warehouse.duckdb"
    (project / "profiles.yml").write_text(
        yaml.safe_dump(
            {
                "lesson": {
                    "target": "dev",
                    "outputs": {"dev": {"type": "duckdb", "path": str(warehouse), "schema": "main", "threads": 1}},
                }
            }
        )
    )
    shutil.copytree(seeds_dir or lesson.seeds_dir, project / "seeds")
    for layer in layers:
        shutil.copytree(lesson.dir / layer, project, dirs_exist_ok=True)
    results = {cmd: _dbt(project, cmd) for cmd in ("seed", "run", "test")}
    return {
        "project": project,
        "warehouse": warehouse,
        "results": results,
        "manifest": json.loads((project / "target" / "manifest.json").read_text()),
        "run_results": json.loads((project / "target" / "run_results.json").read_text()),
    }


@pytest.fixture(scope="module")
def solution_build(lesson, tmp_path_factory):
    return _build(tmp_path_factory.mktemp("solution"), lesson, ["starter", "solution"])


@pytest.fixture(scope="module")
def starter_build(lesson, tmp_path_factory):
    return _build(tmp_path_factory.mktemp("starter"), lesson, ["starter"])


def _query(build: dict, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(build["warehouse"]), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _read_seeds(seeds_dir: Path) -> tuple[list[dict], list[dict]]:
    def read(name):
        with (seeds_dir / name).open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    return read("raw_customers.csv"), read("raw_orders.csv")


def test_solution_seeds_runs_and_tests_green(solution_build):
    for cmd, result in solution_build["results"].items():
        assert result.success, f"dbt {cmd} failed: {result.exception or result.result}"
    run = solution_build["results"]["run"].result
    assert sorted(r.node.name for r in run.results) == sorted(SOLUTION_MODELS)
    assert all(str(r.status) == "success" for r in run.results)
    tests = solution_build["results"]["test"].result.results
    assert len(tests) >= 4 and all(str(r.status) == "pass" for r in tests)


def test_solution_is_a_five_model_dag_built_with_ref(solution_build):
    nodes = solution_build["manifest"]["nodes"]
    models = {n["name"]: n for n in nodes.values() if n["resource_type"] == "model"}
    assert set(models) == SOLUTION_MODELS
    parents = {name: sorted(nodes[p]["name"] for p in m["depends_on"]["nodes"]) for name, m in models.items()}
    assert parents == {
        "stg_customers": ["raw_customers"],
        "stg_orders": ["raw_orders"],
        "customer_orders": ["stg_orders"],
        "customers": ["customer_orders", "stg_customers"],
        "revenue_by_country": ["customers"],
    }
    materialized = {name: m["config"]["materialized"] for name, m in models.items()}
    assert materialized.pop("customers") == "table"
    assert set(materialized.values()) == {"view"}
    kinds = dict(
        _query(
            solution_build, "select table_name, table_type from information_schema.tables where table_schema = 'main'"
        )
    )
    assert kinds["customers"] == "BASE TABLE" and kinds["stg_orders"] == "VIEW"


def test_solution_numbers_match_the_seeds(lesson, solution_build):
    """Expected values are computed here in Python from the CSV files, independently of SQL."""
    customers, orders = _read_seeds(lesson.seeds_dir)
    kept = [o for o in orders if o["status"].lower() != "returned"]
    cents = defaultdict(int)
    count = Counter()
    for order in kept:
        cents[int(order["user_id"])] += int(order["amount_cents"])
        count[int(order["user_id"])] += 1

    assert _query(solution_build, "select count(*) from stg_orders")[0][0] == 60
    assert _query(solution_build, "select count(*) from customer_orders")[0][0] == len(count) == 16
    rows = _query(
        solution_build, "select customer_id, number_of_orders, lifetime_value from customers order by customer_id"
    )
    assert len(rows) == 20
    assert rows == [(int(c["id"]), count[int(c["id"])], Decimal(cents[int(c["id"])]) / 100) for c in customers]
    assert sum(1 for _, n, _ in rows if n == 0) == 4  # 3 never ordered, 1 only returned orders

    by_country = defaultdict(lambda: [0, 0, 0])
    for c in customers:
        entry = by_country[c["country"]]
        entry[0] += 1
        entry[1] += count[int(c["id"])]
        entry[2] += cents[int(c["id"])]
    report = _query(
        solution_build,
        "select country, number_of_customers, number_of_orders, revenue from revenue_by_country order by country",
    )
    assert report == [(k, n, o, Decimal(v) / 100) for k, (n, o, v) in sorted(by_country.items())]
    assert len(report) == 8
    total = _query(solution_build, "select sum(revenue) from revenue_by_country")[0][0]
    assert total == Decimal(sum(int(o["amount_cents"]) for o in kept)) / 100


# ---------------------------------------------------------------- checks
# What each check kind means is the grader's (tests/test_grader.py); that every lesson's
# solution passes its steps and its starter does not is `lessons check` (tests/test_lessons_check.py).


def test_starter_builds_green(starter_build):
    # The placeholders are valid SQL: a learner's very first `dbt run` is green.
    for cmd, result in starter_build["results"].items():
        assert result.success, f"dbt {cmd} of the starter failed: {result.exception or result.result}"
    assert len(starter_build["results"]["run"].result.results) == 5
