"""Read an existing dbt project for `lessons import`: its files, mapped to the lesson layout, and
its graph, parsed by dbt itself.

A lesson's project uses the server's dbt_project.yml (project `lesson`, folders models/, seeds/,
tests/, macros/, snapshots/, analyses/), so every source folder is mapped onto those names here.
dbt_project.yml, profiles.yml, packages.yml and Python files are never carried over: the server
owns the first three and learners never run Python.

dbt parses the project twice, each in its own subprocess (dbtRunner keeps global state and is
not re-entrant): once as the author wrote it (their dbt_project.yml, so the configs it sets on
folders are known) and once laid out as the server will run it. Configs that differ between the
two came from the source dbt_project.yml; lesson_import writes them into the models themselves.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from decode_data.services.engine.project_files import SERVER_OWNED, dbt_project
from decode_data.services.save_policy import PathRejected, check_path

PARSE_TIMEOUT_S = 180
SKIPPED_DIRS = frozenset({"target", "dbt_packages", "logs", "__pycache__", "node_modules"})
# Folder kind -> (dbt_project.yml key, default folders, lesson folder, file suffixes carried over).
KINDS = {
    "models": ("model-paths", ["models"], (".sql", ".yml", ".yaml", ".md")),
    "seeds": ("seed-paths", ["seeds"], (".csv", ".yml", ".yaml")),
    "tests": ("test-paths", ["tests"], (".sql", ".yml", ".yaml")),
    "macros": ("macro-paths", ["macros"], (".sql", ".yml", ".yaml", ".md")),
    "snapshots": ("snapshot-paths", ["snapshots"], (".sql", ".yml", ".yaml")),
    "analyses": ("analysis-paths", ["analyses"], (".sql", ".yml", ".yaml", ".md")),
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class ImportRefused(ValueError):
    """The project cannot become a lesson as it is (Python models, packages, bad id ...)."""


class ImportFailed(RuntimeError):
    """dbt could not parse or build the project: the message quotes dbt's error."""


@dataclass
class SourceProject:
    """A dbt project on disk, with each of its files mapped to a lesson project path."""

    dir: Path
    name: str
    profile: str
    config: dict  # the source dbt_project.yml
    files: dict[str, Path] = field(default_factory=dict)  # lesson path (models/x.sql) -> source file
    original: dict[str, str] = field(default_factory=dict)  # lesson path -> path in the source project
    warnings: list[str] = field(default_factory=list)

    def paths(self, kind: str) -> list[str]:
        return sorted(p for p in self.files if p.split("/", 1)[0] == kind)

    def text(self, lesson_path: str) -> str:
        return self.files[lesson_path].read_text(encoding="utf-8")


def read_project(project_dir: Path) -> SourceProject:
    """Read dbt_project.yml and map the project's files; refuse what a lesson cannot hold."""
    project_dir = Path(project_dir).expanduser().resolve()
    config_file = project_dir / "dbt_project.yml"
    if not config_file.is_file():
        raise ImportRefused(f"{project_dir} is not a dbt project: it has no dbt_project.yml")
    try:
        config = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ImportRefused(f"{config_file}: invalid YAML: {exc}") from None
    if not isinstance(config, dict) or not isinstance(config.get("name"), str):
        raise ImportRefused(f"{config_file}: a dbt_project.yml needs a `name`")
    source = SourceProject(
        dir=project_dir, name=config["name"], profile=str(config.get("profile") or config["name"]), config=config
    )
    python = []
    for kind, (key, default, suffixes) in KINDS.items():
        folders = config.get(key) or default
        if isinstance(folders, str):
            folders = [folders]
        for index, folder in enumerate(folders):
            _map_folder(source, kind, str(folder), index, suffixes, python)
    if python:
        raise ImportRefused(
            "Python models cannot be imported: lessons are SQL only (learners never run "
            "Python). Rewrite or remove these files: " + ", ".join(sorted(python))
        )
    if not source.paths("models"):
        raise ImportRefused(f"{project_dir} has no SQL models to teach")
    if not any(p.endswith(".csv") for p in source.paths("seeds")):
        raise ImportRefused(f"{project_dir} has no seeds (CSV files): a lesson needs its data as seeds")
    _check_packages(source)
    for key in ("data_tests", "tests", "snapshots", "sources"):
        if config.get(key):
            source.warnings.append(
                f"dbt_project.yml sets `{key}:` configs; only model and seed configs are carried over into the lesson."
            )
    if config.get("vars"):
        source.warnings.append(
            "dbt_project.yml defines vars; the server's project has none, so a model "
            "that calls var() without a default will not build."
        )
    return source


def _map_folder(source: SourceProject, kind: str, folder: str, index: int, suffixes: tuple, python: list[str]) -> None:
    root = (source.dir / folder).resolve()
    if not root.is_relative_to(source.dir) or root == source.dir:
        source.warnings.append(f"{kind} folder '{folder}' is not a subfolder of the project: skipped")
        return
    if not root.is_dir():
        return
    # The first folder of a kind becomes the lesson's folder; others nest under it by name.
    base = kind if index == 0 else f"{kind}/{root.name}"
    for directory, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        for name in sorted(names):
            path = Path(directory) / name
            rel = path.relative_to(root).as_posix()
            original = path.relative_to(source.dir).as_posix()
            if name.startswith(".") or path.is_symlink():
                continue
            if name.lower().endswith(".py"):
                if kind == "models":
                    python.append(original)
                else:
                    source.warnings.append(f"{original}: Python files are never copied into a lesson")
                continue
            if name.lower() in SERVER_OWNED:
                source.warnings.append(f"{original}: server-owned file, not copied")
                continue
            if PurePosixPath(name).suffix.lower() not in suffixes:
                source.warnings.append(f"{original}: not a {kind} file dbt reads here, not copied")
                continue
            target = f"{base}/{rel}"
            try:
                target = check_path(target)
            except PathRejected as exc:
                source.warnings.append(f"{original}: {exc.reason} Not copied.")
                continue
            if target in source.files:
                raise ImportRefused(
                    f"{original} and {source.original[target]} would both become "
                    f"{target} in the lesson: rename one of them"
                )
            source.files[target] = path
            source.original[target] = original


def _package_names(data) -> list[str]:
    names = []
    if not isinstance(data, dict):
        return names
    entries = list(data.get("packages") or []) + list(data.get("projects") or [])
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        raw = entry.get("name") or entry.get("package") or entry.get("git") or entry.get("local") or ""
        name = re.sub(r"\.git$", "", str(raw).rstrip("/").rsplit("/", 1)[-1])
        if name:
            names.append(name.replace("-", "_").lower())
    return names


def _check_packages(source: SourceProject) -> None:
    """Packages are downloads the server never makes: refuse when a model uses one."""
    names = []
    for file in ("packages.yml", "dependencies.yml"):
        path = source.dir / file
        if path.is_file():
            try:
                names += _package_names(yaml.safe_load(path.read_text(encoding="utf-8")))
            except yaml.YAMLError as exc:
                raise ImportRefused(f"{path}: invalid YAML: {exc}") from None
    if not names:
        return
    used = {}
    for lesson_path in source.files:
        if not lesson_path.endswith((".sql", ".yml", ".yaml")):
            continue
        text = source.text(lesson_path)
        for name in names:
            if re.search(rf"\b{re.escape(name)}\s*\.", text) or re.search(rf"['\"]{re.escape(name)}['\"]", text):
                used.setdefault(name, []).append(source.original[lesson_path])
    if used:
        where = "; ".join(f"{name} in {', '.join(files[:3])}" for name, files in sorted(used.items()))
        raise ImportRefused(
            "This project needs dbt packages, which lessons cannot install (the server "
            f"owns packages.yml and makes no downloads): {where}. Copy the macros you "
            "need into macros/ or rewrite those models without them."
        )
    source.warnings.append(
        f"packages.yml lists {', '.join(sorted(set(names)))} but no model, test or macro "
        "seems to use them: imported without packages."
    )


# --- parsing with dbt ------------------------------------------------------------------------


def dbt_executable() -> str:
    beside = Path(sys.executable).parent / "dbt"
    found = str(beside) if beside.is_file() else shutil.which("dbt")
    if not found:
        raise ImportFailed("the dbt command line was not found next to this Python or on PATH")
    return found


def _duckdb_profile(name: str, folder: Path) -> dict:
    output = {"type": "duckdb", "path": str(folder / "parse.duckdb"), "schema": "main", "threads": 1}
    return {name: {"target": "dev", "outputs": {"dev": output}}}


def _clean_env(home: Path) -> dict:
    """dbt sees no server secret (no SECRET_KEY, database URL or MotherDuck token)."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        {
            "HOME": str(home),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def write_original_copy(source: SourceProject, dest: Path) -> tuple[Path, str]:
    """The project as its author laid it out, with its own dbt_project.yml but no packages."""
    for lesson_path, path in source.files.items():
        target = dest / source.original[lesson_path]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    shutil.copyfile(source.dir / "dbt_project.yml", dest / "dbt_project.yml")
    (dest / "profiles.yml").write_text(yaml.safe_dump(_duckdb_profile(source.profile, dest)), encoding="utf-8")
    return dest, source.profile


def write_files(dest: Path, files: dict[str, str | bytes | Path]) -> Path:
    """Write {relative path: text, bytes or a file to copy} under dest."""
    for rel, content in files.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    dest.mkdir(parents=True, exist_ok=True)
    return dest


def write_server_copy(files: dict[str, str | bytes | Path], dest: Path) -> tuple[Path, str]:
    """A project laid out as the server runs it: the server's dbt_project.yml, lesson folders."""
    write_files(dest, files)
    project = dbt_project()
    (dest / "dbt_project.yml").write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    (dest / "profiles.yml").write_text(yaml.safe_dump(_duckdb_profile(project["profile"], dest)), encoding="utf-8")
    return dest, project["profile"]


def parse_projects(*projects: tuple[Path, str]) -> list[dict]:
    """`dbt parse` each (folder, profile) in its own subprocess, all at once; their manifests."""
    running = []
    for folder, profile in projects:
        command = [
            dbt_executable(),
            "parse",
            "--project-dir",
            str(folder),
            "--profiles-dir",
            str(folder),
            "--profile",
            profile,
            "--target",
            "dev",
            "--target-path",
            str(folder / "target"),
            "--log-path",
            str(folder / "logs"),
            "--no-partial-parse",
            "--no-use-colors",
        ]
        home = Path(tempfile.mkdtemp(prefix="home-", dir=folder))
        running.append(
            (
                folder,
                subprocess.Popen(
                    command,
                    cwd=folder,
                    env=_clean_env(home),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                ),
            )
        )
    manifests = []
    for folder, proc in running:
        try:
            output, _ = proc.communicate(timeout=PARSE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise ImportFailed(f"dbt parse did not finish in {PARSE_TIMEOUT_S} s") from None
        manifest = folder / "target" / "manifest.json"
        if proc.returncode != 0 or not manifest.is_file():
            raise ImportFailed("dbt could not parse the project:\n" + _error_lines(output, folder))
        manifests.append(json.loads(manifest.read_text(encoding="utf-8")))
    return manifests


def _error_lines(output: str, folder: Path) -> str:
    lines = [_ANSI.sub("", line).rstrip() for line in output.splitlines()]
    lines = [re.sub(r"^\d\d:\d\d:\d\d\s+", "", line).replace(str(folder) + "/", "") for line in lines]
    start = next((i for i, line in enumerate(lines) if "error" in line.lower()), max(0, len(lines) - 12))
    return "\n".join("  " + line for line in lines[start : start + 15] if line.strip())
