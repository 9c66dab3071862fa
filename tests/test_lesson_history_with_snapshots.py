"""The history_with_snapshots lesson, proven with the real dbt CLI.

Structure: the lesson loads, follows the authoring rules of dbt_template/README.md, and its seed
generator rewrites seeds/ and seeds_variant/ byte for byte.
Behaviour: starter + solution is laid into a project shaped like the server's and built with
`dbt seed`, `snapshot`, `run`, `test` (each a subprocess, the grader's sequence, once) on both
seed sets. Snapshots, current rows, the point-in-time join and the pivot are asserted against a
computation in Python straight from the CSV files. The "run dbt snapshot again" experiment the
instructions describe is run for real (on a copy of the solution's build), so that what they
promise is true. A learner saves likely mistakes and the real grader fails the steps meant to
catch them. That the solution passes every step and the bare starter fails each is what
`lessons check` proves (tests/test_lessons_check.py).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath

import duckdb
import pytest
import yaml

from decode_data.services.engine.project_files import dbt_project
from decode_data.services.grader import grade_steps
from decode_data.services.learners import get_or_create_learner
from decode_data.services.lesson_check import solution_files
from decode_data.services.lessons import load_lesson
from decode_data.services.workspace import save_file
from decode_data.settings import REPO_ROOT

LESSON_ID = "history_with_snapshots"
LESSON_DIR = REPO_ROOT / "dbt_template" / LESSON_ID
DBT = Path(sys.executable).parent / "dbt"
GRADE_SEQUENCE = ("seed", "snapshot", "run", "test")
SEED_SETS = ("seeds", "seeds_variant")
SEED_FILES = ["raw_customers.csv", "raw_customers_tomorrow.csv", "raw_orders.csv", "raw_products.csv",
              "raw_products_tomorrow.csv"]
CATEGORIES = ("accessories", "apparel", "components", "tools")
SERVER_OWNED = {"dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml"}
TOMORROW = datetime(2024, 7, 1, 6, 30)


# ---------------------------------------------------------------- building projects


@dataclass
class Build:
    project: Path
    warehouse: Path
    returncodes: dict
    logs: dict

    def query(self, sql: str, params=None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    @property
    def test_status(self) -> dict:
        results = json.loads((self.project / "target" / "run_results.json").read_text())["results"]
        return {r["unique_id"]: r["status"] for r in results}

    def run(self, *commands: str) -> None:
        for command in commands:
            done = subprocess.run([str(DBT), command, "--project-dir", str(self.project),
                                   "--profiles-dir", str(self.project)],
                                  cwd=self.project, capture_output=True, text=True, timeout=180)
            self.returncodes[command], self.logs[command] = done.returncode, done.stdout + done.stderr
            assert done.returncode == 0, (command, self.logs[command][-3000:])


def new_build(root: Path, layers: list[str], seeds: str) -> Build:
    """Lay seeds and lesson folders into a server-shaped project (no dbt command run yet)."""
    project = root / "project"
    project.mkdir(parents=True)
    (project / "dbt_project.yml").write_text(yaml.safe_dump(dbt_project(), sort_keys=False))
    warehouse = root / "warehouse.duckdb"
    (project / "profiles.yml").write_text(yaml.safe_dump({"lesson": {"target": "dev", "outputs": {"dev": {
        "type": "duckdb", "path": str(warehouse), "schema": "main", "threads": 1}}}}))
    shutil.copytree(LESSON_DIR / seeds, project / "seeds")
    for layer in layers:
        shutil.copytree(LESSON_DIR / layer, project, dirs_exist_ok=True)
    return Build(project, warehouse, {}, {})


def point_snapshots_at(b: Build, suffix: str) -> None:
    """What the learner does by hand in steps 1 and 2: point both snapshots at another extract."""
    for name in ("products", "customers"):
        path = b.project / "snapshots" / f"{name}_snapshot.yml"
        text = path.read_text()
        for old in (f"ref('raw_{name}')", f"ref('raw_{name}_tomorrow')"):
            text = text.replace(old, f"ref('raw_{name}{suffix}')")
        path.write_text(text)


def experiment(solution: Build, root: Path) -> dict:
    """Snapshot today (the solution build did), then tomorrow (and run the models), then today
    again; keep each state. Runs on a copy of the solution build, which stays as it was."""
    shutil.copytree(solution.project.parent, root, ignore=shutil.ignore_patterns("target", "logs"))
    b = Build(root / "project", root / "warehouse.duckdb", {}, {})
    profiles = b.project / "profiles.yml"
    profiles.write_text(profiles.read_text().replace(str(solution.warehouse), str(b.warehouse)))
    states = {}
    point_snapshots_at(b, "_tomorrow")
    b.run("snapshot", "run")
    states["tomorrow"] = {t: b.query(f"select * from {t}") for t in
                          ("products_snapshot", "customers_snapshot", "dim_products", "dim_customers", "fct_orders")}
    point_snapshots_at(b, "")
    b.run("snapshot")
    states["back"] = {t: b.query(f"select * from {t}") for t in ("products_snapshot", "customers_snapshot")}
    return states


class _Started(dict):
    """Builds under way, by name: reading one waits for it."""

    def __getitem__(self, name: str):
        return super().__getitem__(name).result()


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The solution on both seed sets, the bare starter, and the experiment (which goes on from
    the solution's build): four projects, two at a time, started at once."""
    def graded(name, layers, seeds):
        b = new_build(tmp_path_factory.mktemp(name), layers, seeds)
        b.run(*GRADE_SEQUENCE)
        return b

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            "solution": pool.submit(graded, "solution", ["starter", "solution"], "seeds"),
            "solution_variant": pool.submit(graded, "solution_variant", ["starter", "solution"], "seeds_variant"),
            "starter": pool.submit(graded, "starter", ["starter"], "seeds"),
        }
        # Submitted after the solution, so it waits on a build that has a thread already.
        futures["experiment"] = pool.submit(
            lambda: experiment(futures["solution"].result(), tmp_path_factory.mktemp("experiment") / "copy"))
        yield _Started(futures)


# ---------------------------------------------------------------- the seeds, in Python


def _read(seeds: str, name: str) -> list[dict]:
    with (LESSON_DIR / seeds / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def expected_orders(seeds: str) -> dict[int, tuple]:
    """order_id -> (category, unit_price, amount), priced by the only version the snapshot has."""
    products = {int(p["product_id"]): p for p in _read(seeds, "raw_products.csv")}
    priced = {}
    for order in _read(seeds, "raw_orders.csv"):
        product = products[int(order["product_id"])]
        if _ts(order["ordered_at"]) >= _ts(product["updated_at"]):
            unit = Decimal(product["price_cents"]) / 100
            priced[int(order["order_id"])] = (product["category"], unit, unit * int(order["quantity"]))
        else:
            priced[int(order["order_id"])] = (None, None, None)
    return priced


# ---------------------------------------------------------------- structure


@pytest.fixture(scope="module")
def lesson():
    return load_lesson(LESSON_DIR)


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_lesson_specifics(lesson):
    """The rules every lesson follows are in tests/test_lessons_catalog.py; these are this lesson's."""
    assert lesson.id == LESSON_ID and lesson.level in ("intermediate", "advanced")
    assert 4 <= len(lesson.steps) <= 8 and lesson.quiz, "a quiz closes this lesson"
    for step in lesson.steps:
        for check in step.checks:
            assert check.get("message"), (step.id, check)
            assert "name" not in check, "README check kinds name the model with `model:`"


def test_files_follow_the_authoring_rules(lesson):
    assert {p.name for p in LESSON_DIR.iterdir()} <= {"lesson.yml", "steps", "starter", "solution",
                                                       "tools", *SEED_SETS}
    starter, solution = _files(lesson.starter_dir), _files(lesson.solution_dir)
    assert set(solution) == set(starter), "the starter has a placeholder for every solution file"
    for rel in starter:
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
        if rel.endswith(".sql"):
            assert "{{ ref(" in text, f"{rel} must read its inputs with ref()"
        if rel.startswith("snapshots/"):
            assert "relation: ref(" in text, rel


def test_seed_sets_have_the_same_files_and_columns():
    assert _files(LESSON_DIR / "seeds") == _files(LESSON_DIR / "seeds_variant") == SEED_FILES
    for name in SEED_FILES:
        header = (LESSON_DIR / "seeds" / name).read_text().splitlines()[0]
        assert header == (LESSON_DIR / "seeds_variant" / name).read_text().splitlines()[0]
        assert (LESSON_DIR / "seeds" / name).read_bytes() != (LESSON_DIR / "seeds_variant" / name).read_bytes()
    sizes = {name: len(_read("seeds", name)) for name in SEED_FILES}
    assert sizes == {"raw_customers.csv": 20, "raw_customers_tomorrow.csv": 20, "raw_orders.csv": 60,
                     "raw_products.csv": 16, "raw_products_tomorrow.csv": 16}


@pytest.mark.parametrize("seeds", SEED_SETS)
def test_some_orders_are_older_than_their_products_first_version(seeds):
    """What makes the point-in-time join differ from a join on today's catalog, on graded data."""
    unknown = [o for o in expected_orders(seeds).values() if o[1] is None]
    assert 3 <= len(unknown) <= 10
    if seeds == "seeds":  # the products step 4 names, repriced in late April
        repriced = {p["product_name"]: _ts(p["updated_at"]) for p in _read(seeds, "raw_products.csv")
                    if _ts(p["updated_at"]) >= datetime(2024, 4, 1)}
        assert set(repriced) == {"Saddle bag", "Cycling cap", "Multi-tool"}
        assert all(datetime(2024, 4, 20) <= at < datetime(2024, 5, 1) for at in repriced.values())
    orders = _read(seeds, "raw_orders.csv")
    changes = {_ts(p["updated_at"]).replace(second=0).time() for p in _read(seeds, "raw_products.csv")}
    assert all(_ts(o["ordered_at"]).time() not in changes for o in orders), "no order at a change's instant"


# ---------------------------------------------------------------- typical mistakes, graded for real

# Solution passes and bare starter fails every step: `lessons check` proves it (tests/test_lessons_check.py).

MISTAKES = {  # likely wrong answers: a join on today's catalog, and a snapshot without hard_deletes
    "models/fct_orders.sql": (
        "select o.order_id, o.customer_id, o.product_id, o.ordered_at, o.quantity, d.category,\n"
        "       d.price as unit_price, o.quantity * d.price as amount\n"
        "from {{ ref('raw_orders') }} as o join {{ ref('dim_products') }} as d using (product_id)\n"),
    "snapshots/customers_snapshot.yml": (LESSON_DIR / "solution/snapshots/customers_snapshot.yml").read_text()
    .replace("      hard_deletes: new_record\n", ""),
    # Without hard_deletes there is no dbt_is_deleted column to filter on.
    "models/dim_customers.sql": ("select customer_id, full_name, email, city, loyalty_tier\n"
                                 "from {{ ref('customers_snapshot') }} where dbt_valid_to is null\n"),
}


def test_relation_checks_catch_common_mistakes(engine, db_session, lesson, builds):
    """A naive join on today's catalog and a forgotten hard_deletes fail their steps; the first
    snapshot, untouched, still passes (on both seed sets). Asks for `builds` only to start the
    dbt builds first: they run while the grader works."""
    assert MISTAKES["snapshots/customers_snapshot.yml"] != \
        (LESSON_DIR / "solution/snapshots/customers_snapshot.yml").read_text()
    learner = get_or_create_learner(db_session, "mistaken")
    for path, text in {**solution_files(lesson), **MISTAKES}.items():
        save_file(db_session, learner, lesson, path, text)
    first, strategy, point_in_time = grade_steps(db_session, learner, lesson,
                                                 ["first_snapshot", "check_strategy", "point_in_time"])
    assert first.passed, first.summary

    (failure,) = [c for c in strategy.checks if not c.passed]
    assert (failure.kind, failure.model, failure.stage) == ("relation", "customers_snapshot", "columns")
    assert failure.missing_columns == ["dbt_is_deleted"] and failure.seeds == "seeds"

    failed = {c.kind: c for c in point_in_time.checks if not c.passed}
    assert set(failed) == {"depends_on", "relation"}, point_in_time.summary
    assert failed["depends_on"].stage == "graph"  # it reads dim_products, not products_snapshot
    wrong = failed["relation"]  # every order is there, some with today's price instead of none
    assert (wrong.model, wrong.stage, wrong.expected_rows, wrong.actual_rows) == ("fct_orders", "values", 60, 60)


# ---------------------------------------------------------------- real dbt builds


@pytest.mark.parametrize("name", ["solution", "solution_variant", "starter"])
def test_builds_green(builds, name):
    b = builds[name]
    assert b.returncodes == dict.fromkeys(GRADE_SEQUENCE, 0)
    assert all(status == "pass" for status in b.test_status.values()), b.test_status
    if name == "starter":
        assert b.query("select count(*) from information_schema.tables where table_name like '%snapshot'") == [(0,)]


@pytest.mark.parametrize("name,seeds", [("solution", "seeds"), ("solution_variant", "seeds_variant")])
def test_snapshots_hold_one_current_version_per_key(builds, name, seeds):
    b = builds[name]
    products = b.query("select product_id, product_name, category, price_cents, updated_at, dbt_valid_from, "
                       "dbt_valid_to, dbt_updated_at from products_snapshot")
    assert sorted(products) == sorted(
        (int(p["product_id"]), p["product_name"], p["category"], int(p["price_cents"]), _ts(p["updated_at"]),
         _ts(p["updated_at"]), None, _ts(p["updated_at"])) for p in _read(seeds, "raw_products.csv"))
    customers = b.query("select customer_id, full_name, email, city, loyalty_tier, dbt_valid_to, dbt_is_deleted "
                        "from customers_snapshot")
    assert sorted(customers) == sorted(
        (int(c["customer_id"]), c["full_name"], c["email"], c["city"], c["loyalty_tier"], None, "False")
        for c in _read(seeds, "raw_customers.csv"))
    columns = {r[0] for r in b.query("select column_name from information_schema.columns "
                                     "where table_name = 'customers_snapshot'")}
    assert {"dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_is_deleted"} <= columns


@pytest.mark.parametrize("name,seeds", [("solution", "seeds"), ("solution_variant", "seeds_variant")])
def test_models_match_the_seeds(builds, name, seeds):
    b = builds[name]
    raw_products = _read(seeds, "raw_products.csv")
    assert sorted(b.query("select product_id, price, price_valid_from from dim_products")) == sorted(
        (int(p["product_id"]), Decimal(p["price_cents"]) / 100, _ts(p["updated_at"])) for p in raw_products)
    assert sorted(r[0] for r in b.query("select customer_id from dim_customers")) == \
        sorted(int(c["customer_id"]) for c in _read(seeds, "raw_customers.csv"))

    expected = expected_orders(seeds)
    rows = b.query("select order_id, category, unit_price, amount from fct_orders")
    assert len(rows) == len(expected) == 60
    assert {r[0]: tuple(r[1:]) for r in rows} == expected

    months = defaultdict(lambda: defaultdict(Decimal))
    for order in _read(seeds, "raw_orders.csv"):
        category, _, amount = expected[int(order["order_id"])]
        month = _ts(order["ordered_at"]).date().replace(day=1)
        months[month]["total"] += amount or 0
        if category:
            months[month][category] += amount
    report = b.query("select order_month, " + ", ".join(f"{c}_revenue" for c in CATEGORIES) +
                     ", total_revenue from category_revenue order by order_month")
    assert report == [(m, *(months[m][c] for c in CATEGORIES), months[m]["total"]) for m in sorted(months)]
    assert len(report) == 3


def test_a_naive_join_on_todays_catalog_would_differ(builds):
    """The graded data tells a point-in-time join from the tempting join on dim_products."""
    naive = builds["solution"].query(
        "select count(*) from fct_orders f join dim_products d using (product_id) where f.unit_price is null")
    assert naive[0][0] >= 3


# ---------------------------------------------------------------- the experiment of steps 1-2


def test_running_the_snapshot_again_records_history_as_the_instructions_say(builds):
    state = builds["experiment"]["tomorrow"]
    products = defaultdict(list)
    names = {}
    for pid, name, _cat, cents, _upd, _scd, _dbt_upd, valid_from, valid_to in sorted(
            state["products_snapshot"], key=lambda r: (r[0], r[7])):
        products[pid].append((cents, valid_from, valid_to))
        names[name] = pid
    today = {int(p["product_id"]): p for p in _read("seeds", "raw_products.csv")}
    tomorrow = {int(p["product_id"]): p for p in _read("seeds", "raw_products_tomorrow.csv")}
    repriced = {pid for pid, p in tomorrow.items() if pid in today and p["updated_at"] != today[pid]["updated_at"]}
    silent = {pid for pid, p in tomorrow.items()
              if pid in today and p["updated_at"] == today[pid]["updated_at"] and p["price_cents"] != today[pid]["price_cents"]}
    # The products step 1 names, so that its text stays true.
    assert repriced == {names["Front light"], names["Bell"], names["Merino socks"]}
    assert silent == {names["Bottle cage"]}
    assert set(today) - set(tomorrow) == {names["Chain 11-speed"]}
    assert set(tomorrow) - set(today) == {names["Tubeless sealant"]}
    for pid in repriced:
        (old, _, closed), (new, opened, still_open) = products[pid]
        assert (old, new) == (int(today[pid]["price_cents"]), int(tomorrow[pid]["price_cents"]))
        assert closed == opened == TOMORROW and still_open is None
    assert products[names["Bottle cage"]] == [(int(today[names["Bottle cage"]]["price_cents"]),
                                               _ts(today[names["Bottle cage"]]["updated_at"]), None)]
    assert products[names["Chain 11-speed"]][-1][2] is None, "a vanished product stays open by default"
    assert len(products[names["Tubeless sealant"]]) == 1
    assert {r[0]: r[3] for r in state["dim_products"]}[names["Bell"]] == Decimal(tomorrow[names["Bell"]]["price_cents"]) / 100

    customers = defaultdict(list)
    by_name = {}
    for cid, name, email, city, tier, _scd, _upd, valid_from, valid_to, deleted in sorted(
            state["customers_snapshot"], key=lambda r: (r[0], r[7])):
        customers[cid].append((city, tier, email, valid_to is None, deleted))
        by_name[name] = cid
    for name in ("Greta Vogel", "Ivan Petrov", "Ada Byron", "Elif Kaya"):
        versions = customers[by_name[name]]
        assert len(versions) == 2 and [v[3] for v in versions] == [False, True], name
    lara = customers[by_name["Lara Silva"]]
    assert [(v[3], v[4]) for v in lara] == [(False, "False"), (True, "True")]
    assert len(customers[by_name["Uma Rao"]]) == 1
    assert by_name["Lara Silva"] not in {r[0] for r in state["dim_customers"]}
    # Past orders keep the price of their time, whatever the catalog says now.
    assert sorted(state["fct_orders"]) == sorted(builds["solution"].query("select * from fct_orders"))

    back = builds["experiment"]["back"]
    assert sorted(back["products_snapshot"]) == sorted(state["products_snapshot"]), \
        "timestamp: older updated_at values are not changes"
    versions = Counter(r[0] for r in back["customers_snapshot"])
    for name in ("Greta Vogel", "Ivan Petrov", "Ada Byron", "Elif Kaya", "Lara Silva"):
        assert versions[by_name[name]] == 3, name  # check: changing back is a change too; Lara returns
