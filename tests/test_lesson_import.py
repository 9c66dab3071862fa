"""`lessons import`: a classic dbt project (tests/fixtures/jaffle_project) becomes a lesson that
the real grader accepts: its solution passes every step and its starter fails each.

The fast tests cover refusals and the pure parts (step order, starter YAML, seed variant). Two
tests import for real (dbt parses the project): the service, whose lesson is checked file by
file, then the CLI end to end, which also proves the lesson with the real grader (every step:
the solution passes, the starter fails) exactly as `lessons check` does.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from decode_data.services.authoring.import_seeds import LEVELS, variant_tables
from decode_data.services.authoring.import_source import read_project
from decode_data.services.authoring.import_steps import ModelInfo, group_steps, strip_tests, topological_order
from decode_data.services.authoring.lesson_import import ImportRefused, import_project
from decode_data.settings import REPO_ROOT

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "jaffle_project"
MODELS = {"stg_customers", "stg_orders", "stg_payments", "customers", "orders"}
REF_RE = re.compile(r"""ref\(\s*['"](\w+)['"]\s*\)""")


def _cli(*args: str, template_dir: Path, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "MOTHERDUCK_TOKEN")}
    env.update(
        {
            "DECODE_DATA_TEMPLATE_DIR": str(template_dir),
            "DECODE_DATA_DIR": str(data_dir),
            "DECODE_DATA_ENV": "test",
            "DECODE_DATA_WORKERS": "1",
        }
    )
    proc = subprocess.run(
        [sys.executable, "-m", "decode_data", "lessons", "import", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _copy_fixture(dest: Path) -> Path:
    shutil.copytree(FIXTURE, dest, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*"))
    return dest


def _model(name: str, parents: list[str], folder: str = "models") -> ModelInfo:
    return ModelInfo(
        name=name,
        path=f"{folder}/{name}.sql",
        parents=parents,
        parent_calls=[f"{{{{ ref('{p}') }}}}" for p in parents],
        model_parents=[p for p in parents if not p.startswith("raw_")],
        materialized="view",
        description="",
        columns=[],
        rows=None,
        sql="select 1",
    )


# --- refusals: nothing runs dbt -----------------------------------------------------------------


def test_python_models_are_refused_with_their_names(tmp_path):
    project = _copy_fixture(tmp_path / "project")
    (project / "models" / "staging" / "stg_python.py").write_text("def model(dbt, session):\n    return 1\n")
    (project / "models" / "scores.py").write_text("def model(dbt, session):\n    return 1\n")
    proc = _cli(str(project), "--id", "py_lesson", template_dir=tmp_path / "templates", data_dir=tmp_path / "data")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Python models cannot be imported" in proc.stderr
    assert "models/staging/stg_python.py" in proc.stderr and "models/scores.py" in proc.stderr
    assert not (tmp_path / "templates" / "py_lesson").exists()


def test_existing_lesson_is_not_replaced_without_force(tmp_path):
    templates = tmp_path / "templates"
    (templates / "taken").mkdir(parents=True)
    (templates / "taken" / "lesson.yml").write_text("id: taken\ntitle: Taken\n")
    proc = _cli(str(FIXTURE), "--id", "taken", template_dir=templates, data_dir=tmp_path / "data")
    assert proc.returncode == 2
    assert "already exists" in proc.stderr and "--force" in proc.stderr
    assert (templates / "taken" / "lesson.yml").read_text() == "id: taken\ntitle: Taken\n"


@pytest.mark.parametrize("bad_id", ["", "../escape", "has space", ".hidden", "x" * 65])
def test_invalid_ids_are_refused(tmp_path, bad_id):
    with pytest.raises(ImportRefused, match="invalid lesson id"):
        import_project(FIXTURE, bad_id, tmp_path)


def test_packages_refused_when_used_and_only_warned_when_not(tmp_path):
    project = _copy_fixture(tmp_path / "project")
    (project / "packages.yml").write_text("packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n")
    source = read_project(project)
    assert any("dbt_utils" in w and "no model" in w for w in source.warnings)
    orders = project / "models" / "orders.sql"
    orders.write_text(
        orders.read_text().replace("select * from final", "select * from final\n-- {{ dbt_utils.pretty_time() }}")
    )
    with pytest.raises(ImportRefused, match=r"needs dbt packages.*dbt_utils in models/orders.sql"):
        read_project(project)


def test_not_a_dbt_project_is_refused(tmp_path):
    with pytest.raises(ImportRefused, match="no dbt_project.yml"):
        read_project(tmp_path)


# --- the pure parts ---------------------------------------------------------------------------


def test_steps_follow_the_dag_and_group_big_projects_by_folder():
    models = {
        m.name: m
        for m in [
            _model("stg_a", ["raw_a"], "models/staging"),
            _model("stg_b", ["raw_b"], "models/staging"),
            _model("int_ab", ["stg_a", "stg_b"], "models/intermediate"),
            _model("mart_x", ["int_ab"], "models/marts"),
            _model("mart_y", ["int_ab", "stg_b"], "models/marts"),
        ]
    }
    order = topological_order(models)
    assert order.index("int_ab") > max(order.index("stg_a"), order.index("stg_b"))
    assert group_steps(models, order) == [[name] for name in order]  # small: one step per model
    many = {f"stg_{i}": _model(f"stg_{i}", [f"raw_{i}"], "models/staging") for i in range(12)}
    many.update({f"mart_{i}": _model(f"mart_{i}", [f"stg_{i}", f"stg_{i + 1}"], "models/marts") for i in range(6)})
    groups = group_steps(many, topological_order(many))
    assert 2 <= len(groups) <= 8 and sorted(sum(groups, [])) == sorted(many)
    step_of = {name: i for i, group in enumerate(groups) for name in group}
    for name, model in many.items():
        assert all(step_of[p] <= step_of[name] for p in model.model_parents)


def test_starter_yaml_keeps_docs_and_drops_tests_and_contracts():
    text = (FIXTURE / "models" / "schema.yml").read_text()
    stripped = yaml.safe_load(strip_tests(text))
    orders = next(m for m in stripped["models"] if m["name"] == "orders")
    assert orders["description"].startswith("This table has basic information about orders")
    assert all("data_tests" not in c and "tests" not in c for m in stripped["models"] for c in m["columns"])
    assert strip_tests("version: 2\nmodels:\n  - name: x\n    description: no tests here\n") is None
    contract = (
        "models:\n  - name: x\n    config: {contract: {enforced: true}, materialized: table}\n"
        "    columns: [{name: id, data_type: int, constraints: [{type: not_null}]}]\n"
    )
    assert yaml.safe_load(strip_tests(contract))["models"][0] == {
        "name": "x",
        "config": {"materialized": "table"},
        "columns": [{"name": "id", "data_type": "int"}],
    }


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_seed_variant_is_deterministic_and_keeps_keys_consistent():
    texts = {p.name: p.read_text() for p in sorted((FIXTURE / "seeds").glob("*.csv"))}
    full = variant_tables(texts, "full")
    assert full == variant_tables(texts, "full")  # the same bytes every run
    for name, text in full.items():
        assert text.splitlines()[0] == texts[name].splitlines()[0]  # same columns
        assert text != texts[name]
    customers = {r["id"] for r in _rows(full["raw_customers.csv"])}
    orders = _rows(full["raw_orders.csv"])
    payments = _rows(full["raw_payments.csv"])
    assert len(orders) > len(_rows(texts["raw_orders.csv"]))  # rows were added
    assert {o["user_id"] for o in orders} <= customers
    assert {p["order_id"] for p in payments} == {o["id"] for o in orders}  # every order keeps a payment
    assert len({p["id"] for p in payments}) == len(payments)
    copy = variant_tables(texts, LEVELS[-1])
    assert sorted(copy["raw_orders.csv"].splitlines()) == sorted(texts["raw_orders.csv"].splitlines())


# --- real dbt ---------------------------------------------------------------------------------


def _step_models(lesson) -> list[set[str]]:
    return [{c["model"] for c in step.checks if c["kind"] == "relation"} for step in lesson.steps]


@pytest.mark.slow
def test_imported_project_becomes_a_lesson_in_dependency_order(engine, settings_env, tmp_path):
    """What the import writes (it builds the reference with the session's engine). That the real
    grader accepts the lesson is proven once, by the CLI test below (the same import of the same
    project, then `lessons check`'s proof)."""
    from decode_data.services.lessons import load_lesson

    templates = tmp_path / "templates"
    report = import_project(FIXTURE, "jaffle", templates, title="Jaffle Shop, rebuilt")
    lesson = load_lesson(templates / "jaffle")
    assert lesson.title == "Jaffle Shop, rebuilt" and lesson.level == "intermediate"
    assert lesson.minutes == 10 * len(lesson.steps) and set(report.models) == MODELS

    files = [p.relative_to(lesson.dir).as_posix() for p in lesson.dir.rglob("*") if p.is_file()]
    assert not [
        f
        for f in files
        if f.endswith(".py") or Path(f).name in ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")
    ]
    solution = {p.stem: p for p in (lesson.solution_dir / "models").rglob("*.sql")}
    assert set(solution) == MODELS
    for name, path in solution.items():
        assert (lesson.starter_dir / path.relative_to(lesson.solution_dir)).read_text().rstrip().endswith("as todo"), (
            name
        )
    assert (lesson.starter_dir / "macros" / "cents_to_dollars.sql").is_file()
    assert (lesson.starter_dir / "models" / "docs.md").is_file()
    assert "data_tests" not in (lesson.starter_dir / "models" / "schema.yml").read_text()
    assert (lesson.solution_dir / "models" / "schema.yml").read_text() == (
        FIXTURE / "models" / "schema.yml"
    ).read_text()
    # The folder config of dbt_project.yml (+materialized: table) moved into the marts.
    assert solution["customers"].read_text().startswith("{{ config(materialized='table') }}\n")
    assert "config(" not in solution["stg_orders"].read_text()
    for seed in (FIXTURE / "seeds").glob("*.csv"):
        assert (lesson.seeds_dir / seed.name).read_bytes() == seed.read_bytes()
        variant = (lesson.dir / "seeds_variant" / seed.name).read_text()
        assert variant.splitlines()[0] == seed.read_text().splitlines()[0] and variant != seed.read_text()
    assert report.variant == "full" and not report.same_on_variant

    # Dependency order: a step never reads a model that a later step builds.
    built = _step_models(lesson)
    step_of = {m: i for i, models in enumerate(built) for m in models}
    assert set(step_of) == MODELS
    for name, path in solution.items():
        for parent in REF_RE.findall(path.read_text()):
            if parent in MODELS:
                assert step_of[parent] < step_of[name], f"{name} refs {parent} of a later step"
    for i, step in enumerate(lesson.steps):
        for check in step.checks:
            if check["kind"] == "depends_on":
                assert all(step_of.get(p, -1) < i for p in check["parents"])
            if check["kind"] == "relation":
                assert check["model"] in step.instructions
    kinds = {c["kind"] for step in lesson.steps for c in step.checks}
    assert {"depends_on", "relation", "materialized", "dbt_tests", "tests_pass"} <= kinds
    orders_step = lesson.steps[step_of["orders"]]
    assert {
        "kind": "dbt_tests",
        "model": "orders",
        "column": "customer_id",
        "tests": ["not_null", "relationships"],
    } in orders_step.checks
    assert step_of["customers"] < step_of["orders"]  # the relationships test needs customers built
    assert all(
        lesson.is_editable(f"models/{p.relative_to(lesson.solution_dir / 'models').as_posix()}")
        for p in (lesson.solution_dir / "models").rglob("*")
        if p.is_file()
    )
    assert len(lesson.steps) == 5  # the CLI test below proves these 5 steps with the grader


@pytest.mark.slow
def test_cli_imports_checks_and_refuses_to_overwrite(tmp_path):
    templates, data = tmp_path / "templates", tmp_path / "data"
    proc = _cli("tests/fixtures/jaffle_project", "--id", "jaffle_import", template_dir=templates, data_dir=data)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Imported dbt project 'jaffle_shop' as lesson 'jaffle_import'" in proc.stdout
    assert "5 of 5 steps ok" in proc.stdout
    assert (templates / "jaffle_import" / "lesson.yml").is_file()
    assert not list(templates.glob(".import-*"))  # no staging folder left behind

    again = _cli("tests/fixtures/jaffle_project", "--id", "jaffle_import", template_dir=templates, data_dir=data)
    assert again.returncode == 2 and "already exists" in again.stderr
