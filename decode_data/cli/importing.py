"""`lessons import`: an existing dbt project becomes a lesson folder, then is proven like
`lessons check` proves every lesson (the solution passes every step, the starter fails each).

Everything runs in a throw-away data folder (fresh app database, fresh sandboxed workspaces);
only the lesson folder is written, into DECODE_DATA_TEMPLATE_DIR (default dbt_template/).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from decode_data.cli.output import EXIT_FAILED, EXIT_OK, out, table
from decode_data.cli.workspace import CliError


def import_lesson(args) -> int:
    from decode_data.cli import grading as cli_grading
    from decode_data.services.authoring.lesson_import import ImportFailed, ImportRefused, import_project
    from decode_data.services.lessons import LessonFormatError, load_lesson
    from decode_data.settings import get_settings

    template_dir = get_settings().template_dir
    with tempfile.TemporaryDirectory(prefix="decode-data-lessons-import-") as scratch:
        cli_grading._use_scratch_data_dir(scratch)
        try:
            report = import_project(Path(args.project_dir), args.id, template_dir, title=args.title, force=args.force)
        except ImportRefused as exc:
            raise CliError(str(exc)) from None
        except ImportFailed as exc:
            raise CliError(str(exc), code=EXIT_FAILED) from None
        out(report.text())
        out(f"\nChecking lesson {args.id} (the solution must pass every step, the starter fail each):")
        try:
            lesson = load_lesson(report.lesson_dir)
        except LessonFormatError as exc:
            raise CliError(f"the imported lesson does not load: {exc}", code=EXIT_FAILED) from None
        rows, problems, _proofs = cli_grading._check_all([lesson])
    ok = not problems and all(r[-1] == "ok" for r in rows)
    out(table(["lesson", "step", "solution", "starter", "wrong answers", "mutants", "result"], rows))
    out(f"\n{sum(1 for r in rows if r[-1] == 'ok')} of {len(rows)} steps ok")
    if ok:
        out(
            f"\nLesson {args.id} is ready in {report.lesson_dir}: read its steps/ and lesson.yml "
            "(generated text) before publishing."
        )
    return EXIT_OK if ok else EXIT_FAILED
