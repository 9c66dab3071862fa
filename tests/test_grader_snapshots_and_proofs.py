"""Grading on two seed states (snapshots keep history), read-time errors, config checks and
lesson proofs: real sandboxed dbt builds on real DuckDB files."""

from __future__ import annotations

import pytest

from decode_data.services.authoring.proofs import grade_files, prove_wrong_answers
from tests.lesson_lab import write_lesson

CURRENT = (
    "select customer_id, city from {{ ref('customers_snapshot') }}\n"
    "where dbt_valid_to is null and dbt_is_deleted = 'False'\n"
)
LESSON = {
    "lesson.yml": """
        id: history_lab
        title: History lab
        editable: ["models/*.sql", "models/*.yml", "snapshots/*.yml"]
        steps:
          - id: snapshot
            title: Snapshot
            instructions: Record every version.
            hints: [Check strategy., "strategy: check"]
            checks:
              - kind: config
                model: customers_snapshot
                config: {strategy: check, unique_key: customer_id, hard_deletes: new_record}
              - {kind: relation, model: current_customers}
          - id: tested
            title: Tested
            instructions: Test the current rows.
            hints: [A unique test., "unique on customer_id"]
            checks:
              - kind: tests_catch
                model: current_customers
                broken:
                  - mistake: closed versions kept
                    files: {models/current_customers.sql: "select customer_id, city from {{ ref('customers_snapshot') }}"}
          - id: typed
            title: Typed
            instructions: Cast the city code.
            hints: [Cast., "cast(code as integer)"]
            checks:
              - {kind: relation, model: city_codes}
    """,
    "seeds/raw_customers.csv": "customer_id,city,code\n1,Oslo,10\n2,Rome,20\n3,Lima,30\n",
    "seeds_next/raw_customers.csv": "customer_id,city,code\n1,Bergen,10\n2,Rome,20\n",
    "seeds_variant/raw_customers.csv": "customer_id,city,code\n4,Kyiv,40\n5,Pune,50\n6,Cork,60\n",
    "seeds_variant_next/raw_customers.csv": "customer_id,city,code\n4,Kyiv,40\n6,Nice,60\n",
    "starter/models/current_customers.sql": "select 'replace me' as todo\n",
    "starter/models/city_codes.sql": "select 'replace me' as todo\n",
    "starter/snapshots/customers_snapshot.yml": "version: 2\n",
    "solution/models/current_customers.sql": CURRENT,
    "solution/models/schema.yml": "models:\n  - name: current_customers\n    columns:\n      - name: customer_id\n        data_tests: [unique]\n",
    "solution/models/city_codes.sql": "select customer_id, cast(code as integer) as code,\n"
    "    date '2024-01-01' + cast(code as integer) as since\n"
    "from {{ ref('raw_customers') }}\n",
    "solution/snapshots/customers_snapshot.yml": """
        snapshots:
          - name: customers_snapshot
            relation: ref('raw_customers')
            config: {unique_key: customer_id, strategy: check, check_cols: [city], hard_deletes: new_record}
    """,
    "wrong_answers/01_snapshot.yml": """
        step: snapshot
        wrong_answers:
          - mistake: current rows keep closed versions
            expect: in your result but not expected
            files:
              models/current_customers.sql: "select customer_id, city from {{ ref('customers_snapshot') }}\\n"
          - mistake: deleted customers still counted as current
            expect: "customer_id 3"
            files:
              models/current_customers.sql: "select customer_id, city from {{ ref('customers_snapshot') }} where dbt_valid_to is null\\n"
          - mistake: timestamp-free snapshot on the wrong key
            expect: unique_key
            files:
              snapshots/customers_snapshot.yml: |
                snapshots:
                  - name: customers_snapshot
                    relation: ref('raw_customers')
                    config: {unique_key: city, strategy: check, check_cols: [city], hard_deletes: new_record}
    """,
}


@pytest.fixture
def history_lab(tmp_path):
    return write_lesson(tmp_path / "lessons" / "history_lab", LESSON)


@pytest.fixture(scope="module", autouse=True)
def _data_dir(tmp_path_factory):
    """The proofs' scratch folders and the lab's reference builds live in a data folder of this
    file's own, shared by its tests as a server's learners share it (the reference is built
    once), and never in a developer's .data/."""
    from decode_data import settings

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DECODE_DATA_DIR", str(tmp_path_factory.mktemp("proofs-data")))
        patch.setenv("DECODE_DATA_ENV", "test")
        patch.delenv("DATABASE_URL", raising=False)
        settings.reset_settings()
        yield
    settings.reset_settings()


def test_the_reference_passes_and_snapshots_hold_two_states(engine, history_lab):
    feedback = grade_files(history_lab, ["snapshot", "tested", "typed"], {})
    assert all(f.passed for f in feedback), [f.summary for f in feedback]


def test_every_wrong_answer_fails_for_its_reason(engine, history_lab):
    proofs = prove_wrong_answers(history_lab)
    assert len(proofs) == 3
    assert all(p.ok for p in proofs), [p.describe() for p in proofs]


def test_a_view_that_fails_when_read_shows_the_error_and_its_line(engine, history_lab):
    broken = "select customer_id,\n  cast(city as integer) as code\nfrom {{ ref('raw_customers') }}\n"
    failure = grade_files(history_lab, ["typed"], {"models/city_codes.sql": broken})[0].first_failure
    assert failure.stage == "compile" and "reading it fails" in failure.message
    assert "Oslo" in failure.message or "convert" in failure.message.lower()
    assert failure.path == "models/city_codes.sql" and failure.line == 2


def test_learner_tests_must_catch_a_broken_version_of_the_model(engine, history_lab):
    untested = grade_files(history_lab, ["tested"], {"models/schema.yml": "version: 2\n"})[0]
    assert not untested.passed
    weak = "models:\n  - name: current_customers\n    columns:\n      - name: city\n        data_tests: [not_null]\n"
    failure = grade_files(history_lab, ["tested"], {"models/schema.yml": weak})[0].first_failure
    assert "broken version of current_customers (closed versions kept)" in failure.message


def test_a_restored_yaml_is_parsed_again_in_a_reused_folder(engine, history_lab):
    """dbt's partial parsing trusts file times: a file restored with an old time must still count."""
    weak = "models:\n  - name: current_customers\n    columns:\n      - name: city\n        data_tests: [not_null]\n"
    assert not grade_files(history_lab, ["tested"], {"models/schema.yml": weak})[0].passed
    restored = grade_files(history_lab, ["tested"], {})[0]
    assert restored.passed, restored.summary


def test_right_values_of_the_wrong_type_fail_with_the_cast_to_use(engine, history_lab):
    as_text = (
        "select customer_id, cast(code as integer) as code,\n"
        "    cast(date '2024-01-01' + cast(code as integer) as varchar) as since\nfrom {{ ref('raw_customers') }}\n"
    )
    failure = grade_files(history_lab, ["typed"], {"models/city_codes.sql": as_text})[0].first_failure
    assert failure.stage == "types" and "since are right, but it is text (VARCHAR)" in failure.message
    assert "cast(... as date)" in failure.message
