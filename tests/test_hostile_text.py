"""What a learner writes that the server works on in its own process, outside the sandbox and its
time limit (the grader's reading of models, macros and compiled SQL; the lineage layout): crafted
input must not stall it.

Each input below made the server compute for seconds to minutes while holding the GIL (a regex
backtracking, a layout checking every box for every edge), which stalls every learner of that
backend process. The bound asserted is generous (the fixed code takes milliseconds to half a
second): it separates the fixed growth from the quadratic or worse, not fast from slow.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from decode_data.services.engine.project_files import PROFILE_NAME
from decode_data.services.grader import model_sql, sql_text
from decode_data.services.lineage_view import layout_lineage

pytestmark = pytest.mark.attack

BOUND_S = 5.0


def _timed(call, *args):
    started = time.monotonic()
    result = call(*args)
    assert time.monotonic() - started < BOUND_S, call.__name__
    return result


def test_a_macro_default_holding_a_pattern_is_not_read_as_a_regex(tmp_path):
    (tmp_path / "macros").mkdir()
    (tmp_path / "macros" / "to_kwh.sql").write_text(
        '{% macro to_kwh(value, unit, note=".*.*.*.*.*.*.*.*.*.*.*.*z, .*.*.*.*.*.*.*.*.*.*.*.*z") -%}\n'
        '    {%- set pad = "' + "a" * 300 + '" -%}\n'
        "    case lower({{ unit }}) when 'wh' then {{ value }} / 1000 else {{ value }} end\n"
        "{%- endmacro %}\n"
    )
    build = SimpleNamespace(paths={"project": str(tmp_path)})
    path, unused = _timed(model_sql.unused_arguments, build, "to_kwh")
    assert (path, unused) == ("macros/to_kwh.sql", ["note"])  # text inside the default is no argument


@pytest.mark.parametrize(
    "text",
    [
        "{" * 99_000 + " {{ ref('raw_customers') }}",
        "/* " * 40_000 + "{{ ref('raw_customers') }}",
        "{# " * 40_000,
        "{{ " * 40_000,
        "{% macro m(a) %}" * 10_000,
    ],
    ids=["braces", "unclosed block comments", "unclosed jinja comments", "unclosed tags", "unclosed macros"],
)
def test_files_of_unclosed_openers_are_read_in_linear_time(text):
    _timed(sql_text.without_comments, text)
    _timed(sql_text.calls_ref_or_source, text)
    _timed(sql_text.macros, text)


def test_nested_cases_and_many_comparisons_are_read_in_linear_time(tmp_path):
    compiled = tmp_path / "target" / "compiled" / PROFILE_NAME / "models"
    compiled.mkdir(parents=True)
    text = "select " + "case " * 20_000 + "1 " + "end " * 20_000 + "as x from t where " + "a < b and " * 20_000 + "1=1"
    (compiled / "m.sql").write_text(text)
    node = {"name": "m", "path": "models/m.sql", "depends_on": []}
    build = SimpleNamespace(
        paths={"project": str(tmp_path)},
        node=lambda name: node if name == "m" else None,
        result=SimpleNamespace(lineage={"nodes": {}}),
    )
    assert _timed(model_sql.compares_ranges, build, "m") is True


def test_the_readers_still_read_what_they_are_for():
    assert sql_text.without_comments("select 1 -- note\n, /* b */ 2 {# c #} from t") == "select 1  \n,   2   from t"
    assert sql_text.without_comments("select 1 /* never closed") == "select 1  "
    assert sql_text.calls_ref_or_source("select * from {{ ref('a') }}")
    assert sql_text.calls_ref_or_source("from {{ source('raw', 'a') }}")
    assert not sql_text.calls_ref_or_source("select 'ref(' as x from t {% set y = 1 %}")
    assert sql_text.macros("{% macro cents(x, digits=2) %}round({{ x }} / 100, {{ digits }}){% endmacro %}") == [
        ("cents", ["x", "digits"], "{{ x }} {{ digits }}")
    ]
    code = sql_text.without_case_blocks("select case when a < 1 then case when b > 2 then 1 end end as c where d > 3")
    assert "a < 1" not in code and "b > 2" not in code and "d > 3" in code


def test_a_project_of_many_models_that_all_read_each_other_lays_out_quickly():
    """About as many models as a workspace may hold, each reading every earlier one."""
    names = [f"m{i}" for i in range(190)]
    nodes = {
        f"model.p.{name}": {
            "name": name,
            "resource_type": "model",
            "path": f"models/{name}.sql",
            "depends_on": [f"model.p.{earlier}" for earlier in names[:i]],
        }
        for i, name in enumerate(names)
    }
    graph = _timed(layout_lineage, {"nodes": nodes})
    assert len(graph["nodes"]) == 190 and len(graph["edges"]) == 190 * 189 // 2
