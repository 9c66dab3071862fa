"""`backup DEST` and `restore SRC`: the app database and every workspace, while the app runs."""

from __future__ import annotations

from decode_data.cli.output import EXIT_OK, out, print_json
from decode_data.cli.workspace import CliError


def backup(args) -> int:
    from decode_data.services.backup import BackupError
    from decode_data.services.backup import backup as take_backup

    try:
        manifest = take_backup(args.dest)
    except BackupError as exc:
        raise CliError(f"no backup: {exc}") from None
    if args.json:
        print_json(manifest)
    else:
        out(f"backed up the {manifest['database']} database and {manifest['workspaces']} workspaces to {args.dest}")
    return EXIT_OK


def restore(args) -> int:
    from decode_data.db import upgrade_database
    from decode_data.services.backup import BackupError
    from decode_data.services.backup import restore as restore_backup

    try:
        manifest = restore_backup(args.src, force=args.force)
    except BackupError as exc:
        raise CliError(f"not restored: {exc}") from None
    upgrade_database()  # a backup from an older release gets this release's schema
    if args.json:
        print_json(manifest)
    else:
        out(f"restored the backup of {manifest['created_at']} ({manifest['workspaces']} workspaces)")
    return EXIT_OK
