"""The app database: one engine per URL, short sessions, and migrations run from code.

The URL always comes from settings (never from alembic.ini) so secrets stay out of the repo.
SQLite is the default for one machine; PostgreSQL works through psycopg once it is installed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from decode_data.settings import REPO_ROOT, get_settings

ALEMBIC_INI = REPO_ROOT / "alembic.ini"
ALEMBIC_DIR = REPO_ROOT / "alembic"

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def normalize_url(url: str) -> str:
    """Pick psycopg (v3) for a bare postgresql:// URL; SQLAlchemy would default to psycopg2."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLite ignores foreign keys unless asked, per connection. WAL lets readers (the web app)
    # and a writer (CLI, another request) work at once; busy_timeout waits instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_app_engine(url: str, **kwargs) -> Engine:
    """A new engine for ``url``; prefer get_engine(), which shares one per URL."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {})["check_same_thread"] = False
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, **kwargs)
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            f"DATABASE_URL needs a driver that is not installed ({exc.name}): "
            "`pip install 'psycopg[binary]'` for PostgreSQL"
        ) from exc


def get_engine(url: str | None = None) -> Engine:
    """The shared engine for ``url`` (default: settings.database_url)."""
    url = url or get_settings().database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = create_app_engine(url)
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, and before a process forks)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error.

    Objects stay readable after the block (expire_on_commit=False), so a service can return them.
    """
    with Session(get_engine(url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str | None = None):
    """An alembic Config for this repo that migrates ``url`` (default: settings)."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.attributes["url"] = url or get_settings().database_url
    config.attributes["configure_logging"] = False  # keep the app's logging as it is
    return config


def upgrade_database(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema up to ``revision``: run at start-up and by `python -m decode_data db upgrade`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
