"""Which version of each model is in the learner's warehouse, so a run can say what is stale.

After every job, the file behind each node dbt built is hashed into `build_record.json`
beside the warehouse. Before a run that selects only part of the project, the models it
reads from are compared with that record: an edited (or never built) parent is named, so the
learner is not surprised by a Binder Error about a column their file clearly defines.
The record lives in the job's folder, so a learner's own job could rewrite it: it only ever
feeds a hint, never a grade or a permission.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

from decode_data.services.dbt_command import ancestors
from decode_data.services.engine import JobResult
from decode_data.services.workspace import WorkspacePaths

RECORD = "build_record.json"
FAILURES = "build_failures.json"  # the file version of each node whose last build failed
BUILT = ("model", "seed", "snapshot")
BUILT_OK = ("success", "pass")
BUILDING_COMMANDS = ("seed", "run", "build", "snapshot")


def _digest(project: Path, path: str) -> str:
    try:
        return hashlib.sha256((project / path).read_bytes()).hexdigest()
    except OSError:
        return ""


def _read(paths: WorkspacePaths, name: str = RECORD) -> dict[str, str]:
    with contextlib.suppress(OSError, ValueError):
        record = json.loads((paths.root / name).read_text(encoding="utf-8"))
        if isinstance(record, dict):
            return {str(k): str(v) for k, v in record.items()}
    return {}


def _write(paths: WorkspacePaths, name: str, record: dict[str, str]) -> None:
    temporary = paths.root / (name + ".tmp")
    temporary.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
    temporary.replace(paths.root / name)  # a killed job never leaves half a record


def record_build(paths: WorkspacePaths, result: JobResult) -> None:
    """Remember the file version of every node this job built into the warehouse."""
    if result.command not in BUILDING_COMMANDS:
        return
    ours = [node for node in result.nodes if node.path and node.resource_type in BUILT]
    built = {node.path: _digest(paths.project, node.path) for node in ours if node.status in BUILT_OK}
    failed = {node.path: _digest(paths.project, node.path) for node in ours if node.status == "error"}
    if built:
        _write(paths, RECORD, {**_read(paths), **built})
    known = _read(paths, FAILURES)
    if failed or set(built) & set(known):
        _write(paths, FAILURES, {**{k: v for k, v in known.items() if k not in built}, **failed})


def stale_parents(paths: WorkspacePaths, lineage: dict, chosen: set[str]) -> list[tuple[str, bool]]:
    """(name, never built) of the models and snapshots `chosen` reads from, left out of the
    selection, whose file changed since it was last built or that were never built; parents first."""
    nodes = lineage.get("nodes") or {}
    record = _read(paths)
    parents = set().union(*(ancestors(uid, nodes) for uid in chosen)) - chosen if chosen else set()
    stale = []
    for uid in sorted(parents, key=lambda u: (len(ancestors(u, nodes)), u)):
        node = nodes[uid]
        path = node.get("path") or ""
        if node.get("resource_type") not in ("model", "snapshot") or not path:
            continue
        if record.get(path) != _digest(paths.project, path):
            stale.append((node.get("name") or uid, path not in record))
    return stale


def project_file(project: Path, name: str) -> str:
    """The project file that defines node `name` (models/**/name.sql, seeds/**/name.csv...)."""
    for folder, suffix in (("models", ".sql"), ("seeds", ".csv"), ("snapshots", ".sql")):
        found = sorted((project / folder).rglob(name + suffix)) if (project / folder).is_dir() else []
        if found:
            return found[0].relative_to(project).as_posix()
    return ""


def warehouse_notes(paths: WorkspacePaths, names: list[str]) -> list[str]:
    """The learner's own warehouse, as their jobs left it, for the nodes a step looks at: what is
    missing or older than its file, with the command that fixes it. Empty when all is current."""
    record = _read(paths)
    if not any(path.startswith("seeds/") for path in record) and (paths.project / "seeds").is_dir():
        return ["Your warehouse has no seeds loaded yet: run `dbt seed`."]
    notes, failures = [], _read(paths, FAILURES)
    for name in dict.fromkeys(names):
        path = project_file(paths.project, name)
        if not path:
            continue
        digest = _digest(paths.project, path)
        if failures.get(path) == digest:
            notes.append(
                f"Your last run of {name} failed on this version of its file: fix the error it showed, "
                f"then run `dbt run -s {name}`."
            )
        elif path not in record:
            command = "dbt seed" if path.startswith("seeds/") else f"dbt run -s {name}"
            notes.append(f"{name} is not in your warehouse yet: run `{command}`.")
        elif record[path] != digest:
            notes.append(
                f"Your warehouse is out of date: {name} was not built since your last change. Run `dbt run -s {name}`."
            )
    return notes
