"""dbt's JSON schemas, kept with the install instead of built again in every process.

dbt checks configs and nodes against JSON schemas that mashumaro builds from their classes,
once per process and class: ~1.2 of the ~3.9 CPU-s of a worker's warm-up, and again in every
job of a worker that skips the warm-up (a CLI command). A schema depends only on the installed
code: the warm worker writes the ones it built into the virtualenv, in a file named after the
versions of everything that shapes them, and the next process reads them from there. A file
that is missing, unreadable or from other versions is ignored, and a class it lacks is built
as before. Jobs never write it: they run confined to their own folder.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from importlib import metadata
from pathlib import Path

SHAPED_BY = ("dbt-core", "dbt-common", "dbt-adapters", "dbt-duckdb", "mashumaro")
_kept: dict[str, dict] = {}  # class path -> schema, read from the file
_built: dict[str, dict] = {}  # class path -> schema this process built
_patched = False


def schema_file() -> Path:
    stamp = [sys.version] + [f"{name}=={metadata.version(name)}" for name in SHAPED_BY]
    key = hashlib.sha256("\n".join(stamp).encode()).hexdigest()[:16]
    return Path(sys.prefix) / "var" / "decode_data" / f"dbt-json-schemas-{key}.json"


def use_kept_schemas(path: Path | None = None) -> None:
    """Answer dbt's schema requests from the file when it has the class (once per process)."""
    global _patched
    _kept.update(_read(path or schema_file()))
    if _patched:
        return
    from dbt_common.dataclass_schema import dbtClassMixin

    build = dbtClassMixin.json_schema.__func__.__wrapped__  # under its functools.lru_cache

    @functools.lru_cache
    def json_schema(cls):
        name = f"{cls.__module__}.{cls.__qualname__}"
        found = _kept.get(name)
        if found is None:
            found = _built[name] = build(cls)
        return found

    dbtClassMixin.json_schema = classmethod(json_schema)
    _patched = True


def keep_schemas(path: Path | None = None) -> None:
    """Write what this process built, with what it read, for the next process (best effort:
    a read-only install just builds them each time)."""
    if not _built:
        return
    path = path or schema_file()
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch.write_text(json.dumps({**_kept, **_built}, sort_keys=True), encoding="utf-8")
        os.replace(scratch, path)
    except OSError:
        scratch.unlink(missing_ok=True)


def _read(path: Path) -> dict[str, dict]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {name: schema for name, schema in found.items() if isinstance(schema, dict)}
