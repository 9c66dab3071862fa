"""DuckDB lockdown, applied to every connection a job opens (dbt's and the query page's).

Learner SQL is code: without this, `read_csv('/etc/passwd')`, `COPY ... TO`, `ATTACH` of
another learner's file and extension loading all work. The order matters: directories that
must stay readable are allowed first, then external access is switched off, then the whole
configuration is locked so learner SQL cannot switch it back on.

dbt's connections get it from a dbt-duckdb plugin (lockdown_plugin.py) rather than the
profile's `settings:` key, because dbt-duckdb re-SETs those on every cursor, which fails once
the config is locked. This module imports no dbt: the query host loads it without dbt.
"""

from __future__ import annotations

from typing import Any

# Options that DuckDB only accepts before the database starts.
CONNECT_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_persistent_secrets": False,
    "threads": 1,
}

# Set in the job process only, for MotherDuck jobs: never in the environment or profiles.yml,
# where a learner's `env_var()` or `{{ target }}` could read it.
MOTHERDUCK_TOKEN: str | None = None


def _sql_string(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def lockdown_statements(
    *, readable_dirs: list[str], temp_dir: str, memory_mb: int, max_temp_mb: int, max_execution_ms: int
) -> list[str]:
    allowed = "[" + ", ".join(_sql_string(d.rstrip("/") + "/") for d in readable_dirs) + "]"
    return [
        f"SET memory_limit = '{int(memory_mb)}MB'",
        f"SET temp_directory = {_sql_string(temp_dir)}",
        f"SET max_temp_directory_size = '{int(max_temp_mb)}MB'",
        f"SET max_execution_time = {int(max_execution_ms)}",
        "SET enable_external_file_cache = false",
        f"SET allowed_directories = {allowed}",
        "SET enable_external_access = false",
        "SET lock_configuration = true",
    ]


def apply_lockdown(conn, config: dict[str, Any]) -> None:
    for statement in lockdown_statements(**config):
        conn.execute(statement)
