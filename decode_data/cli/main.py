"""`python -m decode_data ...`: the command line for admins and lesson authors.

    db upgrade                       migrate the app database
    lessons list|check|import        the lesson catalog; prove every lesson works; import a dbt project
    workspace save|run|query|grade|reset|files|show-file
                                     a learner's workspace, through the same services as the app
    workspaces prune                 delete idle workspace folders
    backup DEST / restore SRC        the app database and every workspace, while the app runs
    bench                            measure dbt job times (and, with --browser, page figures)

Exit codes: 0 success; 1 dbt or the learner's SQL failed (or the platform could not run it);
2 the request was refused (bad arguments, unknown lesson, a save the policy rejects).
Expected failures print one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from decode_data.cli import backups as cli_backups
from decode_data.cli import grading as cli_grading
from decode_data.cli import importing as cli_import
from decode_data.cli import workspace as cli_workspace
from decode_data.cli.output import EXIT_FAILED, EXIT_OK, EXIT_REJECTED, out, print_json, table
from decode_data.cli.workspace import CliError, err

PROG = "python -m decode_data"


# --- handlers that are not about one workspace ---------------------------------------------


def db_upgrade(_args) -> int:
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import make_url

    from decode_data.db import alembic_config
    from decode_data.settings import get_settings

    cli_workspace.migrate()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    url = make_url(get_settings().database_url).render_as_string(hide_password=True)
    out(f"App database is at the latest schema (revision {head}): {url}")
    return EXIT_OK


def lessons_list(args) -> int:
    from decode_data.services.lessons import list_lessons
    from decode_data.settings import get_settings

    lessons = list_lessons()
    if not lessons:
        raise CliError(
            f"no lessons found in {get_settings().template_dir} (each lesson is a folder with a lesson.yml)",
            code=EXIT_FAILED,
        )
    if args.json:
        print_json(
            [
                {
                    "id": lesson.id,
                    "title": lesson.title,
                    "summary": lesson.summary,
                    "level": lesson.level,
                    "minutes": lesson.minutes,
                    "steps": len(lesson.steps),
                    "editable": list(lesson.editable_globs()),
                }
                for lesson in lessons
            ]
        )
    else:
        out(
            table(
                ["id", "title", "level", "minutes", "steps"],
                [[lesson.id, lesson.title, lesson.level, lesson.minutes, len(lesson.steps)] for lesson in lessons],
                numeric={3, 4},
            )
        )
    return EXIT_OK


def bench(args) -> int:
    from decode_data import bench as bench_module

    code = bench_module.main((["--json"] if args.json else []) + list(args.extra))
    return int(code or 0)


# --- the parser ---------------------------------------------------------------------------


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {PROG} {line}" for line in lines)


def _add(subparsers, name: str, summary: str, examples: tuple[str, ...], handler, description: str = ""):
    parser = subparsers.add_parser(
        name,
        help=summary,
        description=summary + ("\n\n" + description if description else ""),
        epilog=_examples(*examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler, parser=parser)
    return parser


def _learner_args(parser, path: bool = False) -> None:
    parser.add_argument(
        "--user",
        required=True,
        metavar="U",
        help="learner username (created without a password if missing: it cannot sign in)",
    )
    parser.add_argument("--lesson", required=True, metavar="L", help="lesson id, see `lessons list`")
    if path:
        parser.add_argument(
            "--path", required=True, metavar="P", help="project-relative file path, e.g. models/stg_orders.sql"
        )


def _group(subparsers, name: str, summary: str):
    parser = subparsers.add_parser(name, help=summary, description=summary)
    children = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    return children


def build_parser() -> argparse.ArgumentParser:
    from decode_data.services.engine.jobs import DBT_COMMANDS

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__.split("\n\n")[0].strip(),
        epilog=__doc__.strip().split("\n\n")[-1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    db = _group(commands, "db", "Manage the app database.")
    _add(
        db,
        "upgrade",
        "Run the app database migrations up to the latest schema (safe to repeat).",
        ("db upgrade", "db upgrade  # with DATABASE_URL=postgresql://... for PostgreSQL"),
        db_upgrade,
    )

    lessons = _group(commands, "lessons", "The lesson catalog (dbt_template/).")
    p = _add(
        lessons,
        "list",
        "List the installed lessons: id, title, level, minutes, steps.",
        ("lessons list", "lessons list --json"),
        lessons_list,
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p = _add(
        lessons,
        "check",
        "Prove lessons work: the solution passes every step, the starter does not.",
        ("lessons check", "lessons check hello_dbt cafe_chain"),
        cli_grading.check,
        "Runs in a throw-away data folder with fresh sandboxed workspaces; exit 1 on any failure.",
    )
    p.add_argument("ids", nargs="*", metavar="ID", help="lesson ids (default: every lesson)")
    p.add_argument(
        "--mutants",
        action="store_true",
        help="also grade generated mutants of each step's solution and print the mutation score",
    )
    p.add_argument(
        "--wrong-answers",
        action="store_true",
        help="list every wrong answer with the check (and diagnosis) that caught it",
    )
    p = _add(
        lessons,
        "import",
        "Turn an existing dbt project (seeds, SQL models, YAML tests) into a lesson.",
        (
            "lessons import ~/code/jaffle_shop --id jaffle_shop",
            'lessons import tests/fixtures/jaffle_project --id jaffle --title "Jaffle Shop" --force',
        ),
        cli_import.import_lesson,
        "Writes DECODE_DATA_TEMPLATE_DIR/ID (default dbt_template/ID): the models become the reference\n"
        "solution, placeholders the starter, one step per model (or folder) in DAG order, the project's\n"
        "tests become checks; then runs the `lessons check` proof. Exit 0 when the lesson checks out,\n"
        "1 when dbt or the check fails, 2 when refused (Python models, packages, an existing ID).",
    )
    p.add_argument("project_dir", metavar="DBT_PROJECT_DIR", help="the dbt project (holds dbt_project.yml)")
    p.add_argument("--id", required=True, metavar="ID", help="the new lesson's id (its folder name)")
    p.add_argument("--title", metavar="T", help="the lesson title (default: from the project name)")
    p.add_argument("--force", action="store_true", help="replace an existing lesson with this id")

    ws = _group(commands, "workspace", "Work in one learner's workspace for one lesson.")
    p = _add(
        ws,
        "save",
        "Save a file in a learner's workspace from stdin, with the same rules as the editor.",
        (
            "workspace save --user ada --lesson hello_dbt --path models/stg_orders.sql < stg_orders.sql",
            'echo "select 1 as id" | workspace save --user ada --lesson hello_dbt --path models/x.sql',
        ),
        cli_workspace.save,
        "Prints the saved path. Exit 2 with the reason when the save is refused.",
    )
    _learner_args(p, path=True)

    p = _add(
        ws,
        "run",
        "Run a dbt command in a learner's workspace, streaming its log, then a summary.",
        (
            "workspace run --user ada --lesson hello_dbt -- seed",
            "workspace run --user ada --lesson hello_dbt -- run --select stg_orders",
            "workspace run --user ada --lesson hello_dbt -- build --fail-fast",
            "workspace run --user ada --lesson hello_dbt -- show --select customers --limit 5",
            'workspace run --user ada --lesson hello_dbt -- show --inline "select 1 as x"',
        ),
        cli_workspace.run,
        f"The dbt command follows `--`: {', '.join(DBT_COMMANDS)}; with --select/-s,\n"
        "--exclude, --full-refresh, --fail-fast, --empty, and for show --inline and --limit.\n"
        "Exit 0 on success, 1 when dbt or the SQL failed, 2 when the request is refused.",
    )
    _learner_args(p)
    p.add_argument("--json", action="store_true", help="print the whole job result as JSON (no streaming)")

    p = _add(
        ws,
        "query",
        "Run a read-only SQL query on a learner's warehouse.",
        (
            'workspace query --user ada --lesson hello_dbt --sql "select * from stg_orders"',
            'workspace query --user ada --lesson hello_dbt --sql "select count(*) from customers" --json',
            "workspace query --user ada --lesson hello_dbt --sql - < query.sql",
        ),
        cli_workspace.query,
    )
    _learner_args(p)
    p.add_argument("--sql", required=True, help="the query, or - to read it from stdin")
    p.add_argument("--limit", type=int, metavar="N", help="rows to return (at most DECODE_DATA_QUERY_ROW_CAP)")
    p.add_argument("--json", action="store_true", help="print {columns, rows, total_rows, truncated} as JSON")

    p = _add(
        ws,
        "grade",
        "Grade a learner's work: staged feedback per step, with a diff of rows.",
        (
            "workspace grade --user ada --lesson hello_dbt",
            "workspace grade --user ada --lesson hello_dbt --step first_model --json",
        ),
        cli_grading.grade,
        "Exit 0 when every graded step passes, 1 otherwise.",
    )
    _learner_args(p)
    p.add_argument("--step", metavar="S", help="one step id (default: every step)")
    p.add_argument("--json", action="store_true", help="print the feedback as JSON")

    p = _add(
        ws,
        "reset",
        "Reset a learner's workspace to the lesson's starter files (deletes their edits).",
        ("workspace reset --user ada --lesson hello_dbt",),
        cli_workspace.reset,
    )
    _learner_args(p)

    p = _add(
        ws,
        "files",
        "List the files of a learner's workspace and which ones they may edit.",
        ("workspace files --user ada --lesson hello_dbt", "workspace files --user ada --lesson hello_dbt --json"),
        cli_workspace.files,
    )
    _learner_args(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = _add(
        ws,
        "show-file",
        "Print one file of a learner's workspace.",
        ("workspace show-file --user ada --lesson hello_dbt --path models/stg_orders.sql",),
        cli_workspace.show_file,
    )
    _learner_args(p, path=True)

    wss = _group(commands, "workspaces", "Manage all workspaces at once.")
    p = _add(
        wss,
        "prune",
        "Delete workspace folders idle for more than N days (saved edits are kept).",
        ("workspaces prune --idle-days 30", "workspaces prune --idle-days 0  # every workspace"),
        cli_workspace.prune,
        "A pruned workspace is rebuilt from the starter files and the learner's saved edits on next "
        "use;\nits warehouse is rebuilt by the next dbt seed/run.",
    )
    p.add_argument("--idle-days", type=float, required=True, metavar="N", help="days without use")

    p = _add(
        commands,
        "backup",
        "Back up the app database and every workspace's files into a new folder, while the app runs.",
        ("backup /var/backups/decode-data/$(date +%F)",),
        cli_backups.backup,
        "The database is copied online (SQLite's backup API, or pg_dump on an exported snapshot) and\n"
        "each workspace's files are written from that same snapshot, so they always agree.\n"
        "Warehouses are left out: the next dbt seed/run rebuilds them.",
    )
    p.add_argument("dest", help="a new (or empty) folder for the backup")
    p.add_argument("--json", action="store_true", help="print the backup's manifest as JSON")
    p = _add(
        commands,
        "restore",
        "Restore a backup into this configuration's database and data folder (both fresh unless --force).",
        ("restore /var/backups/decode-data/2026-12-05",),
        cli_backups.restore,
    )
    p.add_argument("src", help="a folder written by `backup`")
    p.add_argument("--force", action="store_true", help="overwrite an existing database and workspaces")
    p.add_argument("--json", action="store_true", help="print the backup's manifest as JSON")

    p = _add(
        commands,
        "bench",
        "Measure dbt job times on this machine (decode_data/bench/engine_bench.py).",
        (
            "bench",
            "bench --json",
            "bench --repeat 5 --learners 4  # options of decode_data/bench/engine_bench.py",
            "bench --browser  # also lesson page load and Run -> rows in Chromium",
            "bench --browser-only --browser-repeat 5",
            "bench --browser-only --browser-url http://127.0.0.1:3000  # an app already running",
        ),
        bench,
        "Options other than --json go to the benchmark itself: `bench -- --help` lists them.\n"
        "--browser starts the production app (builds the frontend: a minute or more) and drives\n"
        "Chromium with Playwright (requirements-test.txt); without them it says why and skips.",
    )
    p.add_argument("--json", action="store_true", help="print the measurements as JSON")
    return parser


# --- running ------------------------------------------------------------------------------


def _split_dashes(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """Everything after the first `--` belongs to dbt (or the benchmark), untouched by argparse."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, None


def _expected_error_code(exc: Exception) -> int | None:
    """The exit code for a failure that deserves one line instead of a traceback, else None."""
    from decode_data.services.engine.sandbox import SandboxUnavailable
    from decode_data.services.lessons import LessonFormatError
    from decode_data.settings import SettingsError

    if isinstance(exc, (SettingsError, LessonFormatError)):
        return EXIT_REJECTED  # configuration or lesson files to fix
    if isinstance(exc, SandboxUnavailable):
        return EXIT_FAILED  # this machine cannot run learner code safely
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    own, passed = _split_dashes(argv)
    parser = build_parser()
    args, unknown = parser.parse_known_args(own)
    if unknown and args.handler is not bench:  # the benchmark's own options pass through
        args.parser.error("unrecognized arguments: " + " ".join(unknown))
    if args.handler is cli_workspace.run:
        args.dbt = passed or []
        if passed is None:
            args.parser.error("put the dbt command after --, e.g. `-- run --select stg_orders`")
    elif args.handler is bench:
        args.extra = unknown + (passed or [])
    elif passed is not None:
        args.parser.error("unexpected arguments after --: " + " ".join(passed))
    try:
        return args.handler(args)
    except CliError as exc:
        err(f"error: {exc}")
        return exc.code
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - expected kinds become one line; the rest re-raise
        code = _expected_error_code(exc)
        if code is None:
            raise
        err(f"error: {exc}")
        return code
    finally:
        _shutdown()


def _shutdown() -> None:
    """Stop the dbt workers (subprocesses) if this command started them, so the process exits now."""
    engine_module = sys.modules.get("decode_data.services.engine")
    if engine_module is not None:
        engine_module.shutdown_engine()
