"""What dbt builds without a word although the learner did not mean it.

- A misspelt config key (`materialised='table'`): dbt keeps it as a custom config and builds
  the default, a view. dbt-duckdb runs none of dbt's config validation, so nothing says so.
- A YAML entry whose name matches no model (`- name: stg_customer`): its descriptions and tests
  attach to nothing. dbt warns only on the parse that reads the file; partial parsing skips it
  on the next run. The manifest keeps every schema file's YAML, so we can say it every time.

Each becomes a warning placed at the learner's line: the run succeeds, and the learner learns why
the grader or the warehouse does not show what they wrote.
"""

from __future__ import annotations

import dataclasses
import difflib

from decode_data.services.engine.error_fixes import line_of, read_source
from decode_data.services.engine.jobs import LearnerError

# The YAML sections whose entries patch a node, by the resource type they patch.
PATCHED = {"models": "model", "seeds": "seed", "snapshots": "snapshot"}


def silent_mistakes(manifest, graded_config: tuple[str, ...] = ()) -> list[LearnerError]:
    """The warnings for the learner's project (the root package only, never dbt's own files)."""
    root = manifest.metadata.project_name
    nodes = [node for node in manifest.nodes.values() if node.package_name == root]
    found = [w for node in nodes for w in _config_typos(node, graded_config)]
    found += _unmatched_entries(manifest, root)
    unique = {(w.path, w.line, w.message): w for w in found}
    return list(unique.values())


def _config_typos(node, graded_config: tuple[str, ...]) -> list[LearnerError]:
    config = getattr(node, "config", None)
    extra = getattr(config, "_extra", None) or {}
    if not extra:
        return []
    known = {f.name for f in dataclasses.fields(config) if not f.name.startswith("_")} | set(graded_config)
    warnings = []
    for key in sorted(k for k in extra if k not in known):
        meant = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.8)
        if not meant:
            continue  # a custom config a learner may mean: dbt allows those
        path, line = _where(key, node)
        warnings.append(
            LearnerError(
                message=(
                    f"dbt has no config named {key}: it keeps it as a custom setting and ignores it when it builds "
                    f"{node.name}. Did you mean {meant[0]}?"
                ),
                path=path,
                line=line,
                node=node.unique_id,
            )
        )
    return warnings


def _where(key: str, node) -> tuple[str | None, int]:
    """The file and line that set the config: the model's own file, else its YAML entry."""
    patch = (getattr(node, "patch_path", None) or "").split("://", 1)[-1]
    for path in filter(None, (node.original_file_path, patch, "dbt_project.yml")):
        if line := line_of(key, read_source(path)):
            return path, line
    return node.original_file_path, 0


def _unmatched_entries(manifest, root: str) -> list[LearnerError]:
    names = {kind: set() for kind in PATCHED.values()}
    disabled = [node for versions in (getattr(manifest, "disabled", None) or {}).values() for node in versions]
    for node in [*manifest.nodes.values(), *disabled]:  # a disabled model's entry is not a slip
        if node.package_name == root and node.resource_type.value in names:
            names[node.resource_type.value].add(node.name)
    warnings = []
    for path, kind, name in _yaml_entries(manifest, root):
        if name in names[kind]:
            continue
        meant = difflib.get_close_matches(name, sorted(names[kind]), n=1)
        said = f"No {kind} is named {name}, so dbt attaches this entry's descriptions and tests to nothing."
        warnings.append(
            LearnerError(
                message=said + (f" Did you mean {meant[0]}?" if meant else ""),
                path=path,
                line=_entry_line(name, read_source(path)),
            )
        )
    return warnings


def _yaml_entries(manifest, root: str):
    """(path, resource type, name) of every entry under models:, seeds: and snapshots: of the
    project's YAML files, as dbt read them."""
    for source_file in manifest.files.values():
        yaml = getattr(source_file, "dfy", None)
        if getattr(source_file, "project_name", None) != root or not isinstance(yaml, dict):
            continue
        for section, kind in PATCHED.items():
            for entry in yaml.get(section) or []:
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    yield source_file.path.original_file_path, kind, entry["name"]


def _entry_line(name: str, text: str | None) -> int:
    """The line of `- name: stg_customer`, not of a longer name that contains it."""
    for number, line in enumerate((text or "").splitlines(), 1):
        if line.strip().lstrip("- ").replace("'", "").replace('"', "").replace(" ", "") == f"name:{name}":
            return number
    return line_of(name, text)
