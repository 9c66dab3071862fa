"""The grader end to end: real dbt builds of right and wrong submissions, real feedback."""

from __future__ import annotations

import textwrap

import pytest

from decode_data.services.grader import grade_step
from decode_data.services.workspace import ensure_workspace, save_file
from tests.lesson_lab import write_lesson

LESSON = {
    "lesson.yml": """
        id: grading_lab
        title: Grading lab
        editable: ["models/*.sql", "models/*.yml", "macros/*.sql"]
        steps:
          - id: totals
            title: Totals per customer
            instructions: Sum the orders per customer.
            hints: [Group by customer., "sum(amount) ... group by customer_id"]
            checks:
              - {kind: uses_ref, model: customer_totals}
              - {kind: depends_on, model: customer_totals, parents: [raw_orders]}
              - {kind: relation, model: customer_totals}
          - id: ranked
            title: Ranked
            instructions: Order customers by total.
            hints: [Use order by., "order by total desc"]
            checks:
              - {kind: relation, model: ranked, ordered: true}
              - {kind: materialized, model: ranked, materialized: table}
          - id: tested
            title: Tests
            instructions: Test the totals.
            hints: [Add a schema.yml., "unique and not_null on customer_id"]
            checks:
              - {kind: dbt_tests, model: customer_totals, column: customer_id, tests: [unique, not_null]}
              - {kind: tests_catch, model: customer_totals}
          - id: polish
            title: Macros, unit tests and docs
            instructions: Convert with the macro, unit-test and document.
            hints: [Use the macro., "{{ cents('amount') }}"]
            checks:
              - {kind: exists, model: customer_cents}
              - {kind: uses_macro, model: customer_cents, macro: cents}
              - {kind: unit_tests, model: customer_cents}
              - {kind: documented, model: customer_cents, columns: [total_cents]}
              - {kind: tests_pass, model: customer_cents}
              - {kind: sql, sql: "select count(*) from main.customer_cents where total_cents > 0", expect_min: 2}
    """,
    "seeds/raw_orders.csv": "id,customer_id,amount\n1,1,10.10\n2,1,5.20\n3,2,7.00\n4,3,1.50\n",
    "seeds_variant/raw_orders.csv": "id,customer_id,amount\n1,4,3.30\n2,5,9.90\n3,5,0.10\n",
    "seeds_bad/raw_orders.csv": "id,customer_id,amount\n1,1,10.10\n2,,5.20\n",
    "starter/models/customer_totals.sql": "select 'replace me' as todo\n",
    "starter/models/ranked.sql": "select 'replace me' as todo\n",
    "starter/models/schema.yml": "version: 2\n",
    "starter/models/customer_cents.sql": "select 'replace me' as todo\n",
    "starter/models/polish.yml": "version: 2\n",
    "starter/macros/cents.sql": "{% macro cents(x) %}round({{ x }} * 100)::bigint{% endmacro %}\n",
    "solution/models/customer_cents.sql": "select customer_id, sum({{ cents('amount') }}) as total_cents\n"
    "from {{ ref('raw_orders') }}\ngroup by customer_id\n",
    "solution/models/polish.yml": """
        version: 2
        models:
          - name: customer_cents
            description: Order totals per customer, in cents.
            columns:
              - name: total_cents
                description: The sum of the customer's orders, in whole cents.
        unit_tests:
          - name: sums_cents_per_customer
            model: customer_cents
            given:
              - input: ref('raw_orders')
                rows:
                  - {id: 1, customer_id: 7, amount: 1.25}
                  - {id: 2, customer_id: 7, amount: 0.75}
            expect:
              rows:
                - {customer_id: 7, total_cents: 200}
    """,
    "solution/models/customer_totals.sql": "select customer_id, sum(amount) as total\nfrom {{ ref('raw_orders') }}\ngroup by customer_id\n",
    "solution/models/ranked.sql": "{{ config(materialized='table') }}\nselect * from {{ ref('customer_totals') }}\norder by total desc\n",
    "solution/models/schema.yml": """
        version: 2
        models:
          - name: customer_totals
            columns:
              - name: customer_id
                data_tests: [unique, not_null]
    """,
}
SOLUTION_TOTALS = LESSON["solution/models/customer_totals.sql"]


@pytest.fixture
def lab(tmp_path):
    return write_lesson(tmp_path / "lessons" / "grading_lab", LESSON)


@pytest.fixture(scope="module")
def shared_data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("grading-lab-data")


@pytest.fixture
def settings_env(monkeypatch, tmp_path, shared_data_dir):
    """conftest's settings, but the tests of this file share one data folder, as the learners of
    a server do: the lab's reference builds (the same lesson in every test) are built by the
    first grading and reused by the others. Each test keeps its own app database, so its own
    learner, with a new warehouse key and so a workspace of its own."""
    from decode_data import settings as settings_module

    monkeypatch.setenv("DECODE_DATA_DIR", str(shared_data_dir))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/app.db")
    monkeypatch.setenv("DECODE_DATA_ENV", "test")
    for name in ("SECRET_KEY", "MOTHERDUCK_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings_module.reset_settings()
    yield settings_module.get_settings()
    settings_module.reset_settings()


def submit(db_session, learner, lab, files: dict[str, str]):
    ensure_workspace(db_session, learner, lab)
    for path, text in files.items():
        save_file(db_session, learner, lab, path, textwrap.dedent(text))


def first_failure(feedback):
    assert not feedback.passed
    return feedback.first_failure


def test_right_answer_passes_on_both_seed_sets(engine, db_session, learner, lab):
    submit(db_session, learner, lab, {"models/customer_totals.sql": SOLUTION_TOTALS})
    feedback = grade_step(db_session, learner, lab, "totals")
    assert feedback.passed, feedback.summary
    assert [c.seeds for c in feedback.checks] == ["seeds_variant"] * 3


def test_starter_fails_with_named_columns(engine, db_session, learner, lab):
    failure = first_failure(grade_step(db_session, learner, lab, "totals"))
    assert failure.kind == "uses_ref" and failure.stage == "graph"


def test_wrong_column_names_are_named(engine, db_session, learner, lab):
    submit(
        db_session,
        learner,
        lab,
        {
            "models/customer_totals.sql": "select customer_id as customer, sum(amount) as total from {{ ref('raw_orders') }} group by 1\n"
        },
    )
    failure = first_failure(grade_step(db_session, learner, lab, "totals"))
    assert failure.stage == "columns"
    assert failure.missing_columns == ["customer_id"] and failure.extra_columns == ["customer"]


def test_extra_rows_show_a_diff(engine, db_session, learner, lab):
    submit(
        db_session,
        learner,
        lab,
        {"models/customer_totals.sql": "select customer_id, amount as total from {{ ref('raw_orders') }}\n"},
    )
    failure = first_failure(grade_step(db_session, learner, lab, "totals"))
    assert failure.stage == "row_count"
    assert (failure.expected_rows, failure.actual_rows) == (3, 4)
    assert failure.diff["extra_total"] >= 1 and failure.diff["missing_total"] >= 1


def test_float_noise_passes(engine, db_session, learner, lab):
    submit(
        db_session,
        learner,
        lab,
        {
            "models/customer_totals.sql": "select customer_id, sum(amount::double) + 1e-9 as total from {{ ref('raw_orders') }} group by 1\n"
        },
    )
    assert grade_step(db_session, learner, lab, "totals").passed


def test_hard_coded_values_fail_on_the_variant(engine, db_session, learner, lab):
    submit(
        db_session,
        learner,
        lab,
        {
            "models/customer_totals.sql": """
        select * from (values (1, 15.30), (2, 7.00), (3, 1.50)) t(customer_id, total)
        where (select count(*) from {{ ref('raw_orders') }}) > 0
    """
        },
    )
    failure = first_failure(grade_step(db_session, learner, lab, "totals"))
    assert failure.seeds == "seeds_variant"
    assert failure.message.startswith("Your work gives the right answer on the lesson's data")


def test_missing_ref_fails_the_graph_check(engine, db_session, learner, lab):
    submit(
        db_session,
        learner,
        lab,
        {"models/customer_totals.sql": "select customer_id, sum(amount) as total from main.raw_orders group by 1\n"},
    )
    failure = first_failure(grade_step(db_session, learner, lab, "totals"))
    assert failure.kind == "uses_ref"
    assert "ref(" in failure.message and failure.path == "models/customer_totals.sql"
    # A ref() in a comment: dbt renders it and draws the edge, but the select reads a typed name.
    commented = (
        "-- reads {{ ref('raw_orders') }}\nselect customer_id, sum(amount) as total from main.raw_orders group by 1\n"
    )
    submit(db_session, learner, lab, {"models/customer_totals.sql": commented})
    assert first_failure(grade_step(db_session, learner, lab, "totals")).kind == "uses_ref"


def test_sql_error_points_at_the_line(engine, db_session, learner, lab):
    submit(
        db_session,
        learner,
        lab,
        {
            "models/customer_totals.sql": "select customer_id,\n  sum(amont) as total\nfrom {{ ref('raw_orders') }}\ngroup by 1\n"
        },
    )
    failure = first_failure(grade_step(db_session, learner, lab, "totals"))
    assert failure.stage == "compile"
    assert (failure.path, failure.line) == ("models/customer_totals.sql", 2)


def test_swapped_order_fails_when_order_matters(engine, db_session, learner, lab):
    submit(
        db_session,
        learner,
        lab,
        {
            "models/customer_totals.sql": SOLUTION_TOTALS,
            "models/ranked.sql": "{{ config(materialized='table') }}\n"
            "select * from {{ ref('customer_totals') }} order by total asc\n",
        },
    )
    failure = first_failure(grade_step(db_session, learner, lab, "ranked"))
    assert failure.stage == "order"


def test_view_instead_of_table_is_named(engine, db_session, learner, lab):
    submit(
        db_session,
        learner,
        lab,
        {
            "models/customer_totals.sql": SOLUTION_TOTALS,
            "models/ranked.sql": "select * from {{ ref('customer_totals') }} order by total desc\n",
        },
    )
    failure = first_failure(grade_step(db_session, learner, lab, "ranked"))
    assert failure.kind == "materialized" and "table" in failure.message
    # A misspelt key builds the same view, silently: the check says which key was meant.
    submit(
        db_session,
        learner,
        lab,
        {"models/ranked.sql": "{{ config(materialised='table') }}\nselect * from {{ ref('customer_totals') }}\n"},
    )
    failure = first_failure(grade_step(db_session, learner, lab, "ranked"))
    assert failure.kind == "materialized"
    assert "models/ranked.sql:1: dbt has no config named materialised" in failure.message, failure.message
    assert "Did you mean materialized?" in failure.message
    # A schema or alias config builds it under another name than the lesson reads: told so.
    for config, built in (("schema='marts'", "main_marts.ranked"), ("alias='ranked_v2'", "main.ranked_v2")):
        model = "{{ config(materialized='table', " + config + ") }}\nselect * from {{ ref('customer_totals') }}\n"
        submit(db_session, learner, lab, {"models/ranked.sql": model})
        failure = first_failure(grade_step(db_session, learner, lab, "ranked"))
        assert (
            f"dbt built ranked as {built}" in failure.message and "remove the `schema:` or `alias:`" in failure.message
        )


def test_learner_tests_must_exist_pass_and_catch_bad_rows(engine, db_session, learner, lab):
    submit(db_session, learner, lab, {"models/customer_totals.sql": SOLUTION_TOTALS})
    failure = first_failure(grade_step(db_session, learner, lab, "tested"))
    assert failure.kind == "dbt_tests" and "unique" in failure.message
    # Tests under a misspelt model name attach to nothing: the check names the entry.
    misspelt = LESSON["solution/models/schema.yml"].replace("name: customer_totals", "name: customer_total")
    submit(db_session, learner, lab, {"models/schema.yml": misspelt})
    failure = first_failure(grade_step(db_session, learner, lab, "tested"))
    assert "models/schema.yml:4: No model is named customer_total" in failure.message, failure.message
    assert "Did you mean customer_totals?" in failure.message
    # A test narrowed where the step's is not fails whatever the grader's data: the bad rows of
    # another data set could sit outside its `where`, or only warn.
    loosened = {
        'where: "customer_id > 1"': "Remove the where",
        "severity: warn": "only warns (severity: warn)",
        'error_if: ">5"': "lets that many bad rows through",
    }
    for config, said in loosened.items():
        narrowed = LESSON["solution/models/schema.yml"].replace(
            "data_tests: [unique, not_null]",
            f"data_tests:\n                  - unique\n                  - not_null:\n"
            f"                      config:\n                        {config}",
        )
        submit(db_session, learner, lab, {"models/schema.yml": narrowed})
        failure = first_failure(grade_step(db_session, learner, lab, "tested"))
        assert failure.message.startswith("Your `not_null` test on customer_totals.customer_id"), failure.message
        assert said in failure.message and failure.path == "models/schema.yml", failure.message
    submit(db_session, learner, lab, {"models/schema.yml": LESSON["solution/models/schema.yml"]})
    feedback = grade_step(db_session, learner, lab, "tested")
    assert feedback.passed, feedback.summary
    caught = next(c for c in feedback.checks if c.kind == "tests_catch")
    assert caught.seeds == "seeds_bad"
    # A model that filters the bad row away hides it from the right tests: the model is told.
    filtered = SOLUTION_TOTALS.replace("group by", "where customer_id is not null\ngroup by")
    submit(db_session, learner, lab, {"models/customer_totals.sql": filtered})
    failure = first_failure(grade_step(db_session, learner, lab, "tested"))
    assert failure.kind == "tests_catch" and "your model drops rows" in failure.message, failure.message


def test_macro_unit_test_docs_and_sql_checks(engine, db_session, learner, lab):
    failure = first_failure(grade_step(db_session, learner, lab, "polish"))
    assert failure.kind == "uses_macro"  # the placeholder exists but does not call cents()
    submit(db_session, learner, lab, {"models/customer_cents.sql": LESSON["solution/models/customer_cents.sql"]})
    # The SQL of the one call pasted into the macro: it builds the same, and ignores its argument.
    submit(
        db_session,
        learner,
        lab,
        {"macros/cents.sql": "{% macro cents(x) %}round(amount * 100)::bigint{% endmacro %}\n"},
    )
    failure = first_failure(grade_step(db_session, learner, lab, "polish"))
    assert failure.kind == "uses_macro" and "Your macro cents never uses x" in failure.message, failure.message
    assert failure.path == "macros/cents.sql"
    submit(db_session, learner, lab, {"macros/cents.sql": LESSON["starter/macros/cents.sql"]})
    failure = first_failure(grade_step(db_session, learner, lab, "polish"))
    assert failure.kind == "unit_tests" and "unit test" in failure.message
    solution_yml = textwrap.dedent(LESSON["solution/models/polish.yml"])
    submit(
        db_session,
        learner,
        lab,
        {
            "models/polish.yml": solution_yml.replace(
                "description: The sum of the customer's orders, in whole cents.", "description: ''"
            )
        },
    )
    failure = first_failure(grade_step(db_session, learner, lab, "polish"))
    assert failure.kind == "documented" and "total_cents" in failure.message
    submit(db_session, learner, lab, {"models/polish.yml": solution_yml})
    feedback = grade_step(db_session, learner, lab, "polish")
    assert feedback.passed, feedback.summary


def test_a_passed_check_says_what_it_proved():
    from decode_data.services.grader.describe import describe_pass

    assert (
        describe_pass({"kind": "depends_on", "model": "stg_orders", "parents": ["raw_orders"]})
        == "stg_orders reads from raw_orders"
    )
    assert describe_pass({"kind": "relation", "model": "fct"}) == "fct has the expected columns and rows"
    assert describe_pass({"kind": "tests_pass"}) == "Your tests pass on fresh data"
    # Checks look at the grader's own build: no line claims anything about the learner's warehouse.
    assert (
        describe_pass({"kind": "exists", "model": "raw_customers"})
        == "raw_customers builds from your project on fresh data"
    )
    assert describe_pass({"kind": "uses_macro", "model": "m"}) == "Passed"  # a field missing: still a line
    assert describe_pass({"kind": "from_the_future"}) == "Passed"


@pytest.mark.parametrize(
    "spelling",
    [
        "models:\n  - name: customer_totals\n    data_tests:\n      - unique: {column_name: customer_id}\n"
        "      - not_null:\n          arguments: {column_name: customer_id}\n",
        "models:\n  - name: customer_totals\n    columns:\n      - name: customer_id\n        tests: [unique, not_null]\n",
    ],
)
def test_any_spelling_dbt_accepts_for_a_test_passes(engine, db_session, learner, lab, spelling):
    submit(db_session, learner, lab, {"models/customer_totals.sql": SOLUTION_TOTALS, "models/schema.yml": spelling})
    feedback = grade_step(db_session, learner, lab, "tested")
    assert feedback.passed, feedback.summary


def test_a_step_that_teaches_jinja_reads_the_learners_file(tmp_path):
    """A pivot written out by hand builds the same table as the loop the step teaches; only the
    file tells them apart, and a loop in a comment does not count."""
    from decode_data.services.engine.jobs import JobResult
    from decode_data.services.grader.builds import Build
    from decode_data.services.grader.checks import CHECKS

    (tmp_path / "project" / "models").mkdir(parents=True)
    model = tmp_path / "project" / "models" / "pivot.sql"
    node = {"name": "pivot", "resource_type": "model", "path": "models/pivot.sql", "depends_on": []}
    lineage = {"nodes": {"model.lab.pivot": node}}
    build = Build("k", "seeds", {"project": tmp_path / "project"}, JobResult("success", "grade_build", lineage=lineage))
    check = {"kind": "uses_jinja", "model": "pivot", "tags": ["set", "for"]}
    looped = "{% set xs = ['a', 'b'] %}\nselect\n{%- for x in xs %} sum(v) as {{ x }},{% endfor %} 1 as n\n"
    by_hand = "-- {% set xs = ['a'] %} {% for x in xs %}\n{# {% for %} #}\nselect sum(v) as a, sum(v) as b, 1 as n\n"
    for text, passes in ((looped, True), (by_hand, False)):
        model.write_text(text)
        outcome = CHECKS["uses_jinja"](check, build, build)
        assert outcome.passed is passes, outcome.message
    assert "{% set %} and {% for %}" in outcome.message and outcome.path == "models/pivot.sql"
