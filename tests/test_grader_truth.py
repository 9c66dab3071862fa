"""The diagnosis tells the truth where it used to mislead: a double for a decimal, a key of the
wrong type, the config that really differs in a test, a test's own error. Real sandboxed dbt
builds of a small lab lesson, graded the way a lesson proof grades (no app database)."""

from __future__ import annotations

import pytest

from decode_data.services.authoring.proofs import grade_files
from tests.lesson_lab import write_lesson

STAGED = (
    "select order_id, customer_id, status,\n"
    "    cast(amount_cents / 100 as decimal(10, 2)) as amount,\n"
    "    amount_cents * 0.5 as half_cents\n"
    "from {{ ref('raw_orders') }}\n"
)
TESTS = """
models:
  - name: stg_orders
    columns:
      - name: order_id
        data_tests: [unique, not_null]
      - name: status
        data_tests:
          - accepted_values:
              arguments: {values: [placed, shipped, returned]}
              %s
"""
LESSON = {
    "lesson.yml": """
        id: truth_lab
        title: Truth lab
        editable: ["models/*.sql", "models/*.yml"]
        steps:
          - id: staged
            title: Staged
            instructions: Stage the orders, with the amount in euros as a decimal.
            hints: [Cast., "cast(... as decimal(10, 2))"]
            checks:
              - {kind: relation, model: stg_orders}
          - id: tested
            title: Tested
            instructions: Accept only the known statuses.
            hints: [accepted_values., "values: [placed, shipped, returned]"]
            checks:
              - {kind: dbt_tests, model: stg_orders, column: status, tests: [accepted_values]}
              - {kind: tests_match, model: stg_orders, column: status, tests: [accepted_values], seeds: seeds_bad}
          - id: all_pass
            title: All pass
            instructions: Every test passes.
            checks:
              - {kind: tests_pass, model: stg_orders}
    """,
    "seeds/raw_orders.csv": "order_id,customer_id,status,amount_cents\n1,1,placed,1250\n2,1,shipped,399\n"
    "3,2,placed,725\n4,3,returned,2000\n5,3,placed,110\n",
    "seeds_variant/raw_orders.csv": "order_id,customer_id,status,amount_cents\n11,7,shipped,990\n12,8,placed,45\n"
    "13,8,returned,1301\n",
    "seeds_bad/raw_orders.csv": "order_id,customer_id,status,amount_cents\n1,1,placed,1250\n2,1,lost,399\n"
    "3,2,LOST,725\n4,3,unknown,2000\n5,3,placed,110\n",
    "starter/models/stg_orders.sql": "select 'replace me' as todo\n",
    "starter/models/schema.yml": "version: 2\n",
    "solution/models/stg_orders.sql": STAGED,
    "solution/models/schema.yml": TESTS % "",
}


@pytest.fixture
def truth_lab(tmp_path):
    return write_lesson(tmp_path / "lessons" / "truth_lab", LESSON)


def _failure(lab, step: str, files: dict[str, str]):
    feedback = grade_files(lab, [step], files)[0]
    assert not feedback.passed, feedback.summary
    return feedback.first_failure


def test_the_reference_passes(engine, truth_lab):
    feedback = grade_files(truth_lab, ["staged", "tested"], {})
    assert all(f.passed for f in feedback), [f.summary for f in feedback]


def test_a_double_where_the_reference_casts_to_decimal_fails_with_both_types(engine, truth_lab):
    double = STAGED.replace("cast(amount_cents / 100 as decimal(10, 2))", "amount_cents / 100")
    failure = _failure(truth_lab, "staged", {"models/stg_orders.sql": double})
    assert failure.stage == "types" and "amount is a double, expected decimal(10,2)" in failure.message


def test_a_decimal_the_reference_only_gets_from_arithmetic_is_not_required(engine, truth_lab):
    """half_cents is a decimal in the reference only because of the literal 0.5: as loose as / 2."""
    halved = STAGED.replace("amount_cents * 0.5", "amount_cents / 2")
    feedback = grade_files(truth_lab, ["staged"], {"models/stg_orders.sql": halved})[0]
    assert feedback.passed, feedback.summary


def test_a_key_of_the_wrong_type_is_named(engine, truth_lab):
    as_text = STAGED.replace("select order_id,", "select cast(order_id as varchar) as order_id,")
    failure = _failure(truth_lab, "staged", {"models/stg_orders.sql": as_text})
    assert "key_type" in failure.shapes and "order_id is text (VARCHAR) in your result" in failure.message
    assert "missing from your result" not in failure.message


def test_a_test_that_errors_shows_its_own_error(engine, truth_lab):
    typo = TESTS % "config: {where: \"stauts <> 'x'\"}"
    failure = _failure(truth_lab, "tested", {"models/schema.yml": typo})
    assert failure.kind == "dbt_tests" and "does not pass: the test itself fails to run" in failure.message
    assert "stauts" in failure.message and failure.path == "models/schema.yml"


def test_tests_pass_says_why_the_first_failing_test_fails(engine, truth_lab):
    """Not only the failing tests' names: the first one's own error, at its file and line."""
    typo = TESTS % "config: {where: \"stauts <> 'x'\"}"
    failure = _failure(truth_lab, "all_pass", {"models/schema.yml": typo})
    assert failure.kind == "tests_pass" and failure.message.startswith("These tests do not pass: accepted_values_")
    assert "the test itself fails to run" in failure.message and "stauts" in failure.message
    assert failure.path == "models/schema.yml"


def test_tests_match_names_the_config_that_differs(engine, truth_lab):
    limited = _failure(truth_lab, "tested", {"models/schema.yml": TESTS % "config: {limit: 1}"})
    assert limited.kind == "tests_match" and "finds 1 failing rows; the step expects 3" in limited.message
    assert "`limit` config" in limited.message and "where" not in limited.message
    loose = _failure(truth_lab, "tested", {"models/schema.yml": TESTS % "config: {error_if: '>10'}"})
    # A threshold the step's test does not have is named before any data is compared.
    assert loose.kind == "dbt_tests" and 'has `error_if: ">10"`: it lets that many bad rows through' in loose.message


def test_a_differing_config_or_argument_is_told_by_what_changes_the_test():
    """SQL words, spacing and quotes do not change a `where`; the case of a value does: accepted
    values 'Email' and 'email' are different tests."""
    from decode_data.services.grader.checks_config import config_differences

    step = {"config": {"where": "status = 'open'"}, "test_kwargs": {"values": ["email", "chat"]}}
    same = {"config": {"where": 'STATUS  =  "open"'}, "test_kwargs": {"values": ["chat", "email"]}}
    assert config_differences(step, same) == []
    title_case = {"config": {"where": "status = 'Open'"}, "test_kwargs": {"values": ["Email", "Chat"]}}
    assert config_differences(step, title_case) == [("where", "config"), ("values", "argument")]


def test_a_test_that_compares_with_another_model_than_the_steps_is_named():
    """A relationships test to the seed agrees with the step's (to the staging model) only while
    staging keeps every row: told whatever the data, with the model to point it at."""
    from decode_data.services.grader.test_strictness import loosened

    step = {"depends_on": ["model.lesson.stg_readings", "model.lesson.stg_meters"]}
    to_seed = {"depends_on": ["model.lesson.stg_readings", "seed.lesson.meters"]}
    to_source = {"depends_on": ["model.lesson.stg_readings", "source.lesson.raw.meters"]}
    assert "point it at stg_meters (for a relationships test, `to: ref('stg_meters')`)" in loosened([to_seed], [step])
    assert "compares with `source('raw', 'meters')`" in loosened([to_source], [step])
    assert loosened([to_seed, step], [step]) is None  # one of them is the step's
    assert (
        loosened([{"depends_on": ["model.lesson.stg_readings"]}], [{"depends_on": ["model.lesson.stg_readings"]}])
        is None
    )
