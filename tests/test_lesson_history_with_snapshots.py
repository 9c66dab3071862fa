"""The history_with_snapshots lesson, proven with real dbt builds.

Structure: the lesson loads, follows the authoring rules of dbt_template/README.md, and its seed
generator rewrites every seed set byte for byte (tests/test_lessons_catalog.py). The seeds hold
what tells the lesson's classic mistakes apart: orders older than a product's first version, an
order at the very second a version starts and one at the second a version ends, a second day
with repriced, renamed, "touched", silently repriced, discontinued and new products, customers
who change check columns, one who only has a name fixed, one who leaves and one who signs up.
Behaviour: starter + solution is laid into a learner-shaped project and built the grader's way,
on two days: `dbt seed`, `snapshot`, `run`, then the `*_next` files replace the seeds and `seed`,
`snapshot`, `run`, `test` run again (each one a job of the session's warm engine,
tests/engine_builds.py), on both seed sets.
Snapshots, current rows, the point-in-time join and the pivot are asserted against a
computation in Python straight from the CSV files. The "run dbt snapshot again" experiment the
instructions describe is run for real (a learner's single-day build, then tomorrow, then back),
so that what they promise is true. Alternative right answers (other spellings of the same
snapshots, tests, filters, window and loop) pass every step with the real grader. That the
solution passes every step, the bare starter fails each and every shipped wrong answer fails
with its phrase is what `lessons check` proves (tests/test_lessons_check.py).
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath

import pytest
import yaml

from decode_data.services.lessons import load_lesson
from decode_data.settings import REPO_ROOT
from tests.engine_builds import Build, new_build

LESSON_ID = "history_with_snapshots"
LESSON_DIR = REPO_ROOT / "dbt_template" / LESSON_ID
FIRST_DAY = ("seed", "snapshot", "run")
GRADE_SEQUENCE = ("seed", "snapshot", "run", "test")
SEED_SETS = ("seeds", "seeds_variant")
SEED_FILES = [
    "raw_customers.csv",
    "raw_customers_tomorrow.csv",
    "raw_orders.csv",
    "raw_products.csv",
    "raw_products_tomorrow.csv",
]
NEXT_FILES = ["raw_customers.csv", "raw_orders.csv", "raw_products.csv"]
CATEGORIES = ("accessories", "apparel", "components", "tools")
CHECK_COLS = ("email", "city", "loyalty_tier")
SERVER_OWNED = {"dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml"}
TOMORROW = datetime(2024, 7, 1, 6, 30)


# ---------------------------------------------------------------- building projects


def graded_build(engine, root: Path, layers: list[str], seeds: str) -> Build:
    """The grader's two days: first day, then the *_next files replace the seeds, then again."""
    b = new_build(engine, root, LESSON_DIR, layers, seeds)
    b.run(*FIRST_DAY)
    for csv_file in (LESSON_DIR / f"{seeds}_next").glob("*.csv"):
        shutil.copyfile(csv_file, b.project / "seeds" / csv_file.name)
    b.run(*GRADE_SEQUENCE)
    return b


def point_snapshots_at(b: Build, suffix: str) -> None:
    """What the learner does by hand in steps 1 and 2: point both snapshots at another extract."""
    for name in ("products", "customers"):
        path = b.project / "snapshots" / f"{name}_snapshot.yml"
        text = path.read_text()
        for old in (f"ref('raw_{name}')", f"ref('raw_{name}_tomorrow')"):
            text = text.replace(old, f"ref('raw_{name}{suffix}')")
        path.write_text(text)


def experiment(engine, root: Path) -> dict:
    """A learner's own warehouse: one day (seed, snapshot, run), then the snapshots pointed at
    tomorrow's extracts (snapshot, run), then back at today's (snapshot); each state kept."""
    b = new_build(engine, root, LESSON_DIR, ["starter", "solution"], "seeds")
    b.run(*FIRST_DAY)
    states = {"today": {t: b.query(f"select * from {t}") for t in ("products_snapshot", "customers_snapshot")}}
    point_snapshots_at(b, "_tomorrow")
    b.run("snapshot", "run")
    states["tomorrow"] = {
        t: b.query(f"select * from {t}")
        for t in ("products_snapshot", "customers_snapshot", "dim_products", "dim_customers", "fct_orders")
    }
    point_snapshots_at(b, "")
    b.run("snapshot")
    states["back"] = {t: b.query(f"select * from {t}") for t in ("products_snapshot", "customers_snapshot")}
    return states


class _Started(dict):
    """Builds under way, by name: reading one waits for it."""

    def __getitem__(self, name: str):
        return super().__getitem__(name).result()


@pytest.fixture(scope="module")
def builds(engine, tmp_path_factory):
    """The solution on both seed sets (two days each), the bare starter (one day), and a
    learner's single-day experiment: four projects, two at a time (the engine's two workers),
    started at once."""

    def graded(name, layers, seeds):
        return graded_build(engine, tmp_path_factory.mktemp(name), layers, seeds)

    def one_day(name, layers, seeds):  # the bare starter has no snapshot: one day says all
        b = new_build(engine, tmp_path_factory.mktemp(name), LESSON_DIR, layers, seeds)
        b.run(*GRADE_SEQUENCE)
        return b

    with ThreadPoolExecutor(max_workers=2) as pool:
        yield _Started(
            {
                "solution": pool.submit(graded, "solution", ["starter", "solution"], "seeds"),
                "solution_variant": pool.submit(graded, "solution_variant", ["starter", "solution"], "seeds_variant"),
                "starter": pool.submit(one_day, "starter", ["starter"], "seeds"),
                "experiment": pool.submit(experiment, engine, tmp_path_factory.mktemp("experiment")),
            }
        )


# ---------------------------------------------------------------- the seeds, in Python


def _read(seeds: str, name: str) -> list[dict]:
    with (LESSON_DIR / seeds / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def _by_id(rows: list[dict], key: str) -> dict[int, dict]:
    return {int(r[key]): r for r in rows}


def product_versions(seeds: str) -> dict[int, list[dict]]:
    """product_id -> versions after today's and tomorrow's `dbt snapshot` (timestamp strategy,
    deletes ignored): each {row, valid_from, valid_to}, oldest first."""
    today = _by_id(_read(seeds, "raw_products.csv"), "product_id")
    tomorrow = _by_id(_read(f"{seeds}_next", "raw_products.csv"), "product_id")
    versions = {}
    for pid, row in today.items():
        first = {"row": row, "valid_from": _ts(row["updated_at"]), "valid_to": None}
        versions[pid] = [first]
        later = tomorrow.get(pid)
        if later and _ts(later["updated_at"]) > _ts(row["updated_at"]):
            first["valid_to"] = _ts(later["updated_at"])
            versions[pid].append({"row": later, "valid_from": _ts(later["updated_at"]), "valid_to": None})
    for pid, row in tomorrow.items():
        if pid not in today:
            versions[pid] = [{"row": row, "valid_from": _ts(row["updated_at"]), "valid_to": None}]
    return versions


def customer_versions(seeds: str) -> list[tuple]:
    """(customer_id, full_name, email, city, loyalty_tier, is current, dbt_is_deleted) of every
    version after today's and tomorrow's `dbt snapshot` (check strategy, new_record deletes)."""
    today = _by_id(_read(seeds, "raw_customers.csv"), "customer_id")
    tomorrow = _by_id(_read(f"{seeds}_next", "raw_customers.csv"), "customer_id")
    cols = ("full_name", "email", "city", "loyalty_tier")
    versions = []
    for cid, row in today.items():
        later = tomorrow.get(cid)
        if later is None:
            versions += [(cid, *(row[c] for c in cols), False, "False"), (cid, *(row[c] for c in cols), True, "True")]
        elif any(later[c] != row[c] for c in CHECK_COLS):
            versions += [
                (cid, *(row[c] for c in cols), False, "False"),
                (cid, *(later[c] for c in cols), True, "False"),
            ]
        else:  # unchanged, or only a column outside check_cols: the first version stays current
            versions.append((cid, *(row[c] for c in cols), True, "False"))
    versions += [(cid, *(row[c] for c in cols), True, "False") for cid, row in tomorrow.items() if cid not in today]
    return versions


def expected_orders(seeds: str) -> dict[int, tuple]:
    """order_id -> (category, unit_price, amount), priced by the version valid at ordered_at."""
    versions = product_versions(seeds)
    priced = {}
    for order in _read(f"{seeds}_next", "raw_orders.csv"):
        at = _ts(order["ordered_at"])
        valid = [
            v
            for v in versions[int(order["product_id"])]
            if v["valid_from"] <= at and (v["valid_to"] is None or at < v["valid_to"])
        ]
        assert len(valid) <= 1
        if valid:
            unit = Decimal(valid[0]["row"]["price_cents"]) / 100
            priced[int(order["order_id"])] = (valid[0]["row"]["category"], unit, unit * int(order["quantity"]))
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
            # A config check without a message names the key and both values itself.
            assert check.get("message") or check["kind"] == "config", (step.id, check)
            assert "name" not in check, "README check kinds name the model with `model:`"
    kinds = {(step.id, check["kind"]) for step in lesson.steps for check in step.checks}
    assert {("first_snapshot", "config"), ("check_strategy", "config"), ("check_strategy", "sql")} <= kinds


def test_files_follow_the_authoring_rules(lesson):
    assert {p.name for p in LESSON_DIR.iterdir()} <= {
        "lesson.yml",
        "steps",
        "starter",
        "solution",
        "tools",
        "wrong_answers",
        *SEED_SETS,
        *(f"{s}_next" for s in SEED_SETS),
    }
    starter, solution = _files(lesson.starter_dir), _files(lesson.solution_dir)
    assert set(solution) == set(starter), "the starter has a placeholder for every solution file"
    for rel in starter:
        assert PurePosixPath(rel).name not in SERVER_OWNED and not rel.endswith(".py"), rel
        assert lesson.is_editable(rel), rel
    for rel in solution:
        text = (lesson.solution_dir / rel).read_text(encoding="utf-8")
        assert "main." not in text, f"{rel} must not hard-code a schema"
        if rel.endswith(".sql"):
            assert "{{ ref(" in text, f"{rel} must read its inputs with ref()"
        if rel.startswith("snapshots/"):
            assert "relation: ref(" in text, rel
    wrong = sorted(p.name for p in (LESSON_DIR / "wrong_answers").glob("*.yml"))
    assert wrong == [f"{i:02d}_{step.id}.yml" for i, step in enumerate(lesson.steps, 1)]
    for path in (LESSON_DIR / "wrong_answers").glob("*.yml"):
        assert len(yaml.safe_load(path.read_text())["wrong_answers"]) >= 5, path.name


def test_seed_sets_have_the_same_files_and_columns():
    assert _files(LESSON_DIR / "seeds") == _files(LESSON_DIR / "seeds_variant") == SEED_FILES
    assert _files(LESSON_DIR / "seeds_next") == _files(LESSON_DIR / "seeds_variant_next") == NEXT_FILES
    for seeds in SEED_SETS:
        for name in SEED_FILES:
            header = (LESSON_DIR / seeds / name).read_text().splitlines()[0]
            assert header == (LESSON_DIR / "seeds" / name).read_text().splitlines()[0]
        for name in NEXT_FILES:
            assert (LESSON_DIR / f"{seeds}_next" / name).read_text().splitlines()[0] == (
                LESSON_DIR / seeds / name
            ).read_text().splitlines()[0]
    for name in SEED_FILES:
        assert (LESSON_DIR / "seeds" / name).read_bytes() != (LESSON_DIR / "seeds_variant" / name).read_bytes()
    sizes = {name: len(_read("seeds", name)) for name in SEED_FILES}
    assert sizes == {
        "raw_customers.csv": 20,
        "raw_customers_tomorrow.csv": 20,
        "raw_orders.csv": 63,
        "raw_products.csv": 16,
        "raw_products_tomorrow.csv": 16,
    }


@pytest.mark.parametrize("seeds", SEED_SETS)
def test_the_graders_second_day_is_the_learners_tomorrow(seeds):
    """What the learner experiments with is what the grader's second day holds, plus new orders."""
    for name in ("raw_products", "raw_customers"):
        assert (LESSON_DIR / f"{seeds}_next" / f"{name}.csv").read_bytes() == (
            LESSON_DIR / seeds / f"{name}_tomorrow.csv"
        ).read_bytes()
    today, later = _read(seeds, "raw_orders.csv"), _read(f"{seeds}_next", "raw_orders.csv")
    assert later[: len(today)] == today and len(later) > len(today)


def test_the_variant_shares_no_id_or_date_with_the_main_set():
    """A value typed from the lesson's data (an id, a date) fails on the variant."""
    for name, key in (
        ("raw_products.csv", "product_id"),
        ("raw_customers.csv", "customer_id"),
        ("raw_orders.csv", "order_id"),
    ):
        for main, variant in (("seeds", "seeds_variant"), ("seeds_next", "seeds_variant_next")):
            if (LESSON_DIR / main / name).exists():
                assert not {r[key] for r in _read(main, name)} & {r[key] for r in _read(variant, name)}, name
    days = lambda seeds: {r["ordered_at"][:10] for r in _read(f"{seeds}_next", "raw_orders.csv")}  # noqa: E731
    assert not days("seeds") & days("seeds_variant")
    years = {r["ordered_at"][:4] for r in _read("seeds_variant_next", "raw_orders.csv")}
    assert len(years) == 2, "the variant's orders cross a new year (a year typed from the lesson's data)"

    def gone(seeds):
        return {r["full_name"] for r in _read(seeds, "raw_customers.csv")} - {
            r["full_name"] for r in _read(f"{seeds}_next", "raw_customers.csv")
        }  # noqa: E731

    assert gone("seeds") != gone("seeds_variant")


@pytest.mark.parametrize("seeds", SEED_SETS)
def test_the_data_tells_the_classic_mistakes_apart(seeds):
    today = _by_id(_read(seeds, "raw_products.csv"), "product_id")
    tomorrow = _by_id(_read(f"{seeds}_next", "raw_products.csv"), "product_id")
    same = lambda a, b, cols: all(a[c] == b[c] for c in cols)  # noqa: E731
    kept = [pid for pid in today if pid in tomorrow]
    moved = {pid for pid in kept if tomorrow[pid]["updated_at"] != today[pid]["updated_at"]}
    assert {pid for pid in moved if tomorrow[pid]["price_cents"] != today[pid]["price_cents"]}, "repriced"
    assert {pid for pid in moved if tomorrow[pid]["product_name"] != today[pid]["product_name"]}, "renamed"
    assert {pid for pid in moved if same(tomorrow[pid], today[pid], ("product_name", "category", "price_cents"))}, (
        "touched: updated_at moves, nothing else (timestamp records it, check would not)"
    )
    assert {pid for pid in kept if pid not in moved and tomorrow[pid]["price_cents"] != today[pid]["price_cents"]}, (
        "silently repriced (check would record it, timestamp does not)"
    )
    assert set(today) - set(tomorrow) and set(tomorrow) - set(today), "a discontinued and a new product"
    assert any(same(tomorrow[pid], today[pid], tuple(today[pid])) for pid in kept), "unchanged products"

    customers = _by_id(_read(seeds, "raw_customers.csv"), "customer_id")
    customers_next = _by_id(_read(f"{seeds}_next", "raw_customers.csv"), "customer_id")
    both = [cid for cid in customers if cid in customers_next]
    for column in CHECK_COLS:
        assert any(customers[c][column] != customers_next[c][column] for c in both), column
    assert any(
        customers[c]["full_name"] != customers_next[c]["full_name"]
        and same(customers[c], customers_next[c], CHECK_COLS)
        for c in both
    ), "a change outside check_cols"
    assert set(customers) - set(customers_next) and set(customers_next) - set(customers), "one leaves, one signs up"

    versions = product_versions(seeds)
    orders = _read(f"{seeds}_next", "raw_orders.csv")
    starts = {(pid, v["valid_from"]) for pid, vs in versions.items() for v in vs}
    ends = {(pid, v["valid_to"]) for pid, vs in versions.items() for v in vs if v["valid_to"]}
    at = [(int(o["product_id"]), _ts(o["ordered_at"])) for o in orders]
    first_starts = {(pid, vs[0]["valid_from"]) for pid, vs in versions.items()}
    assert len([o for o in at if o in first_starts]) >= 2, "orders at a first version's first second (>= vs >)"
    assert [o for o in at if o in ends], "an order at the second a version ends (< vs <=)"
    for pid, when in [o for o in at if o in starts]:
        assert any(p == pid and when < w for p, w in at), "a later order of the same version is priced"
    same_day_before = [
        (pid, when)
        for pid, when in at
        for p, start in starts
        if p == pid and start.date() == when.date() and when < start
    ]
    assert any(
        (pid, v) in first_starts for pid, v in starts for p, w in same_day_before if p == pid and w.date() == v.date()
    ), "an order earlier on the day a product's first version starts (a window on dates, not timestamps)"
    assert any(end.date() == when.date() and when < end for pid, end in ends for p, when in at if p == pid), (
        "an order earlier on the day a version ends (the old price)"
    )
    recategorised = [pid for pid in kept if tomorrow[pid]["category"] != today[pid]["category"]]
    assert any(
        int(o["product_id"]) in recategorised
        and _ts(o["ordered_at"]) < _ts(tomorrow[int(o["product_id"])]["updated_at"])
        for o in orders
    ), "an order of a product that later moved category (the category of its version, not today's)"

    unknown = [o for o in expected_orders(seeds).values() if o[1] is None]
    assert 3 <= len(unknown) <= 12, "orders older than their product's first version"
    if seeds == "seeds":  # the products step 4 names, repriced in late April
        repriced = {
            p["product_name"]: _ts(p["updated_at"])
            for p in today.values()
            if _ts(p["updated_at"]) >= datetime(2024, 4, 1)
        }
        assert set(repriced) == {"Saddle bag", "Cycling cap", "Multi-tool"}
        assert all(datetime(2024, 4, 20) <= when < datetime(2024, 5, 1) for when in repriced.values())
        assert (7, datetime(2024, 4, 25, 6, 14)) in at, "the Saddle bag order step 4 names"

    last_month = max(o["ordered_at"][:7] for o in orders)
    sold = {
        c
        for o, c in zip(orders, (e[0] for e in expected_orders(seeds).values()), strict=False)
        if o["ordered_at"][:7] == last_month and c
    }
    assert sold and set(CATEGORIES) - sold, "a month where some categories sold nothing (else 0 vs else null)"


# ---------------------------------------------------------------- real dbt builds


@pytest.mark.parametrize("name", ["solution", "solution_variant", "starter"])
def test_builds_green(builds, name):
    b = builds[name]
    assert all(b.ok(command) for command in GRADE_SEQUENCE), [b.describe(c) for c in GRADE_SEQUENCE]
    tests = b.statuses("test")
    assert all(status == "pass" for status in tests.values()), tests
    if name != "starter":
        assert tests, "the solution's tests ran"
    if name == "starter":
        assert b.query("select count(*) from information_schema.tables where table_name like '%snapshot'") == [(0,)]


@pytest.mark.parametrize("name,seeds", [("solution", "seeds"), ("solution_variant", "seeds_variant")])
def test_snapshots_hold_two_days_of_history(builds, name, seeds):
    b = builds[name]
    products = b.query(
        "select product_id, product_name, category, price_cents, updated_at, dbt_valid_from, "
        "dbt_valid_to from products_snapshot"
    )
    assert sorted(products, key=str) == sorted(
        (
            (
                pid,
                v["row"]["product_name"],
                v["row"]["category"],
                int(v["row"]["price_cents"]),
                _ts(v["row"]["updated_at"]),
                v["valid_from"],
                v["valid_to"],
            )
            for pid, vs in product_versions(seeds).items()
            for v in vs
        ),
        key=str,
    )
    customers = b.query(
        "select customer_id, full_name, email, city, loyalty_tier, dbt_valid_to is null, "
        "dbt_is_deleted from customers_snapshot"
    )
    assert sorted(customers, key=str) == sorted(customer_versions(seeds), key=str)
    columns = {
        r[0]
        for r in b.query("select column_name from information_schema.columns where table_name = 'customers_snapshot'")
    }
    assert {"dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_is_deleted"} <= columns


@pytest.mark.parametrize("name,seeds", [("solution", "seeds"), ("solution_variant", "seeds_variant")])
def test_models_match_the_seeds(builds, name, seeds):
    b = builds[name]
    current = {pid: vs[-1] for pid, vs in product_versions(seeds).items()}
    assert sorted(b.query("select product_id, product_name, price, price_valid_from from dim_products")) == sorted(
        (pid, v["row"]["product_name"], Decimal(v["row"]["price_cents"]) / 100, v["valid_from"])
        for pid, v in current.items()
    )
    assert sorted(b.query("select customer_id, full_name, email, city, loyalty_tier from dim_customers")) == sorted(
        v[:5] for v in customer_versions(seeds) if v[5] and v[6] == "False"
    )

    expected = expected_orders(seeds)
    rows = b.query("select order_id, category, unit_price, amount from fct_orders")
    assert len(rows) == len(expected) == len(_read(f"{seeds}_next", "raw_orders.csv"))
    assert {r[0]: tuple(r[1:]) for r in rows} == expected

    months = defaultdict(lambda: defaultdict(Decimal))
    for order in _read(f"{seeds}_next", "raw_orders.csv"):
        category, _, amount = expected[int(order["order_id"])]
        month = _ts(order["ordered_at"]).date().replace(day=1)
        months[month]["total"] += amount or 0
        if category:
            months[month][category] += amount
    report = b.query(
        "select order_month, "
        + ", ".join(f"{c}_revenue" for c in CATEGORIES)
        + ", total_revenue from category_revenue order by order_month"
    )
    assert report == [(m, *(months[m][c] for c in CATEGORIES), months[m]["total"]) for m in sorted(months)]
    assert len(report) == 4


def test_a_naive_join_on_todays_catalog_would_differ(builds):
    """The graded data tells a point-in-time join from the tempting join on dim_products."""
    naive = builds["solution"].query(
        "select count(*) from fct_orders f join dim_products d using (product_id) "
        "where f.unit_price is distinct from d.price"
    )
    assert naive[0][0] >= 5


# ---------------------------------------------------------------- the experiment of steps 1-2


def test_running_the_snapshot_again_records_history_as_the_instructions_say(builds):
    states = builds["experiment"]
    assert all(r[-1] is None for r in states["today"]["products_snapshot"]), "one day: every version current"
    state = states["tomorrow"]
    products = defaultdict(list)
    names = {}
    for pid, name, _cat, cents, _upd, _scd, _dbt_upd, valid_from, valid_to in sorted(
        state["products_snapshot"], key=lambda r: (r[0], r[7])
    ):
        products[pid].append((name, cents, valid_from, valid_to))
        names[name] = pid
    today = _by_id(_read("seeds", "raw_products.csv"), "product_id")
    tomorrow = _by_id(_read("seeds", "raw_products_tomorrow.csv"), "product_id")
    moved = {pid for pid, p in tomorrow.items() if pid in today and p["updated_at"] != today[pid]["updated_at"]}
    repriced = {pid for pid in moved if tomorrow[pid]["price_cents"] != today[pid]["price_cents"]}
    silent = {
        pid
        for pid, p in tomorrow.items()
        if pid in today
        and p["updated_at"] == today[pid]["updated_at"]
        and p["price_cents"] != today[pid]["price_cents"]
    }
    # The products step 1 names, so that its text stays true.
    assert repriced == {names["Front light"], names["Bell"], names["Merino socks"]}
    assert silent == {names["Bottle cage"]}
    assert set(today) - set(tomorrow) == {names["Chain 11-speed"]}
    assert set(tomorrow) - set(today) == {names["Tubeless sealant"]}
    assert moved - repriced == {names["Mini pump"], names["Tubeless valves"], names["Brake pads"]}
    assert (today[names["Brake pads"]]["category"], tomorrow[names["Brake pads"]]["category"]) == (
        "components",
        "tools",
    )
    for pid in moved:
        (_, old, _, closed), (_, new, opened, still_open) = products[pid]
        assert (old, new) == (int(today[pid]["price_cents"]), int(tomorrow[pid]["price_cents"]))
        assert closed == opened == TOMORROW and still_open is None
    assert [v[0] for v in products[names["Mini pump"]]] == ["Mini pump", "Mini pump (2nd gen)"]
    assert products[names["Bottle cage"]] == [
        (
            "Bottle cage",
            int(today[names["Bottle cage"]]["price_cents"]),
            _ts(today[names["Bottle cage"]]["updated_at"]),
            None,
        )
    ]
    assert products[names["Chain 11-speed"]][-1][3] is None, "a vanished product stays open by default"
    assert len(products[names["Tubeless sealant"]]) == 1
    assert {r[0]: r[3] for r in state["dim_products"]}[names["Bell"]] == Decimal(
        tomorrow[names["Bell"]]["price_cents"]
    ) / 100

    customers = defaultdict(list)
    by_name = {}
    for cid, name, email, city, tier, _scd, _upd, _valid_from, valid_to, deleted in sorted(
        state["customers_snapshot"], key=lambda r: (r[0], r[7])
    ):
        customers[cid].append((name, city, tier, email, valid_to is None, deleted))
        by_name[name] = cid
    for name in ("Greta Vogel", "Ivan Petrov", "Ada Byron", "Elif Kaya"):
        versions = customers[by_name[name]]
        assert len(versions) == 2 and [v[4] for v in versions] == [False, True], name
    lara = customers[by_name["Lara Silva"]]
    assert [(v[4], v[5]) for v in lara] == [(False, "False"), (True, "True")]
    assert len(customers[by_name["Uma Rao"]]) == 1
    finn = {r["customer_id"]: r["full_name"] for r in _read("seeds", "raw_customers_tomorrow.csv")}[
        str(by_name["Finn Larsen"])
    ]
    assert finn == "Finn K. Larsen" and [v[0] for v in customers[by_name["Finn Larsen"]]] == ["Finn Larsen"], (
        "a change outside check_cols records no version"
    )
    assert by_name["Lara Silva"] not in {r[0] for r in state["dim_customers"]}

    back = states["back"]
    assert sorted(back["products_snapshot"], key=str) == sorted(state["products_snapshot"], key=str), (
        "timestamp: older updated_at values are not changes"
    )
    versions = Counter(r[0] for r in back["customers_snapshot"])
    for name in ("Greta Vogel", "Ivan Petrov", "Ada Byron", "Elif Kaya", "Lara Silva"):
        assert versions[by_name[name]] == 3, name  # check: changing back is a change too; Lara returns


# ---------------------------------------------------------------- other right answers pass


ALTERNATIVE = {  # the same built things, spelled differently: every step must pass
    "snapshots/products_snapshot.yml": """\
snapshots:
  - name: products_snapshot
    relation: "ref('raw_products')"
    config:
      strategy: timestamp
      updated_at: updated_at
      unique_key: [product_id]
""",
    "snapshots/customers_snapshot.yml": """\
snapshots:
  - name: customers_snapshot
    relation: ref('raw_customers')
    config:
      hard_deletes: new_record
      check_cols: ['loyalty_tier', 'city', 'email']
      strategy: check
      unique_key: customer_id
""",
    "models/dim_products.sql": """\
select product_id, product_name, category,
       cast(price_cents / 100.0 as decimal(10, 2)) as price,
       dbt_valid_from as price_valid_from
from {{ ref('products_snapshot') }}
qualify row_number() over (partition by product_id order by dbt_valid_from desc) = 1
""",
    "models/dim_customers.sql": """\
{{ config(materialized='table') }}
select customer_id, full_name, email, city, loyalty_tier
from {{ ref('customers_snapshot') }}
where dbt_valid_to is null and dbt_is_deleted <> 'True'
""",
    "models/fct_orders.sql": """\
with orders as (select * from {{ ref('raw_orders') }}),
versions as (select * from {{ ref('products_snapshot') }})
select orders.order_id, orders.customer_id, orders.product_id, orders.ordered_at, orders.quantity,
       versions.category,
       (versions.price_cents / 100)::decimal(10, 2) as unit_price,  -- the step asks for decimal(10, 2)
       orders.quantity * (versions.price_cents / 100)::decimal(10, 2) as amount
from orders
left join versions
  on versions.product_id = orders.product_id
 and orders.ordered_at >= versions.dbt_valid_from
 and orders.ordered_at < coalesce(versions.dbt_valid_to, timestamp '9999-12-31')
""",
    "models/category_revenue.sql": """\
{%- set categories = ['accessories', 'apparel', 'components', 'tools'] -%}
select
    cast(date_trunc('month', ordered_at) as date) as order_month,
    sum(amount) as total_revenue,
    {%- for c in categories %}
    coalesce(sum(amount) filter (where category = '{{ c }}'), 0) as {{ c }}_revenue{% if not loop.last %},{% endif %}
    {%- endfor %}
from {{ ref('fct_orders') }}
group by order_month
""",
    "models/schema.yml": """\
version: 2
models:
  - name: dim_products
    data_tests:
      - unique: {column_name: product_id}
    columns:
      - name: product_id
        tests: [not_null]
  - name: dim_customers
    columns:
      - name: customer_id
        tests: [unique, not_null]
  - name: fct_orders
    columns:
      - name: order_id
        data_tests:
          - unique
          - not_null:
              config: {severity: error}
""",
}


@pytest.mark.slow
def test_other_right_answers_pass_every_step(engine, settings_env, lesson):
    """Other spellings of the same snapshots, filters, window, loop and tests pass with the real
    grader (one grading: the files are laid over the reference together)."""
    from decode_data.services.authoring.proofs import grade_files

    for feedback in grade_files(lesson, [step.id for step in lesson.steps], ALTERNATIVE):
        assert feedback.passed, (feedback.step_id, feedback.summary)
