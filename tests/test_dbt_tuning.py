"""What the warm worker changes in dbt must not change what dbt does: each shortcut against
dbt's own behaviour (the engine tests run every job through all of them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dbt.context.macros import MacroNamespace

from decode_data.services.engine.dbt_tuning import flattened
from decode_data.settings import REPO_ROOT


def test_a_flattened_macro_namespace_is_what_its_mapping_gives():
    """The same names with the same values as dbt's own Mapping protocol, where a name is in
    several layers (a learner's macro overriding dbt's, a package named like a macro)."""
    namespace = MacroNamespace(
        global_namespace={"ref": "root.ref", "my_macro": "root.my_macro", "shared": "root.shared"},
        local_namespace={"shared": "local.shared", "only_local": "local.only_local"},
        global_project_namespace={"ref": "dbt.ref", "is_incremental": "dbt.is_incremental", "utils": "dbt.utils"},
        packages={"utils": {"x": "utils.x"}, "lesson": {"shared": "pkg.shared"}},
    )
    expected = {name: namespace[name] for name in namespace}
    assert flattened(namespace) == expected
    assert flattened(namespace)["shared"] == "local.shared" and flattened(namespace)["ref"] == "root.ref"
    assert flattened(namespace)["utils"] == {"x": "utils.x"}  # a package wins over a dbt macro
    assert flattened(namespace)["dbt"] == namespace["dbt"]


def test_an_event_parses_its_message_when_read_and_it_is_dbts_own(monkeypatch):
    """Events keep their fields until something reads them; what it reads is the message dbt
    would have parsed (nested node_info included), and an event no one reads parses nothing."""
    import copy

    from dbt.adapters.events.types import SQLQuery
    from dbt.events.types import LogModelResult
    from dbt_common.events import base_types
    from dbt_common.events.types import Formatting
    from google.protobuf.json_format import ParseDict

    from decode_data.services.engine import dbt_tuning

    node_info = {"node_name": "orders", "unique_id": "model.shop.orders", "node_status": "success"}
    fields = {"description": "sql table model main.orders", "status": "OK", "index": 1, "total": 2}
    dbts_own = {"query": SQLQuery(conn_name="model.shop.orders", sql="select 1", node_info=node_info)}
    dbts_own["result"] = LogModelResult(**fields, execution_time=0.5, node_info=node_info)
    dbts_own["formatting"] = Formatting("a line")
    monkeypatch.setattr(base_types.BaseEvent, "__init__", base_types.BaseEvent.__init__)
    monkeypatch.setattr(base_types.BaseEvent, "__getattr__", base_types.BaseEvent.__getattr__)
    monkeypatch.setattr(base_types.BaseEvent, "__setattr__", base_types.BaseEvent.__setattr__)
    dbt_tuning._build_event_messages_when_read()

    parsed = []
    real_parse = ParseDict
    monkeypatch.setattr(
        "google.protobuf.json_format.ParseDict", lambda *a, **k: parsed.append(a) or real_parse(*a, **k)
    )
    ours = {"query": SQLQuery(conn_name="model.shop.orders", sql="select 1", node_info=node_info)}
    ours["result"] = LogModelResult(**fields, execution_time=0.5, node_info=node_info)
    ours["formatting"] = Formatting("a line")
    assert parsed == []  # made, not yet read
    for name, event in ours.items():
        assert event.to_dict() == dbts_own[name].to_dict(), name
    assert len(parsed) == 3
    assert ours["result"].node_info.node_name == "orders" and ours["query"].sql == "select 1"
    ours["query"].sql = "select 2"  # dbt sets fields on events it has made
    assert ours["query"].pb_msg.sql == "select 2"
    assert copy.copy(ours["result"]).to_dict() == dbts_own["result"].to_dict()
    assert copy.copy(LogModelResult(**fields)).to_dict() == LogModelResult(**fields).to_dict()


def _parse(root, files: dict[str, str]):
    """dbt's full parse of a small project, in this process: its manifest."""
    from dbt.cli.main import dbtRunner

    from decode_data.services.engine.project_files import JobLimits, write_project_files

    project = root / "project"
    for rel, text in files.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    write_project_files(root=root, project=project, warehouse=root / "w.duckdb", limits=JobLimits(512, 60))
    args = ["--project-dir", str(project), "--profiles-dir", str(project), "--no-partial-parse", "--quiet"]
    parsed = dbtRunner().invoke(["parse", *args, "--target-path", str(project / "target")])
    assert parsed.success, parsed.exception
    return parsed.result


def _macros(manifest) -> dict:
    return {
        uid: (m.macro_sql, m.original_file_path, m.package_name, sorted(m.depends_on.macros))
        for uid, m in manifest.macros.items()
    }


LEARNER_PROJECT = {
    "models/orders.sql": "select {{ cents('amount') }} as amount_cents from (select 1 as amount) t\n",
    "models/schema.yml": "version: 2\nmodels:\n  - name: orders\n    columns:\n      - name: amount_cents\n"
    "        data_tests: [not_null, {accepted_range: {min_value: 0}}]\n",
    "macros/cents.sql": "{% macro cents(x) %}({{ x }} * 100){% endmacro %}\n",
    # a learner's macro named like dbt's: dbt's macros that call it must find theirs as before
    "macros/overrides.sql": "{% macro generate_alias_name(custom_alias_name=none, node=none) %}"
    "{{ node.name }}{% endmacro %}\n",
    "tests/generic/accepted_range.sql": "{% test accepted_range(model, column_name, min_value) %}"
    "select * from {{ model }} where {{ column_name }} < {{ min_value }}{% endtest %}\n",
}


def test_a_full_parse_with_dbts_macros_parsed_once_is_dbts_own(tmp_path, monkeypatch):
    """The worker parses dbt's and the adapter's ~1,000 macros once; every later full parse
    gets the same macros (with the same calls found in them) and the project's own are parsed
    as always: the same manifest as dbt's own full parse, without reading dbt's macros again."""
    from dbt.parser.macros import MacroParser
    from dbt.parser.manifest import ManifestLoader

    from decode_data.services.engine import dbt_tuning

    parsed_paths: list[str] = []
    parse_file = MacroParser.parse_file
    monkeypatch.setattr(
        MacroParser,
        "parse_file",
        lambda self, block: parsed_paths.append(block.path.original_file_path) or parse_file(self, block),
    )
    monkeypatch.setattr(ManifestLoader, "load_and_parse_macros", ManifestLoader.load_and_parse_macros)
    dbts_own = _parse(tmp_path / "plain", LEARNER_PROJECT)
    assert len(parsed_paths) > 100

    dbt_tuning._parse_dbts_own_macros_once()
    _parse(tmp_path / "warm", {"models/one.sql": "select 1 as id\n"})  # the warm-up: dbt's macros parsed here
    parsed_paths.clear()
    ours = _parse(tmp_path / "learner", LEARNER_PROJECT)
    assert sorted(parsed_paths) == ["macros/cents.sql", "macros/overrides.sql"]  # the project's own only
    assert _macros(ours) == _macros(dbts_own)
    assert {f: sorted(s.macros) for f, s in ours.files.items() if hasattr(s, "macros")} == {
        f: sorted(s.macros) for f, s in dbts_own.files.items() if hasattr(s, "macros")
    }
    nodes = {uid: (n.depends_on.macros, n.depends_on.nodes, n.alias) for uid, n in ours.nodes.items()}
    assert nodes == {uid: (n.depends_on.macros, n.depends_on.nodes, n.alias) for uid, n in dbts_own.nodes.items()}
    assert any("accepted_range" in uid for uid in nodes)


OWN_MACROS_KEPT = """
import json, sys, tempfile
from pathlib import Path
from dbt.parser.macros import MacroParser
from decode_data.services.engine import dbt_tuning
from tests.test_dbt_tuning import LEARNER_PROJECT, _macros, _parse

path, scratch = Path(sys.argv[2]), Path(tempfile.mkdtemp())
if sys.argv[1] == "keep":  # a worker's warm-up parses dbt's macros and keeps them
    dbt_tuning._parse_dbts_own_macros_once()
    _parse(scratch / "warm", {"models/one.sql": "select 1 as id"})
    dbt_tuning.keep_own_macros(path)
    print(json.dumps({}))
else:  # the next worker: dbt's own parse, then one that starts from the kept macros
    dbts_own = _parse(scratch / "plain", LEARNER_PROJECT)
    dbt_tuning._parse_dbts_own_macros_once()
    dbt_tuning._load_kept_own_macros(path)
    parsed = []
    parse_file = MacroParser.parse_file
    MacroParser.parse_file = lambda self, block: parsed.append(block.path.original_file_path) or parse_file(self, block)
    ours = _parse(scratch / "learner", LEARNER_PROJECT)
    nodes = lambda m: {uid: (n.depends_on.macros, n.depends_on.nodes) for uid, n in m.nodes.items()}
    print(json.dumps({
        "parsed": sorted(parsed) if len(parsed) < 10 else len(parsed),
        "same_macros": _macros(ours) == _macros(dbts_own),
        "same_nodes": nodes(ours) == nodes(dbts_own),
    }))
"""


def _own_macros(step: str, path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", OWN_MACROS_KEPT, step, str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_dbts_macros_kept_with_the_install_give_the_next_worker_dbts_own_parse(tmp_path):
    """A worker keeps dbt's macros as its warm-up parsed them; the next worker's full parse
    starts from that file (it parses only the project's own macros) and gives the manifest of
    dbt's own full parse. A broken file is ignored: dbt's macros are parsed again."""
    path = tmp_path / "own-macros.json"
    _own_macros("keep", path)
    assert path.stat().st_size > 100_000
    assert _own_macros("use", path) == {
        "parsed": ["macros/cents.sql", "macros/overrides.sql"],
        "same_macros": True,
        "same_nodes": True,
    }
    path.write_text('{"dbt": {"broken": {}}}')
    again = _own_macros("use", path)
    assert again["parsed"] > 100 and again["same_macros"] and again["same_nodes"]


def test_a_macro_namespace_built_directly_is_dbts_own(tmp_path, monkeypatch):
    """The same layers, names, order and generators (macro, context, node, call stack) as
    dbt's own builder, on a real manifest whose project overrides a dbt macro: for a node of
    the project (its macros are local) and for one of dbt's (the project's are global)."""
    from dbt.adapters.factory import get_adapter_package_names
    from dbt.clients.jinja import MacroStack
    from dbt.context.macros import MacroNamespaceBuilder

    from decode_data.services.engine import dbt_tuning

    manifest = _parse(tmp_path / "p", LEARNER_PROJECT)
    root = manifest.metadata.project_name
    monkeypatch.setattr(MacroNamespaceBuilder, "build_namespace", MacroNamespaceBuilder.build_namespace)
    dbts_own = MacroNamespaceBuilder.build_namespace
    dbt_tuning._build_macro_namespaces_directly()
    ours = MacroNamespaceBuilder.build_namespace
    assert ours is not dbts_own

    def layers(build, search_package: str, node, ctx: dict, stack) -> list:
        builder = MacroNamespaceBuilder(root, search_package, stack, get_adapter_package_names("duckdb"), node)
        built = build(builder, manifest.get_macros_by_package(), ctx)

        def made(funcs: dict) -> list:
            return [
                (name, type(f), f.macro.unique_id, f.context is ctx, f.node is node, f.stack is stack)
                for name, f in funcs.items()
            ]

        packages = {name: made(funcs) for name, funcs in built.packages.items()}
        return [
            made(built.local_namespace),
            made(built.global_namespace),
            made(built.global_project_namespace),
            packages,
        ]

    node = manifest.nodes[next(uid for uid in manifest.nodes if uid.endswith(".orders"))]
    for search_package, on in ((root, node), ("dbt", None)):
        ctx, stack = {}, MacroStack()
        expected = layers(dbts_own, search_package, on, ctx, stack)
        assert layers(ours, search_package, on, ctx, stack) == expected
        local, global_, internal, packages = expected
        project_layer = local if search_package == root else global_
        assert "generate_alias_name" in [name for name, *_ in project_layer]
        assert len(internal) > 500 and root in packages


WARM_UP_RECORDED = """
import json
from decode_data.services.engine import dbt_job, worker
results = []
run_dbt = dbt_job.run_dbt
def recorded(*args, **kwargs):
    results.append(run_dbt(*args, **kwargs))
    return results[-1]
dbt_job.run_dbt = recorded
worker.prepare({})
print(json.dumps([r.to_dict() for r in results]))
"""


def test_the_warm_up_runs_green_on_every_kind_of_file_it_warms():
    """A warm-up command that fails leaves its code paths cold in every job forked after it
    (the worker only warns): in a worker process of its own, each command succeeds, on a project
    with a source, an incremental model, a snapshot, a docs block and a custom generic test."""
    done = subprocess.run(
        [sys.executable, "-c", WARM_UP_RECORDED],
        cwd=REPO_ROOT,
        env={**os.environ, "DECODE_DATA_ENV": "test"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.splitlines()[-1])
    assert [(r["command"], r["status"], r["errors"]) for r in results] == [
        (command, "success", []) for command in ("build", "show", "compile", "run", "test", "seed", "snapshot")
    ]
    nodes = results[0]["lineage"]["nodes"].values()
    kinds = {(n["resource_type"], n.get("materialized")) for n in nodes}
    assert {("source", None), ("model", "incremental"), ("model", "table"), ("snapshot", "snapshot")} <= kinds, kinds
    tests = {n["unique_id"].split(".")[2] for n in results[0]["nodes"] if n["resource_type"] == "test"}
    assert any(t.startswith("warm_not_negative") for t in tests), tests
    assert any(t.startswith("source_not_null") for t in tests), tests


def test_a_config_validated_once_is_still_refused_when_it_is_wrong(monkeypatch):
    """dbt's schema check of the project config, remembered for a config that passed: the same
    config passes without a second check, and a wrong one (or one changed after it passed) is
    refused every time, with dbt's own error."""
    import jsonschema
    from dbt.contracts.project import Project as ProjectContract
    from dbt_common.dataclass_schema import ValidationError, dbtClassMixin

    from decode_data.services.engine import dbt_tuning

    monkeypatch.setattr(dbtClassMixin, "validate", dbtClassMixin.validate)  # put back after the test
    dbt_tuning._validate_each_config_once()
    checks = []
    real_validator = jsonschema.Draft7Validator
    monkeypatch.setattr(jsonschema, "Draft7Validator", lambda schema: checks.append(1) or real_validator(schema))

    good = {"name": "shop", "version": "1.0", "config-version": 2, "profile": "shop", "model-paths": ["models"]}
    ProjectContract.validate(good)
    ProjectContract.validate(dict(good))
    assert len(checks) == 1  # the same config, checked once
    for wrong in ({**good, "model-paths": "models"}, {**good, "config-version": "two"}):
        for _ in range(2):
            try:
                ProjectContract.validate(wrong)
            except ValidationError:
                continue
            raise AssertionError(f"{wrong} passed")
    assert len(checks) == 5


SCHEMA_USER = """
import json, sys
from dataclasses import dataclass
from pathlib import Path
from dbt_common.dataclass_schema import ValidationError, dbtClassMixin
from decode_data.services.engine import dbt_schemas

@dataclass
class Sample(dbtClassMixin):
    name: str

path = Path(sys.argv[1])
dbt_schemas.use_kept_schemas(path)
verdicts = {}
for label, data in (("text", {"name": "x"}), ("number", {"name": 3})):
    try:
        Sample.validate(data)
        verdicts[label] = "passes"
    except ValidationError:
        verdicts[label] = "refused"
dbt_schemas.keep_schemas(path)
print(json.dumps({"verdicts": verdicts, "built": sorted(dbt_schemas._built)}))
"""


def _schema_user(path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SCHEMA_USER, str(path)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_json_schemas_kept_with_the_install_are_the_ones_dbt_checks_with(tmp_path):
    """The first process builds a class's schema and keeps it; the next one checks with the
    kept schema (a changed file changes its verdicts) instead of building it; a broken file is
    ignored, and the schema is built again."""
    path = tmp_path / "schemas.json"
    first = _schema_user(path)
    assert first == {"verdicts": {"text": "passes", "number": "refused"}, "built": ["__main__.Sample"]}
    kept = json.loads(path.read_text())
    assert kept["__main__.Sample"]["properties"]["name"]["type"] == "string"

    kept["__main__.Sample"]["properties"]["name"]["type"] = "integer"
    path.write_text(json.dumps(kept))
    assert _schema_user(path) == {"verdicts": {"text": "refused", "number": "passes"}, "built": []}

    path.write_text("{not json")
    assert _schema_user(path) == {"verdicts": {"text": "passes", "number": "refused"}, "built": ["__main__.Sample"]}
    assert json.loads(path.read_text())["__main__.Sample"]["properties"]["name"]["type"] == "string"


def test_the_schema_file_is_named_after_what_shapes_the_schemas(monkeypatch):
    from decode_data.services.engine import dbt_schemas, install_cache

    now = dbt_schemas.schema_file()
    assert now.parent == Path(sys.prefix) / "var" / "decode_data"
    real = install_cache.metadata.version
    monkeypatch.setattr(install_cache.metadata, "version", lambda name: "0.0.1" if name == "mashumaro" else real(name))
    install_cache.install_key.cache_clear()
    try:
        assert dbt_schemas.schema_file() != now
    finally:
        install_cache.install_key.cache_clear()
