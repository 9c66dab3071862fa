"""The command bar's rules: what a typed dbt line means, what it selects, what is stale before it.

Lineage here has the shape the engine returns (node id -> name, type, path, depends_on); the
build record is a real file in a real workspace folder, hashed from the real project files.
"""

from __future__ import annotations

import pytest

from decode_data.services.build_record import record_build, stale_parents
from decode_data.services.dbt_command import (
    DbtUsageError,
    parse_command_line,
    selected_nodes,
    suggestions,
)
from decode_data.services.engine import JobResult, NodeResult
from decode_data.services.workspace import WorkspacePaths


def _node(name: str, kind: str = "model", parents: tuple[str, ...] = ()) -> dict:
    folder = {"model": "models", "seed": "seeds", "snapshot": "snapshots"}[kind]
    suffix = ".csv" if kind == "seed" else ".sql"
    return {"name": name, "resource_type": kind, "path": f"{folder}/{name}{suffix}", "depends_on": list(parents)}


LINEAGE = {
    "nodes": {
        "seed.l.raw_orders": _node("raw_orders", "seed"),
        "model.l.stg_orders": _node("stg_orders", parents=("seed.l.raw_orders",)),
        "model.l.stg_customers": _node("stg_customers"),
        "model.l.customers": _node("customers", parents=("model.l.stg_orders", "model.l.stg_customers")),
        "model.l.revenue": _node("revenue", parents=("model.l.customers",)),
    }
}


@pytest.mark.parametrize(
    "line, described",
    [
        ("dbt run", "dbt run"),
        ("run", "dbt run"),
        ("dbt run -s stg_orders+", "dbt run --select stg_orders+"),
        ("dbt build --select +customers", "dbt build --select +customers"),
        ("dbt test -s customers", "dbt test --select customers"),
        ("dbt run --full-refresh", "dbt run --full-refresh"),
        ("dbt show -s customers --limit 5", "dbt show --select customers --limit 5"),
        ("dbt show --inline 'select 1 as x'", "dbt show --inline 'select 1 as x'"),
        ("dbt snapshot", "dbt snapshot"),
    ],
)
def test_a_typed_line_becomes_the_command_it_says(line, described):
    assert parse_command_line(line, max_limit=100).describe() == described


@pytest.mark.parametrize(
    "line, reason",
    [
        ("", "type a dbt command"),
        ("dbt", "type a dbt command"),
        ("dbt deps", "'deps' is not a dbt command you can run here"),
        ("dbt run --profiles-dir /etc", "dbt option '--profiles-dir' is not allowed here"),
        ("dbt run --vars '{x: 1}'", "dbt option '--vars' is not allowed here"),
        ("dbt test --full-refresh", "dbt test has no --full-refresh option"),
        ("dbt run stg_orders", "to pick models use --select stg_orders"),
        ("dbt show -s customers --limit 99999", "--limit must be between 1 and 100"),
        ("dbt run -s 'stg_orders", "close the quote"),
    ],
)
def test_a_refused_line_gets_a_one_line_reason(line, reason):
    with pytest.raises(DbtUsageError) as refused:
        parse_command_line(line, max_limit=100)
    assert reason in str(refused.value) and "\n" not in str(refused.value)


def test_selection_follows_dbt_graph_operators():
    names = lambda ids: sorted(LINEAGE["nodes"][i]["name"] for i in ids)  # noqa: E731
    assert names(selected_nodes("customers", LINEAGE)) == ["customers"]
    assert names(selected_nodes("+customers", LINEAGE)) == ["customers", "raw_orders", "stg_customers", "stg_orders"]
    assert names(selected_nodes("stg_orders+", LINEAGE)) == ["customers", "revenue", "stg_orders"]
    assert names(selected_nodes("stg_orders revenue", LINEAGE)) == ["revenue", "stg_orders"]
    assert len(selected_nodes(None, LINEAGE)) == len(LINEAGE["nodes"])  # no selection: everything
    assert selected_nodes("tag:nightly", LINEAGE) is None  # only dbt knows: no guess
    assert selected_nodes("no_such_model", LINEAGE) is None


def test_suggestions_offer_commands_flags_and_each_model_with_its_operators():
    offered = suggestions(LINEAGE)
    assert {"dbt run", "dbt seed", "dbt build", "dbt snapshot", "dbt run --full-refresh"} <= set(offered)
    assert {"dbt run -s customers", "dbt run -s customers+", "dbt build -s +customers"} <= set(offered)
    assert "dbt show -s customers" in offered and "dbt show" not in offered  # show needs a model
    assert len(offered) == len(set(offered))
    for line in offered:
        parse_command_line(line, max_limit=100)  # every suggestion is a line the bar accepts


def _workspace(tmp_path) -> WorkspacePaths:
    paths = WorkspacePaths(root=tmp_path, project=tmp_path / "project", warehouse=tmp_path / "warehouse.duckdb")
    for node in LINEAGE["nodes"].values():
        file = paths.project / node["path"]
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(f"-- {node['name']}\n", encoding="utf-8")
    return paths


def _built(*names: str, command: str = "run", status: str = "success") -> JobResult:
    nodes = [
        NodeResult(unique_id=uid, name=n["name"], resource_type=n["resource_type"], status=status, path=n["path"])
        for uid, n in LINEAGE["nodes"].items()
        if n["name"] in names
    ]
    return JobResult(status="success", command=command, nodes=nodes)


def test_stale_parents_are_the_edited_or_never_built_models_a_partial_run_reads(tmp_path):
    paths = _workspace(tmp_path)
    customers = selected_nodes("customers", LINEAGE)
    assert stale_parents(paths, LINEAGE, customers) == [("stg_customers", True), ("stg_orders", True)]  # never built

    record_build(paths, _built("raw_orders", "stg_orders", "stg_customers", "customers", "revenue"))
    assert stale_parents(paths, LINEAGE, customers) == []  # everything built as it is now
    assert stale_parents(paths, LINEAGE, selected_nodes(None, LINEAGE)) == []

    (paths.project / "models/stg_customers.sql").write_text("-- edited\n", encoding="utf-8")
    assert stale_parents(paths, LINEAGE, customers) == [("stg_customers", False)]
    assert stale_parents(paths, LINEAGE, selected_nodes("+customers", LINEAGE)) == []  # the run rebuilds it
    assert stale_parents(paths, LINEAGE, selected_nodes("revenue", LINEAGE)) == [("stg_customers", False)]

    record_build(paths, _built("stg_customers", status="error"))  # a failed build is not a build
    assert stale_parents(paths, LINEAGE, customers) == [("stg_customers", False)]
    record_build(paths, _built("stg_customers", command="compile"))  # compiling builds nothing
    assert stale_parents(paths, LINEAGE, customers) == [("stg_customers", False)]
    record_build(paths, _built("stg_customers", command="build"))
    assert stale_parents(paths, LINEAGE, customers) == []

    (paths.root / "build_record.json").write_text("{not json", encoding="utf-8")  # never a crash on a bad record
    assert sorted(stale_parents(paths, LINEAGE, customers)) == [("stg_customers", True), ("stg_orders", True)]


def test_warehouse_notes_tell_the_truth_about_the_learners_own_warehouse(tmp_path):
    from decode_data.services.build_record import warehouse_notes

    paths = _workspace(tmp_path)
    step_models = ["raw_orders", "stg_orders", "customers"]
    assert warehouse_notes(paths, step_models) == ["Your warehouse has no seeds loaded yet: run `dbt seed`."]

    record_build(paths, _built("raw_orders", command="seed"))
    assert warehouse_notes(paths, step_models) == [
        "stg_orders is not in your warehouse yet: run `dbt run -s stg_orders`.",
        "customers is not in your warehouse yet: run `dbt run -s customers`.",
    ]
    record_build(paths, _built("stg_orders", "customers"))
    assert warehouse_notes(paths, step_models) == []  # all built as the files are now

    (paths.project / "models/customers.sql").write_text("-- changed after the run\n", encoding="utf-8")
    assert warehouse_notes(paths, [*step_models, "customers", "no_such_model"]) == [
        "Your warehouse is out of date: customers was not built since your last change. Run `dbt run -s customers`."
    ]  # one line per finding; a name with no file says nothing
    # The run of the changed file failed: running again fails again, the error is to fix first.
    record_build(paths, _built("customers", status="error"))
    assert warehouse_notes(paths, ["customers"]) == [
        "Your last run of customers failed on this version of its file: fix the error it showed, "
        "then run `dbt run -s customers`."
    ]
    (paths.project / "models/customers.sql").write_text("-- fixed\n", encoding="utf-8")
    assert warehouse_notes(paths, ["customers"])[0].startswith("Your warehouse is out of date")
    record_build(paths, _built("customers"))
    assert warehouse_notes(paths, ["customers"]) == []
