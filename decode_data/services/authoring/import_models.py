"""What the steps are planned from: each imported model and data test, read from dbt's manifest
and from the reference build (column types, row counts, how each node really materialized,
which tests pass). A test that does not pass on the project's own seeds is not a check.
"""

from __future__ import annotations

import re

from decode_data.services.authoring.import_configs import ServerProject, nodes_of
from decode_data.services.authoring.import_steps import ModelInfo, TestInfo
from decode_data.services.grader.builds import Build

IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # names safe to quote into a count query
PASSING = ("pass", "success")


def built_columns(main: Build) -> dict[str, list[tuple[str, str]]]:
    """table name (lower case) -> [(column, data type)] in the built order."""
    found = main.query(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'main' order by table_name, ordinal_position"
    )
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in found.preview.rows if found.ok and found.preview else []:
        columns.setdefault(str(table).lower(), []).append((str(column), str(kind)))
    return columns


def row_counts(main: Build, names: list[str]) -> dict[str, int]:
    names = [n for n in names if IDENTIFIER_RE.match(n)]
    if not names:
        return {}
    sql = " union all ".join(f"select '{n}' as name, count(*) as n from main.\"{n}\"" for n in names)
    found = main.query(sql)
    return {str(r[0]): int(r[1]) for r in (found.preview.rows if found.ok and found.preview else [])}


def _unit_test_counts(manifest: dict) -> dict[str, int]:
    units: dict[str, int] = {}
    for unit in (manifest.get("unit_tests") or {}).values():
        units[unit["model"]] = units.get(unit["model"], 0) + 1
    return units


def _parents(node: dict, manifest: dict) -> tuple[list[str], list[str]]:
    """The node's direct parents by name, and the ref() or source() call that reads each."""
    nodes, sources = manifest["nodes"], manifest.get("sources") or {}
    parents, calls = [], []
    for parent_id in node["depends_on"]["nodes"]:
        parent = nodes.get(parent_id) or sources.get(parent_id)
        if parent and parent["name"] not in parents:
            parents.append(parent["name"])
            calls.append(
                f"{{{{ source('{parent['source_name']}', '{parent['name']}') }}}}"
                if parent["resource_type"] == "source"
                else f"{{{{ ref('{parent['name']}') }}}}"
            )
    return parents, calls


def read_models(project: ServerProject, main: Build) -> tuple[dict[str, ModelInfo], list[str]]:
    """Every imported model as the reference built it; warnings for a lost materialization."""
    manifest = project.manifest
    kept = {n["unique_id"]: n for n in project.models()}
    columns = built_columns(main)
    counts = row_counts(
        main, [n["name"] for n in kept.values() if (main.node(n["name"]) or {}).get("materialized") != "ephemeral"]
    )
    units = _unit_test_counts(manifest)
    models = {}
    for node in kept.values():
        parents, calls = _parents(node, manifest)
        built = main.node(node["name"]) or {}
        described = {k.lower(): v.get("description", "") for k, v in node["columns"].items()}
        patch = (node.get("patch_path") or "").split("://", 1)[-1] or None
        models[node["name"]] = ModelInfo(
            name=node["name"],
            path=node["original_file_path"],
            parents=parents,
            parent_calls=calls,
            model_parents=[manifest["nodes"][p]["name"] for p in node["depends_on"]["nodes"] if p in kept],
            materialized=built.get("materialized") or node["config"]["materialized"],
            description=node.get("description") or "",
            columns=[(c, t, described.get(c.lower(), "")) for c, t in columns.get(node["name"].lower(), [])],
            rows=counts.get(node["name"]),
            sql=project.solution_sql[node["original_file_path"]],
            yaml_path=patch,
            unit_tests=units.get(node["name"], 0),
        )
    return models, _materialization_warnings(models, project.carried)


def _materialization_warnings(models: dict[str, ModelInfo], carried: dict[str, dict]) -> list[str]:
    warnings = []
    for name, model in models.items():
        want = (carried.get(name) or {}).get("materialized")
        if want and model.materialized != want:
            warnings.append(f"model {name} builds as a {model.materialized}, not a {want}")
    return warnings


def read_tests(project: ServerProject, main: Build) -> tuple[list[TestInfo], list[str]]:
    """The data tests on imported models that pass on the project's own seeds; a warning for
    each one that does not (a test on seeds or sources only stays in the starter, unchecked)."""
    model_ids = {n["unique_id"]: n["name"] for n in project.models()}
    tests, warnings = [], []
    for node in nodes_of(project.manifest, "test"):
        reads = [model_ids[p] for p in node["depends_on"]["nodes"] if p in model_ids]
        if not reads:
            continue
        status = main.node_status(node["unique_id"])
        if status not in PASSING:
            meta = node.get("test_metadata")
            label = meta["name"] if meta else node["original_file_path"]
            warnings.append(
                f"test {node['name']} ({label}) does not pass on the project's own seeds "
                f"(status {status}): it is not a check"
            )
            continue
        tests.append(_test_info(node, reads, project.manifest["nodes"]))
    return tests, warnings


def _test_info(node: dict, reads: list[str], nodes: dict) -> TestInfo:
    meta = node.get("test_metadata")
    if not meta:  # a singular test: its SQL is the reference
        return TestInfo(
            unique_id=node["unique_id"],
            model=reads[-1],
            models=reads,
            path=node["original_file_path"],
            sql=node.get("raw_code") or "",
        )
    attached = nodes.get(node.get("attached_node") or "", {}).get("name")
    return TestInfo(
        unique_id=node["unique_id"],
        model=attached or reads[-1],
        models=reads,
        test_name=meta["name"],
        column=node.get("column_name"),
        kwargs={k: v for k, v in (meta.get("kwargs") or {}).items() if k != "model"},
    )
