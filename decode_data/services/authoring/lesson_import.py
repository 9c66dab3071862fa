"""Turn an existing dbt project (seeds, SQL models, YAML tests) into a lesson folder.

    import_project(Path("jaffle_shop"), "jaffle", template_dir) -> ImportReport

The project's models become the reference solution/, placeholders of them the starter/, and the
learner rebuilds them step by step in the order of the DAG, each step checked by the grader
against the reference (relation, parents, materialization) and by the project's own tests.

One job per module, in the order they run: read and parse the project (import_source), carry
the configs of its dbt_project.yml into the files (import_configs), build the reference with the
grader's sandboxed builds (import_reference), read its models and tests (import_models), plan the
steps (import_steps), choose the seed variant (import_variant, import_seeds), write the lesson
(import_files).

What the server owns (dbt_project.yml, profiles.yml, packages.yml) is never copied; configs the
source dbt_project.yml set on folders (`+materialized: table`) are written into the models as a
`{{ config(...) }}` line, so the reference solution builds as it did. Everything is verified
with real sandboxed dbt builds (the engine) before the lesson is written; the `lessons import`
command then runs the same check as `lessons check`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from decode_data.services.authoring.import_configs import server_project
from decode_data.services.authoring.import_files import LessonPlan, lesson_files, write_lesson
from decode_data.services.authoring.import_models import read_models, read_tests
from decode_data.services.authoring.import_reference import build_main, write_reference
from decode_data.services.authoring.import_source import (
    ImportFailed,
    ImportRefused,
    SourceProject,
    parse_projects,
    read_project,
    write_original_copy,
    write_server_copy,
)
from decode_data.services.authoring.import_steps import make_steps
from decode_data.services.authoring.import_variant import VARIANT_TEXT, choose_variant
from decode_data.services.workspace import LESSON_ID_RE

__all__ = ["ImportFailed", "ImportRefused", "ImportReport", "import_project"]


@dataclass
class ImportReport:
    lesson_id: str
    lesson_dir: Path
    project: str
    title: str
    steps: list[tuple[str, list[str]]]  # (step id, models built in it), in order
    tests: int  # data tests that became checks
    variant: str  # the seeds_variant level kept (import_seeds.LEVELS)
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
        plan = plan_lesson(source, lesson_id, title or _title(source.name), Path(scratch))
        write_lesson(template_dir, lesson_id, lesson_files(plan), force)
    return _report(plan, dest)


def plan_lesson(source: SourceProject, lesson_id: str, title: str, scratch: Path) -> LessonPlan:
    """Parse, carry configs, build the reference, read its models and tests, plan the steps and
    choose the seed variant, in a scratch folder; nothing is written to the catalog."""
    original, server = parse_projects(
        write_original_copy(source, scratch / "original"), write_server_copy(dict(source.files), scratch / "server")
    )
    project = server_project(source, original, server)
    reference, seeds_dir = write_reference(lesson_id, scratch, project)
    main = build_main(reference, seeds_dir)
    models, model_warnings = read_models(project, main)
    tests, test_warnings = read_tests(project, main)
    steps = make_steps(models, tests)
    variant = choose_variant(reference, seeds_dir, main, models)
    return LessonPlan(
        lesson_id=lesson_id,
        title=title,
        project_name=source.name,
        project_folder=source.dir.name,
        project=project,
        models=models,
        steps=steps,
        variant=variant,
        warnings=source.warnings + project.warnings + model_warnings + test_warnings + variant.warnings,
    )


def _title(project_name: str) -> str:
    return f"Rebuild {project_name.replace('_', ' ').title()}"


def _report(plan: LessonPlan, dest: Path) -> ImportReport:
    return ImportReport(
        lesson_id=plan.lesson_id,
        lesson_dir=dest,
        project=plan.project_name,
        title=plan.title,
        steps=[(s.id, list(s.models)) for s in plan.steps],
        tests=sum(len(s.tests) for s in plan.steps),
        variant=plan.variant.level,
        carried=plan.project.carried,
        same_on_variant=plan.variant.same_on_variant,
        warnings=plan.warnings,
    )
