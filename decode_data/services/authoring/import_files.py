"""The files of an imported lesson, from its plan: starter/ and solution/, seeds and their
variant, steps/*.md, lesson.yml and tools/IMPORT_NOTES.md; then written into place so that the
catalog never sees a half-written lesson.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from decode_data.services.authoring.import_configs import ServerProject
from decode_data.services.authoring.import_source import ImportRefused, write_files
from decode_data.services.authoring.import_steps import (
    MINUTES_PER_STEP,
    ModelInfo,
    Step,
    checks,
    explanation,
    hints,
    instructions,
    lesson_yaml,
    placeholder_sql,
    placeholder_test,
    strip_tests,
)
from decode_data.services.authoring.import_variant import VARIANT_TEXT, Variant
from decode_data.services.save_policy import SAVABLE_SUFFIXES

Files = dict[str, str | bytes | Path]


@dataclass(frozen=True)
class LessonPlan:
    """Everything an imported lesson's files are written from."""

    lesson_id: str
    title: str
    project_name: str  # the source's dbt project name
    project_folder: str  # the source's folder name, for the notes
    project: ServerProject
    models: dict[str, ModelInfo]
    steps: list[Step]
    variant: Variant
    warnings: list[str]


def lesson_files(plan: LessonPlan) -> Files:
    files: Files = {**model_files(plan), **other_files(plan), **plan.project.seed_files, **variant_files(plan.variant)}
    files.update(steps_and_yaml(plan, files))
    files["tools/IMPORT_NOTES.md"] = import_notes(plan)
    return files


def model_files(plan: LessonPlan) -> Files:
    """Each model: a placeholder in starter/, the reference SQL in solution/."""
    step_of = {m: s for s in plan.steps for m in s.models}
    files: Files = {}
    for name, model in plan.models.items():
        files[f"starter/{model.path}"] = placeholder_sql(model, step_of[name], len(plan.steps))
        files[f"solution/{model.path}"] = model.sql
    return files


def other_files(plan: LessonPlan) -> Files:
    """Singular tests and YAML with tests: a starter without them, the original as solution;
    everything else (macros, docs, analyses) as it is, in starter/."""
    home = {t.unique_id: s for s in plan.steps for t in s.tests}
    singular = {t.path: t for s in plan.steps for t in s.tests if t.path}
    files: Files = {}
    for path, source_file in plan.project.project_files.items():
        if path.startswith("models/") and path.endswith(".sql"):
            continue  # models are model_files' (a skipped model's file is left out)
        if path in singular:
            test = singular[path]
            files[f"starter/{path}"] = placeholder_test(test, home[test.unique_id])
            files[f"solution/{path}"] = source_file
            continue
        if path.startswith("models/") and path.endswith((".yml", ".yaml")):
            stripped = strip_tests(source_file.read_text(encoding="utf-8"))
            if stripped is not None:
                files[f"starter/{path}"] = stripped
                files[f"solution/{path}"] = source_file
                continue
        files[f"starter/{path}"] = source_file
    return files


def variant_files(variant: Variant) -> Files:
    return {
        f"seeds_variant/{path.relative_to(variant.folder).as_posix()}": path
        for path in sorted(p for p in variant.folder.rglob("*") if p.is_file())
    }


def seed_table(seed_files: dict[str, str | Path]) -> list[tuple[str, int, list[str]]]:
    """(seed name, rows, header) of each CSV seed, for the instructions."""
    table = []
    for path, content in sorted(seed_files.items()):
        if not path.endswith(".csv"):
            continue
        text = content.read_text(encoding="utf-8") if isinstance(content, Path) else str(content)
        rows = list(csv.reader(io.StringIO(text)))
        table.append((Path(path).stem, max(0, len([r for r in rows[1:] if r])), rows[0] if rows else []))
    return table


def _children(plan: LessonPlan) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {}
    for name in (m for step in plan.steps for m in step.models):  # in build order
        for parent in plan.models[name].model_parents:
            children.setdefault(parent, []).append(name)
    return children


def steps_and_yaml(plan: LessonPlan, files: Files) -> dict[str, str]:
    """steps/NN_<id>.md per step and lesson.yml (whose `editable` globs cover `files`)."""
    children, seeds = _children(plan), seed_table(plan.project.seed_files)
    out, steps = {}, []
    for step in plan.steps:
        md = f"steps/{step.number:02d}_{step.id}.md"
        out[md] = instructions(step, len(plan.steps), plan.models, plan.project_name, seeds, children)
        steps.append(
            {
                "id": step.id,
                "title": step.title,
                "instructions": md,
                "hints": hints(step, plan.models),
                "explanation": explanation(step, plan.models, children),
                "checks": checks(step, plan.models),
            }
        )
    tests = sum(len(s.tests) for s in plan.steps)
    data = {
        "id": plan.lesson_id,
        "title": plan.title,
        "summary": (
            f"Rebuild the {plan.project_name} dbt project model by model: {len(plan.models)} models "
            f"on {len(seeds)} seeds, in the order of its DAG, checked against the reference "
            f"solution" + (f" and the project's own {tests} tests." if tests else ".")
        ),
        "level": "intermediate",
        "minutes": MINUTES_PER_STEP * len(plan.steps),
        "editable": editable_globs(files),
        "steps": steps,
    }
    header = (
        f"# Imported from the dbt project '{plan.project_name}' by "
        "`python -m decode_data lessons import`.\n"
        "# Generated text: read the instructions, hints and explanations before publishing.\n"
        "# tools/IMPORT_NOTES.md records how the lesson was made (seed variant, warnings).\n"
    )
    out["lesson.yml"] = lesson_yaml(data, header)
    return out


def editable_globs(files: Files) -> list[str]:
    """A glob per folder and file kind of starter/ and solution/: every file the learner may write."""
    globs = []
    for path in sorted(files):
        parts = path.split("/")
        if parts[0] not in ("starter", "solution") or len(parts) < 3:
            continue
        suffix = Path(path).suffix.lower()
        if suffix in SAVABLE_SUFFIXES:
            glob = "/".join(parts[1:-1]) + f"/*{suffix}"  # `*` stays in its folder: one glob per folder
            if glob not in globs:
                globs.append(glob)
    return globs


def import_notes(plan: LessonPlan) -> str:
    """tools/IMPORT_NOTES.md: how the lesson was made, for the author who publishes it."""
    carried, variant = plan.project.carried, plan.variant
    lines = [
        "# How this lesson was imported",
        "",
        f"Source: the dbt project `{plan.project_name}` (folder `{plan.project_folder}`), by "
        "`python -m decode_data lessons import`. Re-running the import with `--force` rewrites "
        "every file here.",
        "",
        "## Steps",
        "",
    ]
    lines += [
        f"{s.number}. `{s.id}`: {', '.join(s.models)}" + (f" ({len(s.tests)} tests)" if s.tests else "")
        for s in plan.steps
    ]
    lines += ["", "## Configs moved out of dbt_project.yml", ""]
    lines += [f"- `{m}`: " + ", ".join(f"{k}={v!r}" for k, v in c.items()) for m, c in carried.items()]
    if not carried:
        lines.append("- none")
    lines += [
        "",
        "## seeds_variant",
        "",
        f"Level `{variant.level}`: {VARIANT_TEXT[variant.level]}. It is derived from seeds/ by "
        "`decode_data/services/authoring/import_seeds.py` (fixed random seed, same bytes every run) "
        "and the reference solution passes the project's tests on it.",
    ]
    if variant.level == "copy":
        lines.append(
            "\n**It is only a reordered copy:** write a real variant (different values, same "
            "columns) so that a hard-coded answer fails."
        )
    if variant.same_on_variant:
        lines.append(
            "\nModels with the same result on both seed sets (a hard-coded answer passes "
            "them): " + ", ".join(f"`{m}`" for m in variant.same_on_variant) + "."
        )
    lines += ["", "## Warnings", ""]
    lines += [f"- {w}" for w in plan.warnings] or ["- none"]
    return "\n".join(lines) + "\n"


def write_lesson(template_dir: Path, lesson_id: str, files: Files, force: bool) -> None:
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
