"""Shared pieces of every table: constraint names and timezone-aware UTC timestamps.

Constraint names are fixed by a naming convention so that migrations can drop or alter them
by name on PostgreSQL and in SQLite batch mode (unnamed constraints cannot be addressed).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Must be set before any table is declared: names are given when a constraint joins its table.
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (naive datetimes are ambiguous once servers move)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A DateTime that is always aware UTC in Python, whatever the database keeps.

    SQLite stores no offset and returns naive values; PostgreSQL returns the session's zone.
    Both come back as UTC here, and naive values are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use an aware UTC datetime (decode_data.models.utcnow)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
