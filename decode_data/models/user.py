"""A person who uses the platform: learner, instructor or admin."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlmodel import Field, SQLModel

from decode_data.models.base import UTCDateTime, utcnow

WAREHOUSE_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def new_warehouse_key() -> str:
    """A random key that is safe as a file name and as an unquoted SQL identifier.

    Random rather than derived from the username, so a rename never moves files and the
    key reveals nothing about the person.
    """
    return "u_" + secrets.token_hex(8)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    email: str | None = Field(default=None, max_length=320, unique=True)
    # None for accounts made by the CLI: they exist for grading/admin use and cannot sign in.
    password_hash: str | None = Field(default=None, max_length=255)
    warehouse_key: str = Field(default_factory=new_warehouse_key, max_length=32, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
