"""DuckDB lockdown, applied to every connection a job opens (dbt's and the query page's).

Learner SQL is code: without this, `read_csv('/etc/passwd')`, `COPY ... TO`, `ATTACH` of
another learner's file and extension loading all work. The order matters: directories that
must stay readable are allowed first, then external access is switched off, then the whole
configuration is locked so learner SQL cannot switch it back on.

Used as a dbt-duckdb plugin (`configure_connection`) rather than the profile's `settings:`
key, because dbt-duckdb re-SETs those on every cursor, which fails once the config is locked.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

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


class Plugin(BasePlugin):
    """dbt-duckdb plugin: `plugins: [{module: decode_data.services.engine.lockdown, config: ...}]`."""

    def initialize(self, plugin_config: dict[str, Any]):
        self.lockdown = {
            k: plugin_config[k] for k in ("readable_dirs", "temp_dir", "memory_mb", "max_temp_mb", "max_execution_ms")
        }

    def update_connection_config(self, creds, config: dict[str, Any]):
        config.update(CONNECT_CONFIG)
        if MOTHERDUCK_TOKEN and str(creds.path).startswith("md:"):
            config["motherduck_token"] = MOTHERDUCK_TOKEN

    def configure_connection(self, conn):
        apply_lockdown(conn, self.lockdown)
