"""`python -m decode_data workspace ...` and `workspaces prune`: a learner's workspace from the shell.

Every handler goes through the same services as the web app (save policy, engine, sandbox),
so what works here works in the browser and what is refused here is refused there too.
Service imports stay inside the handlers: `--help` and argument errors never load dbt or SQL.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict

from decode_data.cli.output import (
    EXIT_OK,
    EXIT_REJECTED,
    EventPrinter,
    error_text,
    exit_code,
    out,
    preview_text,
    print_json,
    summary_text,
    table,
)


class CliError(Exception):
    """An expected failure: printed as one line on stderr, exit with ``code``."""

    def __init__(self, message: str, code: int = EXIT_REJECTED):
        super().__init__(message)
        self.code = code


def err(text: str) -> None:
    out(text, sys.stderr)


def migrate() -> None:
    """Bring the app database to the latest schema: idempotent, and fast once it is there."""
    from decode_data.db import upgrade_database

    upgrade_database()


def find_lesson(lesson_id: str):
    from decode_data.services.lessons import LessonNotFound, get_lesson, list_lessons

    try:
        return get_lesson(lesson_id)
    except LessonNotFound:
        known = ", ".join(lesson.id for lesson in list_lessons()) or "none installed"
        raise CliError(f"no lesson named '{lesson_id}' (lessons: {known})") from None


@contextmanager
def learner_workspace(args, one_job: bool = False) -> Iterator[tuple]:
    """(session, user, lesson) for --user/--lesson; the learner is created if missing.

    ``one_job`` (a command that runs one dbt job or query, then exits) starts the dbt workers
    first, so they start while the database is migrated and the workspace is prepared, and
    without the warm-up: it costs more CPU than one job saves from it.
    """
    from decode_data.db import session_scope
    from decode_data.services.learners import get_or_create_learner

    lesson = find_lesson(args.lesson)
    if one_job:
        from decode_data.services.engine import get_engine

        get_engine(warm_up=False)
    migrate()
    with session_scope() as session:
        try:
            user = get_or_create_learner(session, args.user)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        yield session, user, lesson


def _read_stdin(what: str) -> bytes:
    if sys.stdin is None:
        raise CliError(f"{what}: nothing on stdin")
    if sys.stdin.isatty():
        err(f"Reading {what} from stdin; end with Ctrl-D.")
    return sys.stdin.buffer.read()


def save(args) -> int:
    from decode_data.services.save_policy import SaveRejected
    from decode_data.services.workspace import save_file

    data = _read_stdin(args.path)
    with learner_workspace(args) as (session, user, lesson):
        try:
            path = save_file(session, user, lesson, args.path, data)
        except SaveRejected as exc:
            raise CliError(f"not saved: {exc.reason}") from None
    out(path)
    return EXIT_OK


def run(args) -> int:
    from decode_data.services.dbt_command import DbtUsageError, parse_dbt_args
    from decode_data.services.engine import JobRejected, LearnerError
    from decode_data.services.runs import run_request
    from decode_data.settings import get_settings

    try:
        request = parse_dbt_args(args.dbt, get_settings().query_row_cap)
    except DbtUsageError as exc:
        raise CliError(str(exc)) from None
    title = request.describe()
    with learner_workspace(args, one_job=True) as (session, user, lesson):
        if not args.json:
            out(f"==> {title}  (learner {user.username}, lesson {lesson.id})")
        try:
            result = run_request(session, user, lesson, request, on_event=None if args.json else EventPrinter())
        except JobRejected as exc:
            raise CliError(str(exc)) from None
    if args.json:
        print_json(result.to_dict())
    elif result.status == "rejected":  # nothing ran: say why, like any other refused request
        for error in result.errors or [LearnerError(message="dbt refused the request")]:
            err(f"error: {error_text(error)}")
    else:
        out()
        out(summary_text(result, title))
    return exit_code(result.status)


def query(args) -> int:
    from decode_data.services.engine import JobRejected
    from decode_data.services.warehouse import query as run_query

    sql = _read_stdin("the SQL").decode("utf-8", errors="replace") if args.sql == "-" else args.sql
    if not sql.strip():
        raise CliError('write a SQL query: --sql "select ..." (or --sql - to read it from stdin)')
    with learner_workspace(args, one_job=True) as (session, user, lesson):
        try:
            result = run_query(session, user, lesson, sql, row_cap=args.limit)
        except JobRejected as exc:
            raise CliError(str(exc)) from None
    if not result.ok:
        for error in result.errors:
            err(f"error: {error_text(error)}")
        if not result.errors:
            err(f"error: the query ended with status {result.status}")
    elif args.json:
        print_json(asdict(result.preview))
    else:
        out(preview_text(result.preview))
    return exit_code(result.status)


def reset(args) -> int:
    from decode_data.services.workspace import reset_workspace

    with learner_workspace(args) as (session, user, lesson):
        paths = reset_workspace(session, user, lesson)
    out(
        f"Reset {user.username}'s {lesson.id} workspace to the starter files; saved edits and the "
        f"warehouse were deleted."
    )
    out(str(paths.project))
    return EXIT_OK


def files(args) -> int:
    from decode_data.services.workspace import ensure_workspace, list_files

    with learner_workspace(args) as (session, user, lesson):
        ensure_workspace(session, user, lesson)
        entries = list_files(user, lesson)
    if args.json:
        print_json(entries)
    else:
        out(table(["editable", "path"], [["yes" if f["editable"] else "-", f["path"]] for f in entries]))
    return EXIT_OK


def show_file(args) -> int:
    from decode_data.services.save_policy import PathRejected
    from decode_data.services.workspace import ensure_workspace, read_file

    with learner_workspace(args) as (session, user, lesson):
        ensure_workspace(session, user, lesson)
        try:
            text = read_file(user, lesson, args.path)
        except PathRejected as exc:
            raise CliError(exc.reason) from None
        except (FileNotFoundError, IsADirectoryError):
            raise CliError(f"no file {args.path} in the workspace (list them with `workspace files`)") from None
    sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    sys.stdout.flush()
    return EXIT_OK


def prune(args) -> int:
    from sqlmodel import select

    from decode_data.db import session_scope
    from decode_data.models import User
    from decode_data.services.workspace import prune_workspaces

    if args.idle_days < 0:
        raise CliError("--idle-days cannot be negative")
    migrate()
    removed = prune_workspaces(args.idle_days)
    if not removed:
        out(f"Nothing to prune: no workspace has been idle for more than {args.idle_days:g} days.")
        return EXIT_OK
    keys = {path.parent.name for path in removed}
    with session_scope() as session:
        names = {u.warehouse_key: u.username for u in session.exec(select(User).where(User.warehouse_key.in_(keys)))}
    for path in removed:
        owner = names.get(path.parent.name, "(unknown learner)")
        out(f"removed {owner} / {path.name}: {path}")
    out(f"Removed {len(removed)} workspace(s); saved edits stay in the database and are restored on next use.")
    return EXIT_OK
