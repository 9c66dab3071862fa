"""The project as the server will run it: configs the source dbt_project.yml set, carried over.

dbt parses the project twice (import_source.parse_projects): as its author wrote it and laid out
as the server runs it, with the server's dbt_project.yml. A config that differs between the two
came from the author's dbt_project.yml and would be lost, so a model's is written into the model
as a `{{ config(...) }}` line and a seed's into a YAML file. Plain functions on the two manifests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from decode_data.services.authoring.import_source import SourceProject

CARRIED_MODEL_CONFIGS = ("materialized", "incremental_strategy", "unique_key", "on_schema_change", "full_refresh")
UNCARRIED_MODEL_CONFIGS = {
    "alias": "the grader finds a model by its name",
    "schema": "every model is built in the schema main",
    "database": "every model is built in the learner's own warehouse",
    "pre-hook": "hooks are not carried over",
    "post-hook": "hooks are not carried over",
}
CARRIED_SEED_CONFIGS = ("column_types", "delimiter", "quote_columns")
SEED_CONFIG_FILE = "seeds/_imported_seed_configs.yml"


@dataclass(frozen=True)
class ServerProject:
    """The project's files as a lesson holds them, and dbt's manifest of it as the server runs it."""

    manifest: dict  # `dbt parse` of the server's layout
    carried: dict[str, dict]  # model -> configs moved out of the source dbt_project.yml
    solution_sql: dict[str, str]  # model path -> its SQL, with the carried config line
    seed_files: dict[str, str | Path]  # seeds/ as the lesson ships them, carried seed configs included
    project_files: dict[str, Path]  # every other file (a model dbt did not find is left out)
    warnings: list[str]  # what could not be carried over

    def models(self) -> list[dict]:
        """The model nodes that are imported (a model the source disables is not)."""
        return [n for n in nodes_of(self.manifest, "model") if n["original_file_path"] in self.solution_sql]


def nodes_of(manifest: dict, kind: str) -> list[dict]:
    return [n for n in manifest["nodes"].values() if n["resource_type"] == kind]


def server_project(source: SourceProject, original: dict, server: dict) -> ServerProject:
    """Carry the source dbt_project.yml's configs into the files, from the two manifests."""
    carried, skipped, model_warnings = carry_model_configs(original, server)
    seed_files, seed_warnings = seed_files_with_configs(source, original, server)
    paths = sorted(n["original_file_path"] for n in nodes_of(server, "model") if n["original_file_path"] not in skipped)
    return ServerProject(
        manifest=server,
        carried=carried,
        solution_sql={path: _with_config(source, server, carried, path) for path in paths},
        seed_files=seed_files,
        project_files={p: f for p, f in source.files.items() if not p.startswith("seeds/") and p not in skipped},
        warnings=model_warnings + seed_warnings,
    )


def _disabled_models(original: dict) -> set[str]:
    return {
        n["name"]
        for nodes in (original.get("disabled") or {}).values()
        for n in nodes
        if n.get("resource_type") == "model"
    }


def _model_config_diff(name: str, want: dict, have: dict) -> tuple[dict, list[str]]:
    """The configs to carry for one model, and a warning per config that cannot be carried."""
    diff = {k: want.get(k) for k in CARRIED_MODEL_CONFIGS if want.get(k) != have.get(k)}
    if (want.get("contract") or {}).get("enforced") != (have.get("contract") or {}).get("enforced"):
        diff["contract"] = {"enforced": bool((want.get("contract") or {}).get("enforced"))}
    warnings = [
        f"model {name}: `{key}` from dbt_project.yml is not carried over ({why})"
        for key, why in UNCARRIED_MODEL_CONFIGS.items()
        if want.get(key) != have.get(key)
    ]
    return diff, warnings


def carry_model_configs(original: dict, server: dict) -> tuple[dict[str, dict], set[str], list[str]]:
    """Configs set in the source dbt_project.yml (the only ones lost by the server's file);
    (carried per model, paths of models dbt does not build in the source, warnings)."""
    theirs = {n["name"]: n for n in nodes_of(original, "model")}
    disabled = _disabled_models(original)
    carried, skipped, warnings = {}, set(), []
    for node in nodes_of(server, "model"):
        name = node["name"]
        if name not in theirs:
            why = "disabled in dbt_project.yml" if name in disabled else "not found by dbt in the source"
            warnings.append(f"model {name} is {why}: not imported")
            skipped.add(node["original_file_path"])
            continue
        diff, uncarried = _model_config_diff(name, theirs[name]["config"], node["config"])
        warnings += uncarried
        if diff:
            carried[name] = diff
    return carried, skipped, warnings


def _with_config(source: SourceProject, server: dict, carried: dict[str, dict], path: str) -> str:
    node = next(n for n in nodes_of(server, "model") if n["original_file_path"] == path)
    text = source.text(path)
    config = carried.get(node["name"])
    if not config:
        return text
    args = ", ".join(f"{k}={v!r}" for k, v in config.items())
    return f"{{{{ config({args}) }}}}\n" + text


def seed_files_with_configs(
    source: SourceProject, original: dict, server: dict
) -> tuple[dict[str, str | Path], list[str]]:
    """seeds/ plus a YAML file with the seed configs the source dbt_project.yml set; warnings."""
    files: dict[str, str | Path] = {p: source.files[p] for p in source.paths("seeds")}
    theirs = {n["name"]: n for n in nodes_of(original, "seed")}
    entries, warnings = [], []
    for node in nodes_of(server, "seed"):
        want, have = theirs.get(node["name"], node)["config"], node["config"]
        diff = {k: want.get(k) for k in CARRIED_SEED_CONFIGS if want.get(k) != have.get(k)}
        if diff and node.get("patch_path"):
            warnings.append(
                f"seed {node['name']}: its dbt_project.yml config {diff} is not carried "
                "over (the seed already has a YAML entry)"
            )
        elif diff:
            entries.append({"name": node["name"], "config": diff})
    if entries:
        files[SEED_CONFIG_FILE] = "# Seed configs that the source dbt_project.yml set.\n" + yaml.safe_dump(
            {"version": 2, "seeds": entries}, sort_keys=False
        )
    return files, warnings
