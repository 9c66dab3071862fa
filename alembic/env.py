"""Alembic environment: migrates the database named by decode_data settings.

The URL comes from `config.attributes["url"]` (set by decode_data.db.upgrade_database) or
from settings, never from alembic.ini. Migrations render plain SQLAlchemy types so that a
migration file never imports app code that may change later.
"""

from __future__ import annotations

from logging.config import fileConfig

from sqlalchemy import pool
from sqlmodel import SQLModel

import decode_data.models  # noqa: F401  (registers every table on SQLModel.metadata)
from alembic import context
from decode_data.db import create_app_engine, normalize_url
from decode_data.settings import get_settings

config = context.config
if config.config_file_name and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def _url() -> str:
    return normalize_url(config.attributes.get("url") or get_settings().database_url)


def render_item(type_, obj, autogen_context):
    """Write app column types as the plain SQLAlchemy types they store."""
    if type_ == "type":
        from sqlmodel.sql.sqltypes import AutoString

        from decode_data.models.base import UTCDateTime

        if isinstance(obj, UTCDateTime):
            return "sa.DateTime(timezone=True)"
        if isinstance(obj, AutoString):
            return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_item=render_item,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    url = _url()
    _configure(
        url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, render_as_batch=url.startswith("sqlite")
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # a caller (e.g. a test) lends its own connection
        _run_with(connection)
        return
    engine = create_app_engine(_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run_with(connection)
    finally:
        engine.dispose()


def _run_with(connection) -> None:
    # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
