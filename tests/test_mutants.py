"""Mutants of lesson SQL (`authoring/mutants.py`): every operator on small models, the Jinja
kept intact, and every real lesson model mutated into valid DuckDB SQL. Pure: no dbt runs; a
mutant's Jinja is compiled here with a few stand-ins for dbt's functions."""

from __future__ import annotations

import difflib
import functools
import json
import re

import duckdb
import jinja2
import pytest

from decode_data.services.authoring.jinja_mask import mask, unmask
from decode_data.services.authoring.mutants import OPERATORS, Mutant, file_mutants, sql_mutants
from decode_data.settings import REPO_ROOT

JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TRIVIAL = re.compile(r"\s*select\s+\*\s+from\s+\{\{\s*ref\([^)]*\)\s*\}\}\s*", re.I)


def _lesson_files() -> list[tuple[str, str]]:
    """(lesson/project-relative path, file) of every solution model and snapshot."""
    found = []
    for solution in sorted((REPO_ROOT / "dbt_template").glob("*/solution")):
        for path in sorted(solution.rglob("*.sql")):
            relative = path.relative_to(solution).as_posix()
            if relative.startswith(("models/", "snapshots/")):
                found.append((f"{solution.parent.name}/{relative}", relative))
    return found


LESSON_FILES = _lesson_files()


@functools.cache
def lesson_mutants(name: str) -> tuple[str, list[Mutant]]:
    lesson, relative = name.split("/", 1)
    text = (REPO_ROOT / "dbt_template" / lesson / "solution" / relative).read_text(encoding="utf-8")
    return text, sql_mutants(text, relative)


def _sql_without_comments(text: str) -> str:
    return re.sub(r"--[^\n]*", "", JINJA.sub("", text))


# -- compiling a mutant's Jinja, and what DuckDB makes of the result ------------------------


def compile_model(text: str, incremental: bool) -> str:
    """dbt's compile, roughly: relations become names, the lessons' macro its argument."""
    return (
        jinja2.Environment(undefined=jinja2.StrictUndefined)
        .from_string(text)
        .render(
            ref=lambda *names: names[-1],
            source=lambda schema, table: f"{schema}_{table}",
            this="main.this_model",
            config=lambda *a, **k: "",
            is_incremental=lambda: incremental,
            var=lambda name, default=None: default,
            to_kwh=lambda value, unit: f"({value})",
        )
    )


@functools.cache
def _duckdb() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def duckdb_parse(sql: str):
    raw = _duckdb().execute("select json_serialize_sql(?)", [sql]).fetchone()[0]
    parsed = json.loads(raw)
    assert not parsed["error"], f"{parsed.get('error_message')}\n{sql}"
    return re.sub(r'"query_location(_length)?":\d+,?', "", raw)


def assert_valid_and_different(original: str, mutant: Mutant) -> None:
    """Both Jinja branches compile to SQL DuckDB parses; at least one means something else."""
    differs = False
    for incremental in (False, True):
        mine = duckdb_parse(compile_model(mutant.text, incremental))
        differs |= mine != duckdb_parse(compile_model(original, incremental))
    assert differs, f"{mutant.description}: same SQL as the original"


def _texts(sql: str, operator: str) -> list[str]:
    return [m.text for m in sql_mutants(sql, "models/m.sql") if m.operator == operator]


# -- every real lesson model -----------------------------------------------------------------


def test_the_lessons_have_models_to_mutate():
    assert len(LESSON_FILES) >= 20


@pytest.mark.parametrize("name", [n for n, _ in LESSON_FILES])
def test_every_lesson_model_has_valid_mutants_that_keep_its_jinja(name):
    text, mutants = lesson_mutants(name)
    if not TRIVIAL.fullmatch(_sql_without_comments(text)):
        assert mutants, f"{name}: no mutant"
    assert len({m.text for m in mutants}) == len(mutants), "duplicate mutants"
    assert len({m.description for m in mutants}) == len(mutants), "duplicate descriptions"
    assert text not in {m.text for m in mutants}
    assert sql_mutants(text, name.split("/", 1)[1]) == mutants, "not deterministic"
    for mutant in mutants:
        assert mutant.path == name.split("/", 1)[1]
        assert JINJA.findall(mutant.text) == JINJA.findall(text), mutant.description
        assert mutant.description and "\n" not in mutant.description
        assert "__jinja_" not in mutant.text + mutant.description
        assert_valid_and_different(text, mutant)


def test_each_operator_is_exercised_by_a_lesson_or_a_fixture():
    from_lessons = {m.operator for name, _ in LESSON_FILES for m in lesson_mutants(name)[1]}
    from_fixture = {m.operator for m in sql_mutants(KITCHEN_SINK, "models/sink.sql")}
    assert {name for name, _ in OPERATORS} == from_lessons | from_fixture
    assert len(from_lessons) >= 12  # most families show up on real lesson models


def test_the_incremental_filter_gets_its_off_by_one_mutant():
    text, mutants = lesson_mutants("energy_smart/models/marts/fct_hourly_consumption.sql")
    wanted = text.replace("where interval_start >= (", "where interval_start > (")
    assert wanted in [m.text for m in mutants]


def test_a_capped_list_is_a_diverse_prefix():
    text, every = lesson_mutants("energy_smart/models/marts/fct_daily_household_cost.sql")
    capped = sql_mutants(text, "models/marts/fct_daily_household_cost.sql", limit=5)
    assert capped == every[:5]
    assert len({m.operator for m in capped}) == 5


# -- one operator at a time --------------------------------------------------------------------

REF = "{{ ref('x') }}"


def test_comparison():
    texts = _texts(f"select a from {REF} where b > 1", "comparison")
    assert texts == [f"select a from {REF} where b >= 1"]
    texts = _texts(f"select a from {REF} where b <= 1 and c != 'x' and d = e", "comparison")
    assert f"select a from {REF} where b < 1 and c != 'x' and d = e" in texts
    assert f"select a from {REF} where b <= 1 and c = 'x' and d = e" in texts
    assert f"select a from {REF} where b <= 1 and c != 'x' and d <> e" in texts


def test_join_type_and_join_condition():
    sql = (
        f"select * from {REF} as a\nleft join {{{{ ref('y') }}}} as b\n"
        "    on a.id = b.id\n    and a.day >= b.valid_from\njoin z on z.id = a.id"
    )
    join_types = _texts(sql, "join_type")
    assert sql.replace("left join", "inner join") in join_types
    assert sql.replace("join z", "left join z") in join_types
    conditions = _texts(sql, "join_condition")
    assert sql.replace("\n    and a.day >= b.valid_from", "") in conditions
    assert sql.replace("a.id = b.id\n    and ", "") in conditions


def test_and_or_and_drop_predicate():
    sql = f"select a from {REF}\nwhere b = 1\n  and c = 2\nhaving count(*) > 3"
    assert _texts(sql, "and_or") == [sql.replace("and c", "or c")]
    dropped = _texts(sql, "drop_predicate")
    assert sql.replace("  and c = 2\n", "") in dropped
    assert sql.replace("b = 1\n  and ", "") in dropped
    assert sql.replace("\nhaving count(*) > 3", "") in dropped
    assert _texts(f"select a from {REF} where b", "drop_predicate") == [f"select a from {REF}"]


def test_coalesce_distinct_and_group_by():
    assert _texts(f"select coalesce(a, 0) as a from {REF}", "coalesce") == [f"select a as a from {REF}"]
    sql = f"select distinct a, count(distinct b) as n from {REF} group by a"
    distinct = _texts(sql, "distinct")
    assert sql.replace("distinct a", "a") in distinct
    assert sql.replace("count(distinct b)", "count(b)") in distinct
    sql = f"select a, b, sum(c) as c from {REF} group by a, b"
    assert _texts(sql, "group_by") == [
        f"select b, sum(c) as c from {REF} group by b",
        f"select a, sum(c) as c from {REF} group by a",
    ]


def test_literal():
    sql = f"select a, 0 as z from {REF} where status in ('done', 'open') and price > 9.5"
    texts = _texts(sql, "literal")
    assert sql.replace("0 as z", "1 as z") in texts
    assert sql.replace("9.5", "10.5") in texts
    assert sql.replace("('done', 'open')", "('open')") in texts
    assert sql.replace("('done', 'open')", "('done')") in texts
    assert sql.replace("'done'", "'DONE'") in texts
    concat = _texts(f"select a || 'x' as b from {REF}", "literal")
    assert concat == []  # a string glued onto another is no comparison


def test_aggregate():
    sql = f"select a, count(*) as n, sum(b) as s, min(c) as c from {REF} group by a"
    texts = _texts(sql, "aggregate")
    assert sql.replace("count(*)", "count(distinct b)") in texts
    assert sql.replace("sum(b)", "avg(b)") in texts
    assert sql.replace("min(c)", "max(c)") in texts
    assert _texts(f"select count(a) as n from {REF}", "aggregate") == [f"select count(*) as n from {REF}"]


def test_case_fn_and_cast():
    sql = f"select lower(trim(a)) as a, round(b, 2) as b from {REF}"
    texts = _texts(sql, "case_fn")
    assert sql.replace("lower(trim(a))", "trim(a)") in texts
    assert sql.replace("lower(trim(a))", "lower(a)") in texts
    assert sql.replace("round(b, 2)", "b") in texts
    sql = f"select cast(cents / 100 as decimal(10, 2)) as euros, d::date as d from {REF}"
    texts = _texts(sql, "cast")
    assert sql.replace("cast(cents / 100 as decimal(10, 2))", "cents / 100") in texts
    assert sql.replace("cents / 100", "cents // 100") in texts
    assert len(texts) == 2  # a cast to date is not a number cast


def test_limit_union_and_window():
    assert _texts(f"select a from {REF}", "limit") == [f"select a from {REF}\nlimit 5"]
    sql = f"select a from {REF} order by a desc limit 3"
    assert _texts(sql, "limit") == [f"select a from {REF} limit 3"]
    sql = f"select a from {REF} union select a from y"
    assert _texts(sql, "union") == [sql.replace("union", "union all")]
    sql = f"select a from {REF}\nunion\nselect a from y"
    assert _texts(sql, "union") == [sql.replace("union", "union all")]
    sql = f"select a from {REF} qualify row_number() over (partition by a, b order by c desc) = 1"
    texts = _texts(sql, "window")
    assert sql.replace("row_number()", "rank()") in texts
    assert sql.replace("partition by a, b", "partition by b") in texts
    assert sql.replace("partition by a, b", "partition by a") in texts


# -- Jinja ----------------------------------------------------------------------------------

INCREMENTAL = """{{ config(materialized='incremental', unique_key='id') }}
{# newest rows only on an incremental run #}
select id, sum(kwh) as kwh
from {{ ref('readings') }}
{% if is_incremental() %}
where read_at >= (select max(read_at) from {{ this }})
{% else %}
where read_at > '2020-01-01'
{% endif %}
group by id
"""


def test_block_tags_stay_put_and_only_the_first_branch_is_mutated():
    mutants = sql_mutants(INCREMENTAL, "models/inc.sql")
    texts = [m.text for m in mutants]
    assert INCREMENTAL.replace("read_at >= (", "read_at > (") in texts
    assert all("where read_at > '2020-01-01'" in t for t in texts)  # the else branch is hidden
    for mutant in mutants:
        assert JINJA.findall(mutant.text) == JINJA.findall(INCREMENTAL)
        assert_valid_and_different(INCREMENTAL, mutant)


LOOP = """{% set kinds = ['tea', 'cake'] %}
select
    day,
    {% for kind in kinds %}
    sum(case when kind = '{{ kind }}' then amount else 0 end) as {{ kind }}_sales,
    {% endfor %}
    sum(amount) as sales
from {{ source('shop', 'orders') }}
group by day
"""


def test_a_loop_body_is_mutated_for_every_iteration():
    mutants = sql_mutants(LOOP, "models/loop.sql")
    assert LOOP.replace("sum(case", "avg(case") in [m.text for m in mutants]
    assert LOOP.replace("kind = '{{", "kind <> '{{") in [m.text for m in mutants]
    for mutant in mutants:  # 'tea' never becomes 'TEA': it is Jinja, not a literal
        assert JINJA.findall(mutant.text) == JINJA.findall(LOOP)
        assert_valid_and_different(LOOP, mutant)


def test_a_snapshot_block_is_mutated_inside():
    snapshot = (
        "{% snapshot orders_snapshot %}\n{{ config(unique_key='id', strategy='check', "
        "check_cols='all') }}\nselect * from {{ source('shop', 'orders') }} "
        "where id > 0\n{% endsnapshot %}\n"
    )
    texts = [m.text for m in sql_mutants(snapshot, "snapshots/orders_snapshot.sql")]
    assert snapshot.replace("id > 0", "id >= 0") in texts
    assert all(t.endswith("{% endsnapshot %}\n") for t in texts)


def test_masking_round_trips_and_refuses_lost_or_moved_placeholders():
    masked = mask(INCREMENTAL)
    assert masked is not None and "{" not in masked.sql
    assert unmask(masked.sql, masked.jinja) == INCREMENTAL
    assert unmask(masked.sql.replace("__jinja_3__", "x"), masked.jinja) is None
    swapped = masked.sql.replace("__jinja_2__", "@").replace("__jinja_3__", "__jinja_2__")
    assert unmask(swapped.replace("@", "__jinja_3__"), masked.jinja) is None


@pytest.mark.parametrize(
    "text",
    [
        "select from where",
        "{% if x %} select a from t",
        "select 1; select 2",
        "{% macro m() %}select 1{% endmacro %}",
        "",
    ],
)
def test_what_cannot_be_parsed_yields_nothing(text):
    assert sql_mutants(text, "models/bad.sql") == []


def test_file_mutants_reads_models_and_snapshots_only():
    files = {
        "models/a.sql": f"select a from {REF} where b > 1",
        "macros/m.sql": "select 1",
        "models/a.yml": "version: 2",
        "snapshots/s.sql": f"select a from {REF}",
    }
    paths = {m.path for m in file_mutants(files)}
    assert paths == {"models/a.sql", "snapshots/s.sql"}


# -- the rendering never changes what the file means -------------------------------------------

KITCHEN_SINK = """{{ config(materialized='table') }}
with base as (
    select
        o.order_id,
        o.amount_cents::decimal(12, 3) / 100 as amount,
        cast(o.qty as decimal(10, 2)) as qty,
        o.ordered_at + interval '1 day' as due_at,
        date_trunc('month', o.ordered_at) as order_month,
        o.first_name || ' ' || o.last_name as full_name,
        coalesce(o.note, 'none') as note,
        case when o.amount_cents > 1000 then 'big' else 'small' end as size,
        sum(o.amount_cents) over (partition by o.customer_id order by o.ordered_at) as running,
        datediff('day', o.ordered_at, o.shipped_at) as days
    from {{ source('shop', 'orders') }} as o
    left join {{ ref('stores') }} as s on s.id = o.store_id
    where o.status in ('completed', 'refunded') and o.shipped_at is not null
    qualify row_number() over (partition by o.order_id order by o.ordered_at desc) = 1
)
select distinct order_month, count(*) as orders from base group by order_month
union
select order_month, 0 from base
order by 1
limit 10
"""


def test_mutants_change_one_spot_and_keep_every_other_construct():
    mutants = sql_mutants(KITCHEN_SINK, "models/sink.sql")
    assert len(mutants) >= 25
    untouchable = [
        "interval '1 day'",
        "date_trunc('month', o.ordered_at)",
        "o.first_name || ' '",
        "datediff('day'",
        "is not null",
        "{{ config(materialized='table') }}",
    ]
    for mutant in mutants:
        for construct in untouchable:  # kept, unless it is what the mutant changed
            assert construct in mutant.text or construct in mutant.description, mutant.description
        diff = difflib.ndiff(KITCHEN_SINK.splitlines(), mutant.text.splitlines())
        changed = [line for line in diff if line.startswith(("-", "+"))]
        assert len(changed) <= 4, mutant.description
        assert_valid_and_different(KITCHEN_SINK, mutant)
    texts = [m.text for m in mutants]
    assert KITCHEN_SINK.replace("::decimal(12, 3) / 100", "::decimal(12, 3) // 100") in texts
    assert KITCHEN_SINK.replace("cast(o.qty as decimal(10, 2))", "o.qty") in texts


def test_keywords_follow_the_files_case():
    shouting = f"SELECT a FROM {REF} WHERE b > 1"
    assert _texts(shouting, "comparison") == [f"SELECT a FROM {REF} WHERE b >= 1"]
    assert _texts(shouting, "limit") == [f"{shouting}\nLIMIT 5"]


def test_a_mutant_that_would_lose_jinja_is_dropped():
    sql = f"select a from {REF} where b = (select max(b) from {{{{ this }}}})"
    mutants = sql_mutants(sql, "models/m.sql")
    assert "drop_predicate" not in {m.operator for m in mutants}  # dropping it drops {{ this }}
    assert sql.replace("b = (", "b <> (") in [m.text for m in mutants]
