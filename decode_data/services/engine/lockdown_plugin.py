"""The DuckDB lockdown (lockdown.py) as a dbt-duckdb plugin, for every connection dbt opens.

A module of its own because it imports dbt: the query host, which needs only the lockdown
itself, starts without dbt (~0.6 CPU-s at each engine start).
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from decode_data.services.engine import lockdown


class Plugin(BasePlugin):
    """dbt-duckdb plugin: `plugins: [{module: decode_data.services.engine.lockdown_plugin, config: ...}]`."""

    def initialize(self, plugin_config: dict[str, Any]):
        self.lockdown = {
            k: plugin_config[k] for k in ("readable_dirs", "temp_dir", "memory_mb", "max_temp_mb", "max_execution_ms")
        }

    def update_connection_config(self, creds, config: dict[str, Any]):
        config.update(lockdown.CONNECT_CONFIG)
        if lockdown.MOTHERDUCK_TOKEN and str(creds.path).startswith("md:"):
            config["motherduck_token"] = lockdown.MOTHERDUCK_TOKEN

    def configure_connection(self, conn):
        lockdown.apply_lockdown(conn, self.lockdown)
