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
from pathlib import Path

from decode_data.services import kept_json
from decode_data.services.engine import install_cache

_kept: dict[str, dict] = {}  # class path -> schema, read from the file
_built: dict[str, dict] = {}  # class path -> schema this process built
_patched = False


def schema_file() -> Path:
    return install_cache.cache_file("json-schemas")


def use_kept_schemas(path: Path | None = None) -> None:
    """Answer dbt's schema requests from the file when it has the class (once per process)."""
    global _patched
    found = kept_json.read(path or schema_file())
    _kept.update({name: schema for name, schema in found.items() if isinstance(schema, dict)})
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
    """Write what this process built, with what it read, for the next process."""
    if _built:
        kept_json.write(path or schema_file(), {**_kept, **_built})
