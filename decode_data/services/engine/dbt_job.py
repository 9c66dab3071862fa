"""Run one dbt command in-process, inside the already confined job process.

Parsing once and handing the manifest to the command keeps the warm path fast and gives us
the project's graph (lineage) and each node's raw source (error mapping) for free.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from decode_data.services.engine.errors import clean_message, learner_error
from decode_data.services.engine.jobs import Job, JobRejected, JobResult, LearnerError, NodeResult, Preview
from decode_data.services.engine.silent_mistakes import silent_mistakes
from decode_data.services.engine.values import json_row, json_value

Emit = Callable[[dict], None]
_SELECT_RE = re.compile(r"^[A-Za-z0-9_.,:+*@/ -]{1,300}$")
NODE_EVENTS = {"NodeStart": "running", "NodeFinished": None}
_LOG_LEVELS = {"info", "warn", "error"}
_HIDDEN_EVENTS = {"Formatting", "ParsePerfInfoPath"}  # noise, or a server path
# What the grader builds on a fresh warehouse: every later step sees the earlier ones' output,
# and a failing test never hides a model (as `dbt build` would, by skipping its children).
GRADE_SEQUENCE = ("seed", "snapshot", "run", "test")
NEXT_SEEDS = "seeds_next"  # a grade build's second seed state, when the lesson has one
SAVE_SEEDED = "save"  # Job.seeded of a reference build: keep the warehouse as seeded
# Configs the grader can ask about (a step that teaches severity or a snapshot strategy checks it).
GRADED_CONFIG = (
    "materialized",
    "severity",
    "where",
    "store_failures",
    "warn_if",
    "error_if",
    "limit",
    "unique_key",
    "strategy",
    "updated_at",
    "check_cols",
    "incremental_strategy",
    "invalidate_hard_deletes",
    "hard_deletes",
    "on_schema_change",
)


def dbt_args(job: Job, project: Path) -> list[str]:
    """The dbt command line for a job; anything a learner could abuse is rejected here."""
    args = [job.command]
    if job.select:
        if not _SELECT_RE.match(job.select):
            raise JobRejected(f"'{job.select}' is not a valid dbt selector")
        args += ["--select", job.select]
    if job.command == "show":
        if job.sql:
            args += ["--inline", job.sql]
        elif not job.select:
            raise JobRejected("dbt show needs a model (--select) or inline SQL")
        args += ["--limit", str(job.row_cap), "--indirect-selection", "empty"]
    allowed_extra = {"--full-refresh", "--fail-fast", "--exclude", "--empty"}
    extra = list(job.args)
    for i, arg in enumerate(extra):
        if arg.startswith("-") and arg not in allowed_extra:
            raise JobRejected(f"dbt option '{arg}' is not allowed here")
        if not arg.startswith("-") and (i == 0 or extra[i - 1] != "--exclude"):
            raise JobRejected(f"unexpected argument '{arg}'")
        if not arg.startswith("-") and not _SELECT_RE.match(arg):
            raise JobRejected(f"'{arg}' is not a valid dbt selector")
    args += extra
    return args + [
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(project / "target"),
        "--log-path",
        str(project / "logs"),
        "--log-level-file",
        "none",
        "--no-use-colors",
        "--quiet",
        "--no-write-json",
    ]


class _Events:
    """Forwards dbt's events as log lines and per-node status while the job runs."""

    def __init__(self, emit: Emit):
        self.emit = emit

    def __call__(self, msg) -> None:
        name = msg.info.name
        if name in NODE_EVENTS:
            info = msg.data.node_info
            status = NODE_EVENTS[name] or info.node_status
            self.emit(
                {
                    "type": "node",
                    "unique_id": info.unique_id,
                    "name": info.node_name,
                    "resource_type": info.resource_type,
                    "status": status,
                    "path": info.node_path,
                }
            )
        elif msg.info.level in _LOG_LEVELS and msg.info.msg and name not in _HIDDEN_EVENTS:
            self.emit({"type": "log", "line": clean_message(str(msg.info.msg))})


def _config_value(config, key: str):
    """A config's value, also when dbt keeps it among the extras (a snapshot's hard_deletes)."""
    value = getattr(config, key, None)
    if value is None and hasattr(config, "get"):
        value = config.get(key)
    return value


def _describe(node) -> dict:
    config = getattr(node, "config", None)
    entry = {
        "name": node.name,
        "resource_type": node.resource_type.value,
        "path": getattr(node, "original_file_path", None),
        "materialized": getattr(config, "materialized", None),
        "relation": ".".join(filter(None, (getattr(node, "schema", None), getattr(node, "alias", None)))) or None,
        "depends_on": list(getattr(getattr(node, "depends_on", None), "nodes", []) or []),
        "macros": list(getattr(getattr(node, "depends_on", None), "macros", []) or []),
        "description": getattr(node, "description", "") or "",
        "columns": {name: (col.description or "") for name, col in (getattr(node, "columns", None) or {}).items()},
    }
    if config is not None:
        entry["config"] = {
            key: json_value(value) if not isinstance(value, (list, dict)) else value
            for key in GRADED_CONFIG
            if (value := _config_value(config, key)) is not None
        }
    test = getattr(node, "test_metadata", None)
    if test is not None:
        column = getattr(node, "column_name", None) or (test.kwargs or {}).get("column_name")
        entry.update(
            test_name=test.name,
            column=column if isinstance(column, str) else None,
            attached=getattr(node, "attached_node", None),
            test_kwargs={
                k: v
                for k, v in (test.kwargs or {}).items()
                if k not in ("model", "column_name") and isinstance(v, (str, int, float, list))
            },
        )
    if node.resource_type.value == "unit_test":
        entry["attached"] = f"model.{node.package_name}.{node.model}"
    return entry


def _lineage(manifest) -> dict:
    """The project's graph as plain data: for the lineage view and the grader's graph checks."""
    kinds = ("model", "seed", "snapshot", "source", "test", "unit_test")
    everything = {**manifest.nodes, **manifest.sources, **getattr(manifest, "unit_tests", {})}
    docs = {
        doc.name: doc.block_contents.strip()
        for doc in manifest.docs.values()
        if doc.package_name not in ("dbt", "dbt_duckdb")
    }
    return {
        "nodes": {uid: _describe(node) for uid, node in everything.items() if node.resource_type.value in kinds},
        "docs": docs,
    }


def _node_result(result, manifest) -> NodeResult:
    node = result.node
    status = str(getattr(result.status, "value", result.status))
    message = clean_message(result.message or "")
    error = None
    if status in ("error", "fail", "runtime error"):
        raw = getattr(manifest.nodes.get(node.unique_id), "raw_code", None) if manifest else None
        path = getattr(node, "original_file_path", None)
        if status != "fail" and (macro := _own_test_macro(node, manifest, result.message or "")):
            path, raw = macro.original_file_path, macro.macro_sql  # the learner's {% test %} block
        error = learner_error(
            result.message or status,
            path=path,
            raw=raw,
            compiled=getattr(node, "compiled_code", None),
            node=node.unique_id,
            known=_node_kinds(manifest),
        )
        if status == "fail":
            error.message = f"Test failed: {message}" if message else "Test failed"
    return NodeResult(
        unique_id=node.unique_id,
        name=node.name,
        resource_type=node.resource_type.value,
        status=status,
        path=getattr(node, "original_file_path", None),
        execution_time=round(float(result.execution_time or 0.0), 4),
        message=message,
        error=error,
        failures=result.failures if isinstance(result.failures, int) else None,
    )


def _own_test_macro(node, manifest, message: str):
    """The project's own generic test that a test node runs, when the error is about a name its
    {% test %} block holds (a typed column): the bug is there, not in the YAML that uses it."""
    meta = getattr(node, "test_metadata", None)
    if meta is None or manifest is None:
        return None
    macro = manifest.macros.get(f"macro.{manifest.metadata.project_name}.test_{meta.name}")
    named = re.search(r'"(\w+)"', clean_message(message))
    if macro is None or named is None or not re.search(rf"\b{named.group(1)}\b", macro.macro_sql):
        return None
    return macro


def _caused_by_memory(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, MemoryError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _exception_error(exc: BaseException, manifest=None) -> LearnerError:
    if _caused_by_memory(exc):  # MemoryError's message is empty: say what happened
        return LearnerError(
            message="Your job ran out of memory (it went past its memory limit). "
            "Look for a Jinja loop or a value that grows without end."
        )
    node = getattr(exc, "node", None)
    path = getattr(node, "original_file_path", None)
    raw = getattr(node, "raw_code", None)
    return learner_error(
        str(exc),
        path=path,
        raw=raw,
        compiled=getattr(node, "compiled_code", None),
        node=getattr(node, "unique_id", None),
        known=_node_kinds(manifest),
    )


def _node_kinds(manifest) -> dict[str, str]:
    """The project's node names and kinds, and the tables its sources read ("source"), for
    errors that name a missing table."""
    nodes = getattr(manifest, "nodes", None) or {}
    sources = getattr(manifest, "sources", None) or {}
    tables = {s.identifier: "source" for s in sources.values() if s.identifier}
    return {**tables, **{n.name: n.resource_type.value for n in nodes.values()}}


def _commands(job: Job, project: Path) -> list[Job | str]:
    """The dbt invocations of a job: one, or the grader's fixed sequence on one parse.

    With a second seed state (`seeds_next/`), the grader first builds on the first state, then
    replaces those seed files and builds again: snapshots then hold closed and deleted
    versions, and incremental models run their incremental branch, as in real life."""
    if job.command != "grade_build":
        return [job]
    sequence = [c for c in GRADE_SEQUENCE if job.tests or c != "test"]
    steps = [Job(job.learner_key, job.lesson_id, command) for command in sequence]
    if not (project / NEXT_SEEDS).is_dir():
        return steps
    first = [Job(job.learner_key, job.lesson_id, command) for command in ("seed", "snapshot", "run")]
    return first + [NEXT_SEEDS] + steps


def _next_seed_state(project: Path) -> None:
    for csv in sorted((project / NEXT_SEEDS).glob("*.csv")):
        shutil.copyfile(csv, project / "seeds" / csv.name)


def _latest(nodes: list[NodeResult]) -> list[NodeResult]:
    """One result per node: the last pass's, in the order nodes first ran."""
    latest = {n.unique_id: n for n in nodes}
    return list(latest.values())


def _collect(result: JobResult, job: Job, outcome, manifest) -> None:
    run_results = getattr(outcome.result, "results", None) or []
    nodes = [_node_result(r, manifest) for r in run_results]
    result.nodes.extend(nodes)
    result.errors.extend(n.error for n in nodes if n.error)
    if outcome.exception is not None:
        result.errors.append(_exception_error(outcome.exception, manifest))
    for r in run_results:
        code = getattr(r.node, "compiled_code", None)
        if code and job.command in ("compile", "run", "build", "show", "test"):  # a test's SQL finds its failing rows
            result.compiled[r.node.unique_id] = code
        table = getattr(r, "agate_table", None)
        if job.command == "show" and table is not None and r.node.resource_type.value != "test":
            rows = [json_row(row) for row in table.rows[: job.row_cap]]
            result.preview = Preview(
                columns=list(table.column_names),
                rows=rows,
                total_rows=len(table.rows),
                truncated=len(table.rows) > len(rows),
            )


def open_duckdb():
    """dbt-duckdb's process-wide connection when it is open (None otherwise)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    return getattr(DuckDBConnectionManager._ENV, "conn", None)


def close_duckdb() -> None:
    """Close dbt-duckdb's process-wide connection: it must not cross a fork (its threads do
    not, and the child would crash), and it holds the warehouse file until closed.

    A collection then frees what still refers to it (a DuckDB opened again in this process
    must not be handed the same database). It walks everything the job made (~8 % of a grade
    build's CPU): none when nothing was open (a grade build after its parse)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    was_open = DuckDBConnectionManager._ENV is not None
    if was_open:
        DuckDBConnectionManager._ENV.close()
        DuckDBConnectionManager._ENV = None
    from dbt.adapters.factory import reset_adapters

    reset_adapters()
    if was_open:
        import gc

        gc.collect()


def seed_fingerprint(manifest, project: Path) -> str:
    """What `dbt seed` loads, as one hash: every seed node as dbt parsed it (columns, types,
    hooks, schema, alias), the bytes of its CSV file, and every macro of the project itself
    (one could override how seeds load). Two projects with the same fingerprint seed the
    same warehouse."""
    digest = hashlib.sha256()
    seeds = sorted(uid for uid, node in manifest.nodes.items() if node.resource_type.value == "seed")
    for uid in seeds:
        node = manifest.nodes[uid].to_dict()
        for volatile in ("created_at", "root_path", "build_path"):  # when parsed, where it lives
            node.pop(volatile, None)
        digest.update(json.dumps(node, sort_keys=True, default=str).encode())
        digest.update((project / node["original_file_path"]).read_bytes())
    root = manifest.metadata.project_name
    for uid in sorted(uid for uid, macro in manifest.macros.items() if macro.package_name == root):
        digest.update(f"{uid}\0{manifest.macros[uid].macro_sql}\0".encode())
    return digest.hexdigest()[:32]


def seeded_path(warehouse: Path) -> Path:
    """Where a grade build finds (or leaves) a warehouse holding only the loaded seeds."""
    return warehouse.with_name("seeded.duckdb")


def _load_seeded(job: Job, fingerprint: str | None, warehouse: Path | None) -> bool:
    """A grade build of a project whose seeds load exactly like the reference's starts from
    the reference's seeded warehouse (the server put a copy beside ours) instead of `dbt seed`."""
    if warehouse is None or not fingerprint or job.seeded == SAVE_SEEDED:
        return False
    copy = seeded_path(warehouse)
    usable = copy.is_file() and fingerprint == job.seeded
    if usable:
        close_duckdb()
        os.replace(copy, warehouse)
    copy.unlink(missing_ok=True)
    return usable


def _save_seeded(warehouse: Path) -> None:
    """Keep a copy of the warehouse right after `dbt seed` (the reference's, for the learners)."""
    close_duckdb()  # DuckDB writes everything to the file on close; the next command reopens it
    shutil.copyfile(warehouse, seeded_path(warehouse))


def run_dbt(job: Job, project: Path, emit: Emit, warehouse: Path | None = None) -> JobResult:
    """Run a job's dbt commands on one parse. `warehouse` (a local DuckDB file) lets a grade
    build start from a seeded warehouse or leave one (Job.seeded)."""
    if job.command != "grade_build":
        return _run_one(job, project, emit)
    from dbt.cli.main import dbtRunner

    started = time.monotonic()
    args = dbt_args(job, project)
    callbacks = [_Events(emit)]
    parsed = dbtRunner(callbacks=callbacks).invoke(["parse"] + args[args.index("--project-dir") :])
    result = JobResult(status="failed", command=job.command)
    if not parsed.success:
        return _unparsed(result, parsed.exception, started)
    manifest = parsed.result
    result.lineage = _lineage(manifest)
    result.warnings = silent_mistakes(manifest, GRADED_CONFIG)
    success = True
    has_snapshots = any(n.resource_type.value == "snapshot" for n in manifest.nodes.values())
    # Hashed before any command runs: running one fills in paths of the manifest's nodes.
    fingerprint = seed_fingerprint(manifest, project) if job.seeded else None
    seeded = _load_seeded(job, fingerprint, warehouse)
    if seeded:
        result.seeded = fingerprint
    seeds_loaded = False
    for step in _commands(job, project):
        if step == NEXT_SEEDS:
            _next_seed_state(project)
            continue
        if step.command == "snapshot" and not has_snapshots:
            continue  # nothing to snapshot: spare the grader a dbt invocation
        first_seed = step.command == "seed" and not seeds_loaded
        seeds_loaded = seeds_loaded or step.command == "seed"
        if first_seed and seeded:
            continue
        outcome = dbtRunner(manifest=manifest, callbacks=callbacks).invoke(dbt_args(step, project))
        _collect(result, step, outcome, manifest)
        success = success and outcome.success
        if first_seed and outcome.success and job.seeded == SAVE_SEEDED and warehouse is not None:
            _save_seeded(warehouse)
            result.seeded = fingerprint
    return _finished(result, success, started)


def _run_one(job: Job, project: Path, emit: Emit) -> JobResult:
    """One command, which parses the project itself (the worker remembers that manifest:
    dbt_tuning), in one dbt invocation."""
    from dbt.cli.main import dbtRunner

    from decode_data.services.engine.dbt_tuning import take_parsed_manifest

    started = time.monotonic()
    take_parsed_manifest()  # none left from an earlier invocation in this process
    outcome = dbtRunner(callbacks=[_Events(emit)]).invoke(dbt_args(job, project))
    manifest = take_parsed_manifest()
    result = JobResult(status="failed", command=job.command)
    if manifest is None:
        return _unparsed(result, outcome.exception, started)
    result.lineage = _lineage(manifest)
    result.warnings = silent_mistakes(manifest, GRADED_CONFIG)
    _collect(result, job, outcome, manifest)
    return _finished(result, outcome.success, started)


def _unparsed(result: JobResult, exc: BaseException | None, started: float) -> JobResult:
    result.errors.append(_exception_error(exc or RuntimeError("dbt could not parse the project")))
    result.elapsed_s = time.monotonic() - started
    return result


def _finished(result: JobResult, success: bool, started: float) -> JobResult:
    result.nodes = _latest(result.nodes)
    result.status = "success" if success else "failed"
    if not result.errors and not success:
        result.errors.append(LearnerError(message="dbt did not finish successfully"))
    result.elapsed_s = time.monotonic() - started
    return result
