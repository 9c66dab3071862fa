"""Export a learner's workspace as a zip of a dbt project that runs anywhere with plain dbt.

Inside the app every job runs with server-written dbt_project.yml and profiles.yml that load
the sandbox's lockdown plugin and point at absolute server paths. The export replaces both
with plain files (a local, relative DuckDB warehouse), so `dbt build --profiles-dir .` works
from the unzipped folder on a learner's laptop. Nothing secret is ever written: the profile
names a local file, never MotherDuck, and only learner project files are copied.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import yaml
from sqlmodel import Session

from decode_data.models import User
from decode_data.services.engine.project_files import PROFILE_NAME, dbt_project
from decode_data.services.lessons import Lesson
from decode_data.services.save_policy import SERVER_OWNED, read_nofollow
from decode_data.services.workspace import ensure_workspace, visible_files

WAREHOUSE_FILE = "warehouse.duckdb"
# Build output, the warehouse and what only the server uses: never part of the learner's project.
SKIPPED_NAMES = frozenset({"package-lock.yml"}) | SERVER_OWNED
SKIPPED_SUFFIXES = (".duckdb", ".duckdb.wal", ".wal", ".py", ".pyc", ".tmp")
MAX_EXPORT_FILE_BYTES = 50 * 1024 * 1024  # a seed may be larger than an editor file
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")

README = """\
# {title}

Your dbt project from Decode Data, lesson `{lesson_id}`. It runs with plain dbt and DuckDB:

```bash
pip install dbt-duckdb
dbt build --profiles-dir .
```

Run the commands in this folder. `dbt build` loads the seeds, builds the models and runs the
tests; the warehouse is the local file `{warehouse}` (open it with the `duckdb` CLI or Python).
`dbt seed`, `dbt run` and `dbt test` work too, each with `--profiles-dir .`.
"""


def plain_profile() -> dict:
    """profiles.yml for a laptop: a DuckDB file next to the project, no plugin, no token."""
    output = {"type": "duckdb", "path": WAREHOUSE_FILE, "schema": "main", "threads": 1}
    return {PROFILE_NAME: {"target": "dev", "outputs": {"dev": output}}}


def _exported(rel_path: str) -> bool:
    name = rel_path.rsplit("/", 1)[-1].lower()
    return name not in SKIPPED_NAMES and not name.endswith(SKIPPED_SUFFIXES)


def learner_files(project: Path) -> list[str]:
    """Project-relative paths of the learner's files that belong in the export, sorted."""
    return [path for path in visible_files(project) if _exported(path)]


def export_filename(user: User, lesson: Lesson) -> str:
    username = _UNSAFE_NAME.sub("_", user.username).strip("._") or "learner"
    return f"{lesson.id}-{username}.zip"


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def export_workspace(session: Session, user: User, lesson: Lesson) -> tuple[str, bytes]:
    """(file name, zip bytes) of the learner's project under one folder named after the lesson.

    The workspace is ensured first, so a pruned folder is rebuilt from the saved edits.
    """
    project = ensure_workspace(session, user, lesson).project
    top = lesson.id
    files = learner_files(project)
    # A learner's own README.md is kept; the instructions then go beside it.
    readme_name = "HOW_TO_RUN.md" if "README.md" in files else "README.md"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in files:
            _add(archive, f"{top}/{path}", read_nofollow(project, path, MAX_EXPORT_FILE_BYTES))
        _add(archive, f"{top}/dbt_project.yml", yaml.safe_dump(dbt_project(), sort_keys=False).encode())
        _add(archive, f"{top}/profiles.yml", yaml.safe_dump(plain_profile(), sort_keys=False).encode())
        readme = README.format(title=lesson.title, lesson_id=lesson.id, warehouse=WAREHOUSE_FILE)
        _add(archive, f"{top}/{readme_name}", readme.encode())
    return export_filename(user, lesson), buffer.getvalue()
