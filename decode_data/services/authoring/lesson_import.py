"""Turn an existing dbt project (seeds, SQL models, YAML tests) into a lesson folder.

    import_project(Path("jaffle_shop"), "jaffle", template_dir) -> ImportReport

The project's models become the reference solution/, placeholders of them the starter/, and the
learner rebuilds them step by step in the order of the DAG, each step checked by the grader
against the reference (relation, parents, materialization) and by the project's own tests.
The steps: lesson_import_steps. Reading and parsing the project: lesson_import_source. The seed
variant: lesson_import_seeds.

What the server owns (dbt_project.yml, profiles.yml, packages.yml) is never copied; configs the
source dbt_project.yml set on folders (`+materialized: table`) are written into the models as a
`{{ config(...) }}` line, so the reference solution builds as it did. Everything is verified
with real sandboxed dbt builds (the engine) before the lesson is written; the `lessons import`
command then runs the same check as `lessons check`.
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from decode_data.services.authoring.import_seeds import LEVELS, write_variant
from decode_data.services.authoring.import_source import (
    ImportFailed,
    ImportRefused,
    SourceProject,
    parse_projects,
    read_project,
    write_files,
    write_original_copy,
    write_server_copy,
)
from decode_data.services.authoring.import_steps import (
    MINUTES_PER_STEP,
    ModelInfo,
    TestInfo,
    checks,
    explanation,
    hints,
    instructions,
    lesson_yaml,
    make_steps,
    placeholder_sql,
    placeholder_test,
    strip_tests,
)
from decode_data.services.grader.builds import Build, build
from decode_data.services.save_policy import SAVABLE_SUFFIXES
from decode_data.services.workspace import LESSON_ID_RE

IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # names safe to quote into a count query

__all__ = ["ImportFailed", "ImportRefused", "ImportReport", "import_project"]

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
PASSING = ("pass", "success")
VARIANT_TEXT = {
    "full": "rows cloned under new keys, numbers scaled, dates shifted, text columns shuffled among rows",
    "no_shuffle": "rows cloned under new keys, numbers scaled, dates shifted (text columns kept)",
    "values": "numbers scaled and dates shifted (same rows)",
    "copy": "a COPY of seeds/ in another row order: a hard-coded answer passes the variant too",
}


@dataclass
class ImportReport:
    lesson_id: str
    lesson_dir: Path
    project: str
    title: str
    steps: list[tuple[str, list[str]]]  # (step id, models built in it), in order
    tests: int  # data tests that became checks
    variant: str  # the seeds_variant level kept (lesson_import_seeds.LEVELS)
    carried: dict[str, dict] = field(default_factory=dict)  # model -> configs moved out of dbt_project.yml
    same_on_variant: list[str] = field(default_factory=list)  # models whose result the variant leaves alone
    warnings: list[str] = field(default_factory=list)

    @property
    def models(self) -> list[str]:
        return [m for _, models in self.steps for m in models]

    def text(self) -> str:
        lines = [
            f"Imported dbt project '{self.project}' as lesson '{self.lesson_id}' ({self.title})",
            f"  into {self.lesson_dir}",
            f"  {len(self.models)} models in {len(self.steps)} steps; {self.tests} of the project's tests are checks",
        ]
        lines += [
            f"  step {i}: {step_id} -> {', '.join(models)}" for i, (step_id, models) in enumerate(self.steps, start=1)
        ]
        for model, config in self.carried.items():
            lines.append(
                f"  {model}: config from dbt_project.yml written into the model: "
                + ", ".join(f"{k}={v}" for k, v in config.items())
            )
        lines.append(f"  seeds_variant: {self.variant} ({VARIANT_TEXT[self.variant]})")
        if self.same_on_variant:
            lines.append(
                "  same result on both seed sets (a hard-coded answer would pass): " + ", ".join(self.same_on_variant)
            )
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def import_project(
    project_dir: Path, lesson_id: str, template_dir: Path, title: str | None = None, force: bool = False
) -> ImportReport:
    """Write dbt_template-style lesson ``lesson_id`` into ``template_dir`` from a dbt project.

    Raises ImportRefused (the request or the project is not acceptable: nothing was run) or
    ImportFailed (dbt could not parse or build it). Needs the engine (sandboxed dbt workers).
    """
    if not isinstance(lesson_id, str) or not LESSON_ID_RE.match(lesson_id):
        raise ImportRefused(
            f"invalid lesson id {lesson_id!r}: use letters, digits, _ and -, starting "
            "with a letter or digit, at most 64 characters"
        )
    template_dir = Path(template_dir).resolve()
    dest = template_dir / lesson_id
    if os.path.lexists(dest) and not force:
        raise ImportRefused(f"{dest} already exists: choose another --id, or pass --force to replace it")
    source = read_project(Path(project_dir))
    with tempfile.TemporaryDirectory(prefix="decode-data-import-") as scratch:
        made = _Import(source, lesson_id, Path(scratch))
        files = made.lesson_files(title or _title(source.name))
        _write_lesson(template_dir, lesson_id, files, force)
    return ImportReport(
        lesson_id=lesson_id,
        lesson_dir=dest,
        project=source.name,
        title=title or _title(source.name),
        steps=[(s.id, list(s.models)) for s in made.steps],
        tests=sum(1 for s in made.steps for t in s.tests),
        variant=made.variant,
        carried=made.carried,
        same_on_variant=made.same_on_variant,
        warnings=source.warnings,
    )


def _title(project_name: str) -> str:
    return f"Rebuild {project_name.replace('_', ' ').title()}"


class _Import:
    """One import in a scratch folder: parse, carry configs, build, plan, vary the seeds."""

    def __init__(self, source: SourceProject, lesson_id: str, scratch: Path):
        self.source, self.lesson_id, self.scratch = source, lesson_id, scratch
        self.warnings = source.warnings
        self.key = f"import_{lesson_id}".replace("-", "_")
        original, server = parse_projects(
            write_original_copy(source, scratch / "original"), write_server_copy(dict(source.files), scratch / "server")
        )
        self.manifest = server
        self.carried = self._carry_model_configs(original, server)
        self.seed_files = self._seed_files(original, server)
        self.solution_sql = {path: self._with_config(path) for path in self._model_paths()}
        # The reference solution, as the grader builds it (the engine writes the project files).
        self.reference = write_files(scratch / "reference", {**self._project_files(), **self.solution_sql})
        self.seeds_dir = write_files(scratch / "seeds", {p[len("seeds/") :]: c for p, c in self.seed_files.items()})
        self.main = self._build(self.seeds_dir, "seeds")
        if not self.main.result.ok:
            raise ImportFailed(
                "the project does not build (with its tests) the way the server runs it:\n" + _errors(self.main)
            )
        self.models = self._models()
        self.tests = self._tests()
        self.steps = make_steps(self.models, self.tests)
        self.variant, self.variant_dir, self.same_on_variant = self._variant()

    # --- configs -------------------------------------------------------------------------------

    def _model_paths(self) -> list[str]:
        return sorted(
            n["original_file_path"]
            for n in self._nodes(self.manifest, "model")
            if n["original_file_path"] not in self._skipped
        )

    @staticmethod
    def _nodes(manifest: dict, kind: str) -> list[dict]:
        return [n for n in manifest["nodes"].values() if n["resource_type"] == kind]

    def _carry_model_configs(self, original: dict, server: dict) -> dict[str, dict]:
        """Configs set in the source dbt_project.yml: the only ones lost by the server's file."""
        theirs = {n["name"]: n for n in self._nodes(original, "model")}
        disabled = {
            n["name"]
            for nodes in (original.get("disabled") or {}).values()
            for n in nodes
            if n.get("resource_type") == "model"
        }
        carried = {}
        for node in self._nodes(server, "model"):
            name = node["name"]
            if name not in theirs:
                why = "disabled in dbt_project.yml" if name in disabled else "not found by dbt in the source"
                self.warnings.append(f"model {name} is {why}: not imported")
                continue
            want, have = theirs[name]["config"], node["config"]
            diff = {k: want.get(k) for k in CARRIED_MODEL_CONFIGS if want.get(k) != have.get(k)}
            if (want.get("contract") or {}).get("enforced") != (have.get("contract") or {}).get("enforced"):
                diff["contract"] = {"enforced": bool((want.get("contract") or {}).get("enforced"))}
            for key, why in UNCARRIED_MODEL_CONFIGS.items():
                if want.get(key) != have.get(key):
                    self.warnings.append(f"model {name}: `{key}` from dbt_project.yml is not carried over ({why})")
            if diff:
                carried[name] = diff
        self._skipped = {n["original_file_path"] for n in self._nodes(server, "model") if n["name"] not in theirs}
        return carried

    def _with_config(self, path: str) -> str:
        node = next(n for n in self._nodes(self.manifest, "model") if n["original_file_path"] == path)
        text = self.source.text(path)
        config = self.carried.get(node["name"])
        if not config:
            return text
        args = ", ".join(f"{k}={v!r}" for k, v in config.items())
        return f"{{{{ config({args}) }}}}\n" + text

    def _seed_files(self, original: dict, server: dict) -> dict[str, str | Path]:
        files: dict[str, str | Path] = {p: self.source.files[p] for p in self.source.paths("seeds")}
        theirs = {n["name"]: n for n in self._nodes(original, "seed")}
        entries = []
        for node in self._nodes(server, "seed"):
            want, have = theirs.get(node["name"], node)["config"], node["config"]
            diff = {k: want.get(k) for k in CARRIED_SEED_CONFIGS if want.get(k) != have.get(k)}
            if diff and node.get("patch_path"):
                self.warnings.append(
                    f"seed {node['name']}: its dbt_project.yml config {diff} is not carried "
                    "over (the seed already has a YAML entry)"
                )
            elif diff:
                entries.append({"name": node["name"], "config": diff})
        if entries:
            files[SEED_CONFIG_FILE] = "# Seed configs that the source dbt_project.yml set.\n" + yaml.safe_dump(
                {"version": 2, "seeds": entries}, sort_keys=False
            )
        return files

    def _project_files(self) -> dict[str, Path]:
        return {p: f for p, f in self.source.files.items() if not p.startswith("seeds/") and p not in self._skipped}

    # --- builds --------------------------------------------------------------------------------

    def _build(self, seed_dir: Path, seeds: str) -> Build:
        return build(self.key, self.lesson_id, self.scratch / f"build_{seed_dir.name}", self.reference, seed_dir, seeds)

    def _columns(self) -> dict[str, list[tuple[str, str]]]:
        found = self.main.query(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'main' order by table_name, ordinal_position"
        )
        columns: dict[str, list[tuple[str, str]]] = {}
        for table, column, kind in found.preview.rows if found.ok and found.preview else []:
            columns.setdefault(str(table).lower(), []).append((str(column), str(kind)))
        return columns

    def _row_counts(self, names: list[str]) -> dict[str, int]:
        names = [n for n in names if IDENTIFIER_RE.match(n)]
        if not names:
            return {}
        sql = " union all ".join(f"select '{n}' as name, count(*) as n from main.\"{n}\"" for n in names)
        found = self.main.query(sql)
        return {str(r[0]): int(r[1]) for r in (found.preview.rows if found.ok and found.preview else [])}

    # --- models and tests ----------------------------------------------------------------------

    def _models(self) -> dict[str, ModelInfo]:
        nodes = self.manifest["nodes"]
        kept = {
            n["unique_id"]: n
            for n in self._nodes(self.manifest, "model")
            if n["original_file_path"] not in self._skipped
        }
        sources = self.manifest.get("sources") or {}
        columns = self._columns()
        counts = self._row_counts(
            [n["name"] for n in kept.values() if (self.main.node(n["name"]) or {}).get("materialized") != "ephemeral"]
        )
        units: dict[str, int] = {}
        for unit in (self.manifest.get("unit_tests") or {}).values():
            units[unit["model"]] = units.get(unit["model"], 0) + 1
        models = {}
        for _uid, node in kept.items():
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
            built = self.main.node(node["name"]) or {}
            described = {k.lower(): v.get("description", "") for k, v in node["columns"].items()}
            patch = (node.get("patch_path") or "").split("://", 1)[-1] or None
            models[node["name"]] = ModelInfo(
                name=node["name"],
                path=node["original_file_path"],
                parents=parents,
                parent_calls=calls,
                model_parents=[nodes[p]["name"] for p in node["depends_on"]["nodes"] if p in kept],
                materialized=built.get("materialized") or node["config"]["materialized"],
                description=node.get("description") or "",
                columns=[(c, t, described.get(c.lower(), "")) for c, t in columns.get(node["name"].lower(), [])],
                rows=counts.get(node["name"]),
                sql=self.solution_sql[node["original_file_path"]],
                yaml_path=patch,
                unit_tests=units.get(node["name"], 0),
            )
        for name, model in models.items():
            want = (self.carried.get(name) or {}).get("materialized")
            if want and model.materialized != want:
                self.warnings.append(f"model {name} builds as a {model.materialized}, not a {want}")
        return models

    def _tests(self) -> list[TestInfo]:
        nodes = self.manifest["nodes"]
        model_ids = {
            n["unique_id"]: n["name"]
            for n in self._nodes(self.manifest, "model")
            if n["original_file_path"] not in self._skipped
        }
        tests = []
        for node in self._nodes(self.manifest, "test"):
            reads = [model_ids[p] for p in node["depends_on"]["nodes"] if p in model_ids]
            if not reads:
                continue  # a test on seeds or sources: it stays in the starter
            status = self.main.node_status(node["unique_id"])
            meta = node.get("test_metadata")
            label = meta["name"] if meta else node["original_file_path"]
            if status not in PASSING:
                self.warnings.append(
                    f"test {node['name']} ({label}) does not pass on the project's own seeds "
                    f"(status {status}): it is not a check"
                )
                continue
            if meta:
                attached = nodes.get(node.get("attached_node") or "", {}).get("name")
                tests.append(
                    TestInfo(
                        unique_id=node["unique_id"],
                        model=attached or reads[-1],
                        models=reads,
                        test_name=meta["name"],
                        column=node.get("column_name"),
                        kwargs={k: v for k, v in (meta.get("kwargs") or {}).items() if k != "model"},
                    )
                )
            else:
                tests.append(
                    TestInfo(
                        unique_id=node["unique_id"],
                        model=reads[-1],
                        models=reads,
                        path=node["original_file_path"],
                        sql=node.get("raw_code") or "",
                    )
                )
        return tests

    # --- the variant seeds ---------------------------------------------------------------------

    def _variant(self) -> tuple[str, Path, list[str]]:
        passing = {
            n.unique_id
            for n in self.main.result.nodes
            if n.status in PASSING and n.resource_type in ("test", "unit_test")
        }
        for level in LEVELS:
            folder = self.scratch / f"variant_{level}"
            write_variant(self.seeds_dir, folder, level)
            made = self._build(folder, "seeds_variant")
            broken = [n.name for n in made.result.nodes if n.unique_id in passing and n.status not in PASSING]
            if made.result.ok and not broken:
                if level != LEVELS[0]:
                    self.warnings.append(f"seeds_variant is the milder '{level}' variant: {VARIANT_TEXT[level]}")
                return level, folder, self._unchanged(made)
            why = ", ".join(broken[:4]) if broken else _errors(made).strip().splitlines()[0]
            self.warnings.append(f"the '{level}' seed variant breaks the project's tests ({why}): tried a milder one")
        raise ImportFailed(
            "the reference solution does not build even on a reordered copy of its seeds:\n" + _errors(made)
        )

    def _unchanged(self, variant: Build) -> list[str]:
        """Models with the same rows on both seed sets, by a row-order-free fingerprint."""
        names = sorted(n for n, m in self.models.items() if m.materialized != "ephemeral" and IDENTIFIER_RE.match(n))
        if not names:
            return []
        sql = " union all ".join(
            f"select '{n}' as name, count(*) as n, sum(hash(t))::varchar as h from main.\"{n}\" as t" for n in names
        )
        ours, theirs = self.main.query(sql), variant.query(sql)
        if not (ours.ok and theirs.ok and ours.preview and theirs.preview):
            return []
        fingerprint = {str(r[0]): (r[1], r[2]) for r in theirs.preview.rows}
        return sorted(str(r[0]) for r in ours.preview.rows if fingerprint.get(str(r[0])) == (r[1], r[2]))

    # --- the lesson's files --------------------------------------------------------------------

    def lesson_files(self, title: str) -> dict[str, str | bytes | Path]:
        files: dict[str, str | bytes | Path] = {}
        step_of = {m: s for s in self.steps for m in s.models}
        home = {t.unique_id: s for s in self.steps for t in s.tests}
        total = len(self.steps)
        for name, model in self.models.items():
            files[f"starter/{model.path}"] = placeholder_sql(model, step_of[name], total)
            files[f"solution/{model.path}"] = model.sql
        singular = {t.path: t for s in self.steps for t in s.tests if t.path}
        for path, source_file in self._project_files().items():
            if path.startswith("models/") and path.endswith(".sql"):
                continue  # models are done above (a skipped model's file is left out)
            if path in singular:
                test = singular[path]
                files[f"starter/{path}"] = placeholder_test(test, home[test.unique_id])
                files[f"solution/{path}"] = source_file
                continue
            if path.startswith("models/") and path.endswith((".yml", ".yaml")):
                text = source_file.read_text(encoding="utf-8")
                stripped = strip_tests(text)
                if stripped is not None:
                    files[f"starter/{path}"] = stripped
                    files[f"solution/{path}"] = source_file
                    continue
            files[f"starter/{path}"] = source_file
        for path, content in self.seed_files.items():
            files[path] = content
        for path in sorted(p for p in self.variant_dir.rglob("*") if p.is_file()):
            files[f"seeds_variant/{path.relative_to(self.variant_dir).as_posix()}"] = path
        files.update(self._steps_and_yaml(title, files))
        files["tools/IMPORT_NOTES.md"] = self._notes()
        return files

    def _seed_table(self) -> list[tuple[str, int, list[str]]]:
        table = []
        for path, content in sorted(self.seed_files.items()):
            if not path.endswith(".csv"):
                continue
            text = content.read_text(encoding="utf-8") if isinstance(content, Path) else str(content)
            rows = list(csv.reader(io.StringIO(text)))
            table.append((Path(path).stem, max(0, len([r for r in rows[1:] if r])), rows[0] if rows else []))
        return table

    def _steps_and_yaml(self, title: str, files: dict) -> dict[str, str]:
        children: dict[str, list[str]] = {}
        for name in (m for step in self.steps for m in step.models):  # in build order
            for parent in self.models[name].model_parents:
                children.setdefault(parent, []).append(name)
        seeds = self._seed_table()
        out, steps = {}, []
        for step in self.steps:
            md = f"steps/{step.number:02d}_{step.id}.md"
            out[md] = instructions(step, len(self.steps), self.models, self.source.name, seeds, children)
            steps.append(
                {
                    "id": step.id,
                    "title": step.title,
                    "instructions": md,
                    "hints": hints(step, self.models),
                    "explanation": explanation(step, self.models, children),
                    "checks": checks(step, self.models),
                }
            )
        tests = sum(len(s.tests) for s in self.steps)
        data = {
            "id": self.lesson_id,
            "title": title,
            "summary": (
                f"Rebuild the {self.source.name} dbt project model by model: {len(self.models)} models "
                f"on {len(seeds)} seeds, in the order of its DAG, checked against the reference "
                f"solution" + (f" and the project's own {tests} tests." if tests else ".")
            ),
            "level": "intermediate",
            "minutes": MINUTES_PER_STEP * len(self.steps),
            "editable": _editable_globs(files),
            "steps": steps,
        }
        header = (
            f"# Imported from the dbt project '{self.source.name}' by "
            "`python -m decode_data lessons import`.\n"
            "# Generated text: read the instructions, hints and explanations before publishing.\n"
            "# tools/IMPORT_NOTES.md records how the lesson was made (seed variant, warnings).\n"
        )
        out["lesson.yml"] = lesson_yaml(data, header)
        return out

    def _notes(self) -> str:
        lines = [
            "# How this lesson was imported",
            "",
            f"Source: the dbt project `{self.source.name}` (folder `{self.source.dir.name}`), by "
            "`python -m decode_data lessons import`. Re-running the import with `--force` rewrites "
            "every file here.",
            "",
            "## Steps",
            "",
        ]
        lines += [
            f"{s.number}. `{s.id}`: {', '.join(s.models)}" + (f" ({len(s.tests)} tests)" if s.tests else "")
            for s in self.steps
        ]
        lines += ["", "## Configs moved out of dbt_project.yml", ""]
        lines += [f"- `{m}`: " + ", ".join(f"{k}={v!r}" for k, v in c.items()) for m, c in self.carried.items()]
        if not self.carried:
            lines.append("- none")
        lines += [
            "",
            "## seeds_variant",
            "",
            f"Level `{self.variant}`: {VARIANT_TEXT[self.variant]}. It is derived from seeds/ by "
            "`decode_data/services/lesson_import_seeds.py` (fixed random seed, same bytes every run) "
            "and the reference solution passes the project's tests on it.",
        ]
        if self.variant == "copy":
            lines.append(
                "\n**It is only a reordered copy:** write a real variant (different values, same "
                "columns) so that a hard-coded answer fails."
            )
        if self.same_on_variant:
            lines.append(
                "\nModels with the same result on both seed sets (a hard-coded answer passes "
                "them): " + ", ".join(f"`{m}`" for m in self.same_on_variant) + "."
            )
        lines += ["", "## Warnings", ""]
        lines += [f"- {w}" for w in self.warnings] or ["- none"]
        return "\n".join(lines) + "\n"


def _errors(made: Build) -> str:
    errors = made.result.errors[:5]
    if not errors:
        return "  (no error message: the build did not succeed)"
    return "\n".join(
        f"  {e.path + ': ' if e.path else ''}{e.message.splitlines()[0] if e.message else ''}" for e in errors
    )


def _editable_globs(files: dict) -> list[str]:
    """A glob per folder and file kind of starter/ and solution/: every file the learner may write."""
    globs = []
    for path in sorted(files):
        parts = path.split("/")
        if parts[0] not in ("starter", "solution") or len(parts) < 3:
            continue
        suffix = Path(path).suffix.lower()
        if suffix in SAVABLE_SUFFIXES:
            glob = f"{parts[1]}/*{suffix}"
            if glob not in globs:
                globs.append(glob)
    return globs


def _write_lesson(template_dir: Path, lesson_id: str, files: dict, force: bool) -> None:
    """Stage the folder beside its final place, swap it in, then write lesson.yml last: the
    catalog never sees a half-written lesson."""
    template_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".import-{lesson_id}-", dir=template_dir))
    old = None
    try:
        os.chmod(staging, 0o755)
        write_files(staging, {rel: content for rel, content in files.items() if rel != "lesson.yml"})
        dest = template_dir / lesson_id
        if os.path.lexists(dest):
            if not force:
                raise ImportRefused(f"{dest} already exists: pass --force to replace it")
            if dest.is_dir() and not dest.is_symlink():
                (dest / "lesson.yml").unlink(missing_ok=True)
            old = template_dir / f".import-old-{lesson_id}-{secrets.token_hex(4)}"
            os.rename(dest, old)
        os.rename(staging, dest)
        tmp = dest / ".lesson.yml.tmp"
        tmp.write_text(files["lesson.yml"], encoding="utf-8")
        os.replace(tmp, dest / "lesson.yml")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if old is not None:
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
