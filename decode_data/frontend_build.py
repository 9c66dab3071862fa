"""Start on the last production build of the frontend when nothing it is made from changed.

`reflex run --env prod` compiles the pages to `.web/` and then rebuilds the whole frontend
(a Vite build: 10-15 s of both cores) on every start, even when the compiled sources are the
same as last time. An operator who restarts the app (after a crash, a kill, a settings change
the pages do not show) waits for that. rxconfig.py wraps Reflex's build step: it hashes what
the build reads (the compiled `.web/` sources, the locked packages, the VITE_ settings) and
skips the build when the last successful one was made from exactly that. The hash is written
only after a build succeeds, inside the build folder Reflex empties first, so a failed or
interrupted build never leaves a stamp behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

STAMP = ".decode-data-inputs"
NOT_INPUTS = frozenset({"build", "node_modules", ".react-router"})  # outputs, and packages bun.lock pins
# Reflex's notes in .web/reflex.json: the pages read its version; the time of the last run changes on every start.
RUN_TIME = "last_reflex_run_datetime"


def inputs_digest(web: Path, environ: dict[str, str] | None = None) -> str:
    """A hash of every file the frontend build reads (paths and bytes) and of the VITE_ settings."""
    digest = hashlib.sha256()
    for directory, names, files in os.walk(web):
        here = Path(directory)
        if here == web:
            names[:] = [n for n in names if n not in NOT_INPUTS]
        names.sort()
        for name in sorted(files):
            path = here / name
            data = _without_run_time(path.read_bytes()) if path == web / "reflex.json" else path.read_bytes()
            digest.update(f"{path.relative_to(web).as_posix()}\0{len(data)}\0".encode())
            digest.update(data)
    env = os.environ if environ is None else environ
    for name in sorted(k for k in env if k.startswith("VITE_") or k == "NODE_ENV"):
        digest.update(f"env:{name}={env[name]}\0".encode())
    return digest.hexdigest()


def _without_run_time(data: bytes) -> bytes:
    notes = json.loads(data)
    notes.pop(RUN_TIME, None)
    return json.dumps(notes, sort_keys=True).encode()


def built_from(web: Path) -> str | None:
    """The inputs hash of the build now in `.web/build`, if one finished."""
    stamp = web / "build" / STAMP
    return stamp.read_text(encoding="utf-8").strip() if stamp.is_file() else None


def reuse_unchanged_builds() -> None:
    """Wrap Reflex's production build so that an unchanged frontend is not built again. Only the
    `reflex` command line builds: every other process that reads rxconfig (the app's server
    workers, our CLI, tests) is spared importing the build machinery."""
    if "reflex.reflex" not in sys.modules:
        return
    from reflex.utils import build as reflex_build
    from reflex.utils import console, prerequisites

    build = reflex_build.build
    if getattr(build, "reuses_unchanged", False):
        return

    def build_unless_unchanged() -> None:
        web = prerequisites.get_web_dir()
        try:
            wanted = inputs_digest(web)
        except (OSError, ValueError):  # an unreadable file or note: build as Reflex would, stamp nothing
            build()
            return
        if built_from(web) == wanted and (web / "build" / "client").is_dir():
            console.info("The frontend is unchanged since its last build: serving that build.")
            return
        build()
        (web / "build" / STAMP).write_text(wanted, encoding="utf-8")

    build_unless_unchanged.reuses_unchanged = True
    reflex_build.build = build_unless_unchanged
