"""Accounts' security records: browser sessions, OAuth links, sign-in throttling, API tokens.

Secrets never sit here in the clear: sessions and API tokens keep a SHA-256 of a random token
(the raw value lives only in the browser cookie or the integration's config). The pending OAuth
state is in the database, not in a process, so a callback can land on any backend worker.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from decode_data.models.base import UTCDateTime, utcnow


class UserSession(SQLModel, table=True):
    """One signed-in browser. Ended by sign-out (revoked_at) or by time (expires_at)."""

    __tablename__ = "user_sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)  # sha256 hex of the cookie's token
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_agent: str | None = Field(default=None, max_length=200)  # shown in "your sessions"


class OAuthAccount(SQLModel, table=True):
    """A provider's account (provider + its stable subject id) linked to one of our users."""

    __tablename__ = "oauth_accounts"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    provider: str = Field(max_length=32)
    subject: str = Field(max_length=255)
    email: str | None = Field(default=None, max_length=320)  # the verified email at last sign-in
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OAuthState(SQLModel, table=True):
    """A sign-in started at a provider and not yet finished; deleted when used (one use only)."""

    __tablename__ = "oauth_states"

    state: str = Field(primary_key=True, max_length=128)
    provider: str = Field(max_length=32)
    code_verifier: str = Field(max_length=128)  # PKCE: only the S256 challenge left this server
    nonce: str = Field(max_length=128)
    redirect_uri: str = Field(max_length=2048)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class LoginAttempt(SQLModel, table=True):
    """Failed password sign-ins for one key (an account or a typed login, maybe + client address)."""

    __tablename__ = "login_attempts"

    key: str = Field(primary_key=True, max_length=400)
    failures: int = 0
    first_failure_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A user's token for the JSON API; the secret is shown once, only its hash is kept."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=64)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)  # e.g. "dd_1a2b3c4d": lets a person tell tokens apart
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
