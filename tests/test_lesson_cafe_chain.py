"""The cafe_chain lesson, proven with real dbt builds.

Structure: the lesson loads through the catalog's loader, follows the authoring rules of
dbt_template/README.md (layout, editable globs, placeholders, check kinds, quiz), and its seed
generator reproduces the committed seeds/, seeds_variant/ and seeds_bad/ byte for byte. The
variant shares no value a learner could type in with seeds/, both hold the edge rows the wrong
answers need, and seeds_bad/ adds each kind of bad row in its own number.

Behaviour: starter/ (+ solution/) is laid into a learner-shaped project on one seed set, and
`dbt seed`, `dbt run`, `dbt test` run for real, each one a job of the session's warm engine
(tests/engine_builds.py), the builds side by side on its two workers.
Then:
  * the solution is green on seeds/ and seeds_variant/, and its marts hold the numbers computed
    here in plain Python from the CSV files;
  * on seeds_bad/ the solution's run is green but exactly the tests for the planted bad rows
    fail, each asked test with its own number of failing rows;
  * the bare starter builds green.

Grading: a learner saves the solution with typical mistakes (ref() of the seed instead of
source(), an inner join that loses voided orders, a WHERE that undoes a left join, a typed-in
table, a missing test, a missing description) and the real grader (decode_data/services/grader/)
fails exactly the checks meant to catch each mistake; a hard-coded table that reads its source
passes on seeds/ and fails on seeds_variant/. That the solution passes every step and the bare
starter fails each is what `lessons check` proves (tests/test_lessons_check.py).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath

import pytest
import yaml

from decode_data.services.authoring.solution_proof import solution_files
from decode_data.services.grader import CheckOutcome, StepFeedback, grade_steps
from decode_data.services.learners import get_or_create_learner
from decode_data.services.lessons import load_lesson
from decode_data.services.workspace import save_file
from decode_data.settings import REPO_ROOT
from tests.engine_builds import Build, new_build

LESSON_DIR = REPO_ROOT / "dbt_template" / "cafe_chain"
SEED_SETS = ("seeds", "seeds_variant", "seeds_bad")
SEED_FILES = ["raw_order_lines.csv", "raw_orders.csv", "raw_products.csv", "raw_stores.csv"]
LESSON_ENTRIES = {"lesson.yml", "steps", *SEED_SETS, "starter", "solution", "tools", "wrong_answers"}
CHECK_FIELDS = {  # kind -> required fields (README, "Checks")
    "relation": {"model"},
    "exists": {"model"},
    "depends_on": {"model", "parents"},
    "uses_ref": {"model"},
    "materialized": {"model", "materialized"},
    "dbt_tests": {"model", "tests"},
    "tests_pass": set(),
    "tests_catch": set(),
    "unit_tests": {"model"},
    "documented": {"model"},
    "sql": {"sql", "expect_min"},
    "docs_block": {"model", "doc"},
    "tests_match": {"model"},
}
DEFAULT_MESSAGE_KINDS = {"docs_block"}  # the grader's own text says which block and which column
STAGING = {"stg_stores", "stg_products", "stg_orders", "stg_order_lines"}
MARTS = {"fct_orders", "mart_store_daily_revenue", "dim_stores", "mart_product_performance"}
SOURCE_TABLES = {
    "stores": "raw_stores",
    "products": "raw_products",
    "orders": "raw_orders",
    "order_lines": "raw_order_lines",
}
TIME_FORMAT = "%d/%m/%Y %H:%M"

# The tests of the solution that the bad rows of seeds_bad/ trip, and only those:
# (generic test, model, column) -> number of failing rows (dbt's `failures`).
EXPECTED_BAD_FAILURES = {
    ("unique", "stg_orders", "order_id"): 1,  # order 17 twice
    ("not_null", "stg_orders", "order_id"): 1,  # an order without an id
    ("unique", "fct_orders", "order_id"): 1,  # both reach the fact table too
    ("not_null", "fct_orders", "order_id"): 1,
    ("not_null", "stg_orders", "store_id"): 2,  # a sale and a refund without a store
    ("relationships", "stg_orders", "store_id"): 3,  # stores 9, 9 and 8
    ("relationships", "fct_orders", "store_id"): 3,  # (to dim_stores)
    ("accepted_values", "stg_orders", "status"): 2,  # 'pending', 'on hold'
    ("relationships", "stg_order_lines", "product_id"): 4,  # products 99, 99, 98, 0
}

# ---------------------------------------------------------------- structure


@pytest.fixture(scope="module")
def lesson():
    return load_lesson(LESSON_DIR)


@pytest.fixture(scope="module")
def raw_lesson() -> dict:
    return yaml.safe_load((LESSON_DIR / "lesson.yml").read_text(encoding="utf-8"))


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_lesson_loads_with_metadata(lesson):
    assert lesson.id == "cafe_chain" and lesson.dir == LESSON_DIR
    assert lesson.title and lesson.summary
    assert lesson.level == "intermediate"
    assert 30 <= lesson.minutes <= 120
    assert {p.name for p in LESSON_DIR.iterdir()} <= LESSON_ENTRIES


def test_steps_teach_at_length_and_checks_carry_their_fields(lesson):
    """The rules every lesson follows are in tests/test_lessons_catalog.py; these are this lesson's."""
    assert 5 <= len(lesson.steps) <= 8
    for step in lesson.steps:
        assert len(step.instructions) > 1000, step.id
        for check in step.checks:
            kind = check["kind"]
            assert kind in CHECK_FIELDS, (step.id, check)
            assert CHECK_FIELDS[kind] <= set(check), (step.id, check)
            if kind not in DEFAULT_MESSAGE_KINDS:
                assert isinstance(check.get("message"), str) and check["message"].strip(), (step.id, check)
            if "model" in check:
                assert check["model"] in STAGING | MARTS, (step.id, check)


def test_the_lesson_uses_the_check_kinds_it_teaches(lesson):
    kinds = Counter(check["kind"] for step in lesson.steps for check in step.checks)
    relation_models = {c["model"] for s in lesson.steps for c in s.checks if c["kind"] == "relation"}
    assert relation_models == STAGING | MARTS, "every model's data is compared with the reference"
    assert {"depends_on", "materialized", "dbt_tests", "tests_pass", "tests_match", "documented", "docs_block"} <= set(
        kinds
    )
    # sql checks only ask the warehouse for a column's type, which a relation check cannot see
    for check in (c for s in lesson.steps for c in s.checks if c["kind"] == "sql"):
        assert check["sql"].startswith("select count(*) from information_schema.columns where "), check
    tested = {t for s in lesson.steps for c in s.checks if c["kind"] == "dbt_tests" for t in c["tests"]}
    assert {"unique", "not_null", "relationships", "accepted_values"} <= tested
    # Every test the tests step asks for is also compared by behaviour on the bad rows.
    asked = {
        (c["model"], c["column"], tuple(c["tests"])) for s in lesson.steps for c in s.checks if c["kind"] == "dbt_tests"
    }
    matched = {
        (c["model"], c["column"], tuple(c["tests"]))
        for s in lesson.steps
        for c in s.checks
        if c["kind"] == "tests_match" and c.get("seeds") == "seeds_bad"
    }
    assert asked == matched
    # The daily mart has no unique column of its own: its relation check names the key.
    daily = next(
        c
        for s in lesson.steps
        for c in s.checks
        if c["kind"] == "relation" and c["model"] == "mart_store_daily_revenue"
    )
    assert daily["key"] == ["store_id", "order_date"]


def test_staging_checks_require_a_source_not_the_seed(lesson):
    """The source tables are named apart from the seeds, so only source() satisfies depends_on."""
    for step in lesson.steps:
        for check in step.checks:
            if check["kind"] == "depends_on" and check["model"] in STAGING:
                assert len(check["parents"]) == 1 and check["parents"][0] in SOURCE_TABLES, check
                assert not check["parents"][0].startswith("raw_"), check


def test_quiz_moves_the_right_answer_around(raw_lesson, lesson):
    quiz = raw_lesson["quiz"]
    assert len(Counter(item["answer"] for item in quiz)) > 1, "the right answer is not always in one place"
    assert len(lesson.quiz) == len(quiz)


@pytest.mark.parametrize("seeds", SEED_SETS)
def test_every_seed_set_has_the_same_files(seeds):
    assert _files(LESSON_DIR / seeds) == SEED_FILES


def test_editable_globs_cover_learner_files_and_nothing_else(lesson):
    for rel in _files(lesson.starter_dir) + _files(lesson.solution_dir):
        assert lesson.is_editable(rel), rel
    for rel in [
        "dbt_project.yml",
        "profiles.yml",
        "packages.yml",
        "models/evil.py",
        "models/staging/evil.py",
        "macros/x.sql",
        *(f"{s}/{n}" for s in SEED_SETS for n in SEED_FILES),
    ]:
        assert not lesson.is_editable(rel), rel


def test_starter_holds_a_placeholder_for_every_solution_file(lesson):
    starter, solution = _files(lesson.starter_dir), _files(lesson.solution_dir)
    assert starter == solution
    assert {PurePosixPath(r).stem for r in solution if r.endswith(".sql")} == STAGING | MARTS
    steps_of = {}
    for rel in starter:
        text = (lesson.starter_dir / rel).read_text(encoding="utf-8")
        if rel.endswith(".sql"):
            assert "{{" not in text and "{%" not in text, f"{rel}: a placeholder has no Jinja"
            placeholder = text.strip().splitlines()[-1]
            assert placeholder.startswith("select 'replace me in step "), rel
            steps_of[PurePosixPath(rel).stem] = int(placeholder.split("step ")[1].split("'")[0])
        elif rel.endswith(".md"):  # a docs file: plain text until the learner writes a docs block
            assert "{%" not in text and "{{" not in text and text.startswith("STEP 7"), rel
        else:
            assert isinstance(yaml.safe_load(text), dict), f"{rel} must parse as YAML"
    # The step a placeholder names is the step whose relation check looks at that model.
    for number, step in enumerate(lesson.steps, start=1):
        for check in step.checks:
            if check["kind"] == "relation":
                assert steps_of[check["model"]] == number, (check["model"], number)


def test_solution_reads_inputs_with_source_and_ref():
    for rel in _files(LESSON_DIR / "solution"):
        if not rel.endswith(".sql"):
            continue
        text = (LESSON_DIR / "solution" / rel).read_text(encoding="utf-8")
        code = "\n".join(line.split("--")[0] for line in text.splitlines())
        assert "main." not in code and "raw_" not in code, f"{rel} must not type a table name"
        if PurePosixPath(rel).stem in STAGING:
            assert "{{ source('raw', '" in text and "ref(" not in text, rel
        else:
            assert "{{ ref('" in text and "source(" not in text, rel
            assert "{{ config(materialized='table') }}" in text, f"{rel}: marts are tables"


def test_solution_yaml_declares_sources_and_documents_and_tests():
    sources = yaml.safe_load((LESSON_DIR / "solution/models/staging/_sources.yml").read_text())
    (raw,) = sources["sources"]
    assert raw["name"] == "raw" and raw["schema"] == "main"
    assert {t["name"]: t["identifier"] for t in raw["tables"]} == SOURCE_TABLES
    models = {}
    for name in ("staging/_staging.yml", "marts/_marts.yml"):
        models.update(
            {m["name"]: m for m in yaml.safe_load((LESSON_DIR / "solution/models" / name).read_text())["models"]}
        )
    assert set(models) == STAGING | MARTS
    generic = set()
    for model in models.values():
        assert model["description"].strip(), model["name"]
        for column in model.get("columns", []):
            assert column["description"].strip(), (model["name"], column["name"])
            for test in column.get("data_tests", []):
                generic.add(test if isinstance(test, str) else next(iter(test)))
    assert generic == {"unique", "not_null", "relationships", "accepted_values"}


# ---------------------------------------------------------------- seeds


def _read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _raw(seeds: str) -> dict[str, list[dict]]:
    return {name[:-4]: _read_csv(LESSON_DIR / seeds / name) for name in SEED_FILES}


def test_seed_sets_are_small_same_shaped_and_different():
    main, variant = _raw("seeds"), _raw("seeds_variant")
    for raw in (main, variant):
        assert (len(raw["raw_stores"]), len(raw["raw_products"]), len(raw["raw_orders"])) == (5, 21, 200)
        assert 400 <= len(raw["raw_order_lines"]) <= 600
    for name in main:
        assert list(main[name][0]) == list(variant[name][0]), name
        assert main[name] != variant[name], f"the variant changes {name}"
    # The messes the staging step teaches are really there.
    statuses = {o["status"] for o in main["raw_orders"]}
    assert {"completed", "Completed", "COMPLETED"} <= statuses
    assert {s.lower() for s in statuses} == {"completed", "refunded", "voided"}
    assert all(datetime.strptime(o["ordered_at"], TIME_FORMAT) for o in main["raw_orders"] + variant["raw_orders"])


def test_variant_shares_no_value_a_learner_could_type_in():
    """A value copied from seeds/ (an id, a name, a city, a day, a price) is wrong on the variant."""
    main, variant = _raw("seeds"), _raw("seeds_variant")

    def values(raw, table, column):
        return {row[column] for row in raw[table]}

    for table, column in [
        ("raw_stores", "id"),
        ("raw_stores", "name"),
        ("raw_stores", "city"),
        ("raw_stores", "opened_on"),
        ("raw_products", "id"),
        ("raw_orders", "id"),
        ("raw_order_lines", "id"),
    ]:
        assert not values(main, table, column) & values(variant, table, column), (table, column)
    days = [
        {datetime.strptime(o["ordered_at"], TIME_FORMAT).date() for o in raw["raw_orders"]} for raw in (main, variant)
    ]
    assert not days[0] & days[1], "another fortnight"
    prices = [[p["price_cents"] for p in raw["raw_products"]] for raw in (main, variant)]
    assert prices[0] != prices[1]
    unsold = [_unsold(raw) for raw in (main, variant)]
    assert unsold[0] != unsold[1] and len(unsold[0]) == len(unsold[1]) == 1


def _unsold(raw) -> set[str]:
    sold = {line["product_id"] for line in raw["raw_order_lines"]}
    return {p["name"] for p in raw["raw_products"] if p["id"] not in sold}


@pytest.mark.parametrize("seeds", ["seeds", "seeds_variant"])
def test_both_sets_hold_the_rows_that_tell_the_mistakes_apart(seeds):
    raw = _raw(seeds)
    orders = {
        o["id"]: (o["store_id"], datetime.strptime(o["ordered_at"], TIME_FORMAT), o["status"].lower())
        for o in raw["raw_orders"]
    }
    with_lines = {line["order_id"] for line in raw["raw_order_lines"]}
    # voided orders have no lines (inner join, coalesce); every other order has some
    assert {i for i, o in orders.items() if o[2] == "voided"} == set(orders) - with_lines != set()
    # a store without orders (inner join, count(*) after a left join), a product never sold
    assert len({s["id"] for s in raw["raw_stores"]} - {o[0] for o in orders.values()}) == 1
    assert len(_unsold(raw)) == 1
    # orders of several lines and quantities above 1 (fan-out; count of lines vs sum of quantity)
    assert Counter(line["order_id"] for line in raw["raw_order_lines"]).most_common(1)[0][1] >= 3
    assert {line["qty"] for line in raw["raw_order_lines"]} >= {"1", "2", "3"}
    # the same product twice on one order (count(*) vs count(distinct order_id) per product)
    assert Counter((line["order_id"], line["product_id"]) for line in raw["raw_order_lines"]).most_common(1)[0][1] == 2
    # prices that are not whole euros (integer division, rounding)
    assert any(int(p["price_cents"]) % 100 for p in raw["raw_products"])
    # completed orders on the first day at 00:00 and the last day at 23:59, and around midnight
    # in between (a time-zone shift or a date cut moves them to another day)
    times = sorted((o[1], o[2]) for o in orders.values())
    assert times[0][0].time().isoformat() == "00:00:00" and times[-1][0].time().isoformat() == "23:59:00"
    assert times[0][1] == times[-1][1] == "completed"
    assert {t.hour for t, _ in times} >= {0, 23}
    # a store-day with only a refund (a missing status filter adds a row to the daily mart)
    by_day = defaultdict(set)
    for store, at, status in orders.values():
        by_day[store, at.date()].add(status)
    assert {"refunded"} in by_day.values()


def test_bad_set_is_the_main_set_plus_bad_rows():
    main, bad = _raw("seeds"), _raw("seeds_bad")
    for name in main:
        assert list(bad[name][0]) == list(main[name][0]), name
        assert bad[name][: len(main[name])] == main[name], name
    assert len(bad["raw_orders"]) == 210 and len(bad["raw_order_lines"]) == len(main["raw_order_lines"]) + 4


def test_every_step_ships_at_least_five_wrong_answers(lesson):
    from decode_data.services.authoring.wrong_answers import wrong_answers

    per_step = Counter(a.step_id for a in wrong_answers(lesson))
    assert {s.id: per_step[s.id] >= 5 for s in lesson.steps} == {s.id: True for s in lesson.steps}, per_step


# ---------------------------------------------------------------- typical mistakes, graded for real

# Solution passes and bare starter fails every step: `lessons check` proves it (tests/test_lessons_check.py).


def _mistakes() -> dict[str, str]:
    """The solution with the mistakes learners make, one per check they should trip."""
    staging = yaml.safe_load((LESSON_DIR / "solution/models/staging/_staging.yml").read_text())
    lines = next(m for m in staging["models"] if m["name"] == "stg_order_lines")
    next(c for c in lines["columns"] if c["name"] == "product_id")["data_tests"] = ["not_null"]
    marts = yaml.safe_load((LESSON_DIR / "solution/models/marts/_marts.yml").read_text())
    fct = next(m for m in marts["models"] if m["name"] == "fct_orders")
    next(c for c in fct["columns"] if c["name"] == "basket_size").pop("description")
    # dim_stores typed in from the answer on seeds/: it reads nothing.
    expected = _expected("seeds")
    values = ",\n".join(
        f"({s['id']}, '{s['name']}', date '{s['opened_on']}', '{s['city']}', "
        f"{expected['stores'][int(s['id'])][0]}, {expected['stores'][int(s['id'])][1]}, "
        f"{Decimal(expected['stores'][int(s['id'])][2]) / 100})"
        for s in expected["raw"]["raw_stores"]
    )
    # stg_products typed in from seeds/ too, but it reads its source: right there, wrong on
    # seeds_variant/.
    products = ",\n".join(
        f"({p['id']}, '{p['name'].replace(chr(39), chr(39) * 2)}', '{p['category'].lower()}', "
        f"{Decimal(p['price_cents']) / 100})"
        for p in expected["raw"]["raw_products"]
    )
    solution = LESSON_DIR / "solution" / "models"
    fct_sql = (solution / "marts/fct_orders.sql").read_text()
    return {
        "models/staging/stg_stores.sql": (solution / "staging/stg_stores.sql")
        .read_text()
        .replace("{{ source('raw', 'stores') }}", "{{ ref('raw_stores') }}"),
        "models/marts/fct_orders.sql": fct_sql.replace("left join order_totals", "join order_totals"),
        "models/staging/stg_products.sql": (
            "select product_id, product_name, category, cast(price as decimal(10, 2)) as price\n"
            f"from (values\n{products}\n) as t(product_id, product_name, category, price)\n"
            "where exists (select 1 from {{ source('raw', 'products') }})\n"
        ),
        "models/marts/dim_stores.sql": (
            "{{ config(materialized='table') }}\n"
            "select store_id, store_name, city, opened_on, completed_orders, refunded_orders,\n"
            "       cast(revenue as decimal(10, 2)) as revenue\n"
            f"from (values\n{values}\n) as t(store_id, store_name, opened_on, city, completed_orders,"
            " refunded_orders, revenue)\n"
        ),
        # The quiz's trap: a filter on the right-hand side of a left join, in the final WHERE.
        "models/marts/mart_product_performance.sql": (
            "{{ config(materialized='table') }}\n"
            "select p.product_id, p.product_name, p.category,\n"
            "       coalesce(sum(l.quantity), 0) as units_sold, count(distinct l.order_id) as orders,\n"
            "       coalesce(sum(l.line_total), 0) as revenue\n"
            "from {{ ref('stg_products') }} as p\n"
            "left join {{ ref('stg_order_lines') }} as l on p.product_id = l.product_id\n"
            "left join {{ ref('stg_orders') }} as o on l.order_id = o.order_id\n"
            "where o.status = 'completed'\n"
            "group by p.product_id, p.product_name, p.category\n"
        ),
        "models/staging/_staging.yml": yaml.safe_dump(staging, sort_keys=False),
        "models/marts/_marts.yml": yaml.safe_dump(marts, sort_keys=False),
    }


def _grade(
    db_session, username: str, lesson, changes: dict[str, str], step_ids: list[str] | None = None
) -> dict[str, StepFeedback]:
    """A learner saves the solution with `changes` applied, then the real grader grades it."""
    learner = get_or_create_learner(db_session, username)
    for path, text in {**solution_files(lesson), **changes}.items():
        save_file(db_session, learner, lesson, path, text)
    return {f.step_id: f for f in grade_steps(db_session, learner, lesson, step_ids)}


def _failed(feedback: StepFeedback) -> dict[tuple[str, str | None], CheckOutcome]:
    return {(c.kind, c.model): c for c in feedback.checks if not c.passed}


# Per step: the (kind, model) of the checks the mistakes must fail on seeds/; all others pass.
MISTAKES_FAIL = {
    "sources": {("depends_on", "stg_stores")},  # ref() of the seed instead of source()
    "staging": set(),  # stg_products typed in: right on seeds/ (wrong on seeds_variant/)
    "fct_orders": {("relation", "fct_orders")},  # inner join: the voided orders are gone
    "daily_revenue": set(),  # completed orders only, so the inner join above does not show here
    "dimensions": {
        ("depends_on", "dim_stores"),  # typed-in values read nothing
        ("relation", "mart_product_performance"),
    },  # WHERE after the left join
    "tests": {
        ("dbt_tests", "stg_order_lines"),
        ("tests_match", "stg_order_lines"),  # no relationships test
        # the inner join in fct_orders (above) drops the bad order without an id, which has
        # no lines: on the bad rows fct_orders' not_null finds nothing
        ("tests_match", "fct_orders"),
    },
    "docs": {("documented", "fct_orders")},  # basket_size undescribed
}


def test_checks_catch_typical_mistakes(engine, db_session, lesson, builds):
    """Asks for `builds` only to start the dbt builds below first: they run while the grader works."""
    assert [s.id for s in lesson.steps] == list(MISTAKES_FAIL)
    graded = _grade(db_session, "mistaken", lesson, _mistakes())
    for step_id, feedback in graded.items():
        on_seeds = {key for key, c in _failed(feedback).items() if c.seeds != "seeds_variant"}
        assert on_seeds == MISTAKES_FAIL[step_id], (step_id, feedback.summary)
    assert _failed(graded["sources"])["depends_on", "stg_stores"].stage == "graph"
    # The joins lose rows without any error: the learner is told how many.
    voided = sum(o["status"] == "voided" for o in _expected("seeds")["orders"].values())
    lost = _failed(graded["fct_orders"])["relation", "fct_orders"]
    assert (lost.stage, lost.expected_rows, lost.actual_rows) == ("row_count", 200, 200 - voided)
    lost = _failed(graded["dimensions"])["relation", "mart_product_performance"]
    assert (lost.stage, lost.expected_rows, lost.actual_rows) == ("row_count", 21, 20)
    assert [row for row in lost.diff["missing"] if "Pumpkin spice latte" in row]
    assert _failed(graded["dimensions"])["depends_on", "dim_stores"].stage == "graph"
    tests = _failed(graded["tests"])
    assert tests["dbt_tests", "stg_order_lines"].stage == "tests"
    assert tests["tests_match", "stg_order_lines"].seeds == "seeds_bad"
    docs = _failed(graded["docs"])["documented", "fct_orders"]
    assert docs.stage == "graph" and "basket_size" in docs.message
    assert graded["daily_revenue"].passed, graded["daily_revenue"].summary

    # A hard-coded answer: the typed-in stg_products passes every check of its step on seeds/,
    # then fails on seeds_variant/, and the learner is told so.
    failure = graded["staging"].first_failure
    assert set(_failed(graded["staging"])) == {("relation", "stg_products")}
    assert failure.seeds == "seeds_variant" and failure.stage == "values"
    assert failure.message.startswith("Your work gives the right answer on the lesson's data")


# ---------------------------------------------------------------- real dbt builds


def _run_build(engine, root: Path, layers: list[str], seeds: str) -> Build:
    build = new_build(engine, root, LESSON_DIR, layers, seeds)
    build.extra.update(name=f"{'+'.join(layers)} on {seeds}", seeds=seeds)
    for command in ("seed", "run", "test"):
        build.dbt(command)
    return build


BUILDS = {  # key -> (layers, seed set)
    "solution": (["starter", "solution"], "seeds"),
    "solution_variant": (["starter", "solution"], "seeds_variant"),
    "solution_bad": (["starter", "solution"], "seeds_bad"),
    "starter": (["starter"], "seeds"),
}


class _Started(dict):
    """Builds under way, by key: reading one waits for it."""

    def __getitem__(self, key: str) -> Build:
        return super().__getitem__(key).result()


@pytest.fixture(scope="module")
def builds(engine, tmp_path_factory):
    """All builds of this file, started at once, two at a time (the engine's two workers)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield _Started(
            {
                key: pool.submit(_run_build, engine, tmp_path_factory.mktemp(key), layers, seeds)
                for key, (layers, seeds) in BUILDS.items()
            }
        )


def _query(build: Build, sql: str) -> list[tuple]:
    return build.query(sql)


def _assert_green(build: Build, commands=("seed", "run", "test")) -> None:
    for command in commands:
        bad = {uid: s for uid, s in build.statuses(command).items() if s not in ("success", "pass")}
        assert build.ok(command) and not bad, f"{build.extra['name']}: {bad}\n{build.describe(command)}"


@pytest.mark.parametrize("key", ["solution", "solution_variant"])
def test_solution_seeds_runs_and_tests_green(builds, key):
    build = builds[key]
    _assert_green(build)
    assert len(build.statuses("seed")) == 4
    assert {uid.split(".")[-1] for uid in build.statuses("run")} == STAGING | MARTS
    assert len(build.statuses("test")) >= 20


def test_starter_builds_green(builds):
    _assert_green(builds["starter"])
    assert len(builds["starter"].statuses("run")) == len(STAGING | MARTS)
    assert builds["starter"].statuses("test") == {}, "the starter has no tests yet"


def test_solution_dag_reads_sources_then_refs(builds):
    graph = builds["solution"].graph
    names = {uid: node["name"] for uid, node in graph.items()}
    models = {n["name"]: n for n in graph.values() if n["resource_type"] == "model"}
    parents = {name: sorted(names[p] for p in m["depends_on"]) for name, m in models.items()}
    assert parents == {
        "stg_stores": ["stores"],
        "stg_products": ["products"],
        "stg_orders": ["orders"],
        "stg_order_lines": ["order_lines"],
        "fct_orders": ["stg_order_lines", "stg_orders"],
        "mart_store_daily_revenue": ["fct_orders", "stg_stores"],
        "dim_stores": ["fct_orders", "stg_stores"],
        "mart_product_performance": ["stg_order_lines", "stg_orders", "stg_products"],
    }
    compiled = builds["solution"].results["run"].compiled
    for name in STAGING:
        (parent,) = models[name]["depends_on"]
        assert parent.startswith("source.lesson.raw."), (name, parent)
        # The source resolves to its seed's table in schema main, as dbt compiled the model.
        table = SOURCE_TABLES[names[parent]]
        assert f'"main"."{table}"' in compiled[f"model.lesson.{name}"], (name, table)
    materialized = {name: m["materialized"] for name, m in models.items()}
    assert materialized == {**dict.fromkeys(STAGING, "view"), **dict.fromkeys(MARTS, "table")}
    kinds = dict(
        _query(
            builds["solution"],
            "select table_name, table_type from information_schema.tables where table_schema = 'main'",
        )
    )
    assert {kinds[n] for n in STAGING} == {"VIEW"} and {kinds[n] for n in MARTS} == {"BASE TABLE"}


@pytest.mark.parametrize("key", ["solution", "solution_variant", "solution_bad"])
def test_staging_cleans_the_types(builds, key):
    types = {
        (t, c): d
        for t, c, d in _query(
            builds[key],
            ("select table_name, column_name, data_type from information_schema.columns where table_schema = 'main'"),
        )
    }
    assert types["raw_orders", "ordered_at"] == "VARCHAR", "the seed keeps the till's text times"
    assert types["stg_orders", "ordered_at"] == "TIMESTAMP"
    assert types["fct_orders", "order_date"] == "DATE"
    assert types["stg_products", "price"] == types["stg_order_lines", "unit_price"] == "DECIMAL(10,2)"
    assert types["raw_products", "price_cents"] == "INTEGER"
    statuses = sorted(
        [("completed",), ("refunded",), ("voided",)] + ([("on hold",), ("pending",)] if key == "solution_bad" else [])
    )
    assert _query(builds[key], "select distinct status from stg_orders order by 1") == statuses
    assert _query(builds[key], "select count(*) from stg_products where category <> lower(category)") == [(0,)]


def _expected(seeds: str) -> dict:
    """Every mart's numbers, computed from the CSV files in plain Python (cents as integers)."""
    raw = _raw(seeds)
    orders = {}
    for o in raw["raw_orders"]:
        at = datetime.strptime(o["ordered_at"], TIME_FORMAT)
        orders[int(o["id"])] = {
            "store": int(o["store_id"]),
            "date": at.date(),
            "at": at,
            "status": o["status"].lower(),
            "items": 0,
            "cents": 0,
        }
    product_sales = defaultdict(lambda: [0, set(), 0])  # units, orders, cents (completed orders)
    for line in raw["raw_order_lines"]:
        order, qty, cents = (
            orders[int(line["order_id"])],
            int(line["qty"]),
            int(line["qty"]) * int(line["unit_price_cents"]),
        )
        order["items"] += qty
        order["cents"] += cents
        if order["status"] == "completed":
            sales = product_sales[int(line["product_id"])]
            sales[0] += qty
            sales[1].add(int(line["order_id"]))
            sales[2] += cents
    stores = defaultdict(lambda: [0, 0, 0])  # completed, refunded, revenue cents
    daily = defaultdict(lambda: [0, 0, 0])  # orders, items, revenue cents
    for order in orders.values():
        if order["status"] == "completed":
            stores[order["store"]][0] += 1
            stores[order["store"]][2] += order["cents"]
            cell = daily[order["store"], order["date"]]
            cell[0] += 1
            cell[1] += order["items"]
            cell[2] += order["cents"]
        elif order["status"] == "refunded":
            stores[order["store"]][1] += 1
    return {"raw": raw, "orders": orders, "stores": stores, "daily": daily, "products": product_sales}


@pytest.mark.parametrize("key", ["solution", "solution_variant"])
def test_marts_hold_the_numbers_computed_from_the_csv_files(builds, key):
    build = builds[key]
    expected = _expected(build.extra["seeds"])
    raw, orders = expected["raw"], expected["orders"]

    fct = _query(
        build,
        "select order_id, store_id, ordered_at, order_date, status, basket_size, "
        "order_total from fct_orders order by order_id",
    )
    assert fct == [
        (i, o["store"], o["at"], o["date"], o["status"], o["items"], Decimal(o["cents"]) / 100)
        for i, o in sorted(orders.items())
    ]
    voided = [o for o in orders.values() if o["status"] == "voided"]
    assert voided and all(o["items"] == 0 and o["cents"] == 0 for o in voided), "voided orders keep a row"

    revenue_cents = sum(o["cents"] for o in orders.values() if o["status"] == "completed")
    for table in ("mart_store_daily_revenue", "dim_stores", "mart_product_performance"):
        assert _query(build, f"select sum(revenue) from {table}") == [(Decimal(revenue_cents) / 100,)], table

    daily = _query(
        build,
        "select store_id, order_date, orders, items_sold, revenue, avg_basket_size, "
        "avg_order_value from mart_store_daily_revenue order by store_id, order_date",
    )
    assert [row[:5] for row in daily] == [
        (s, d, n, items, Decimal(c) / 100) for (s, d), (n, items, c) in sorted(expected["daily"].items())
    ]
    for _store, _day, n, items, revenue, avg_basket, avg_value in daily:
        assert avg_basket == pytest.approx(items / n) and avg_value == pytest.approx(float(revenue) / n)

    stores = _query(build, "select store_id, completed_orders, refunded_orders, revenue from dim_stores order by 1")
    assert stores == [
        (int(s["id"]), *expected["stores"][int(s["id"])][:2], Decimal(expected["stores"][int(s["id"])][2]) / 100)
        for s in raw["raw_stores"]
    ]
    assert stores[-1][1:] == (0, 0, Decimal(0)), "the newest store has no orders and is still there"

    products = _query(build, "select product_id, units_sold, orders, revenue from mart_product_performance order by 1")
    sales = expected["products"]
    unsold = [p["name"] for p in raw["raw_products"] if int(p["id"]) not in sales]
    assert unsold == [{"seeds": "Pumpkin spice latte", "seeds_variant": "Gingerbread latte"}[build.extra["seeds"]]]
    assert products == [
        (int(p["id"]), sales[int(p["id"])][0], len(sales[int(p["id"])][1]), Decimal(sales[int(p["id"])][2]) / 100)
        for p in raw["raw_products"]
    ]
    assert products[-1][1:] == (0, 0, Decimal(0)), "the seasonal latte never sold and is still there"


def test_solution_marts_differ_between_seed_sets(builds):
    """So a model that hard-codes the answer for seeds/ fails on seeds_variant/."""
    for model in sorted(STAGING | MARTS):
        rows = [Counter(_query(builds[k], f"select * from {model}")) for k in ("solution", "solution_variant")]
        assert rows[0] != rows[1], model


def _failing_tests(build: Build) -> dict[tuple[str, str, str], int]:
    graph, failures = build.graph, build.failures("test")
    failed = {}
    for uid, status in build.statuses("test").items():
        if status in ("fail", "error"):
            node = graph[uid]
            failed[(node["test_name"], node["attached"].split(".")[-1], node["column"])] = failures[uid]
    return failed


def test_bad_seeds_make_exactly_the_right_tests_fail(builds):
    build = builds["solution_bad"]
    _assert_green(build, commands=("seed", "run"))
    assert not build.ok("test"), "dbt test must exit non-zero on the bad rows"
    assert _failing_tests(build) == EXPECTED_BAD_FAILURES
    assert len(build.statuses("test")) == len(builds["solution"].statuses("test"))
