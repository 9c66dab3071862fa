"""Personal API tokens for the JSON API: created in the UI, shown once, stored only as a hash.

A token reads `dd_<8 hex>_<43 random chars>`. The `dd_<8 hex>` prefix is kept in clear so a
person can tell tokens apart in a list (and secret scanners can recognise a leaked one); the
lookup goes by the SHA-256 of the whole token.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from decode_data.models import ApiToken, User, utcnow
from decode_data.services.auth.errors import AuthError
from decode_data.services.auth.tokens import hash_token, new_token

TOKEN_RE = re.compile(r"^dd_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$")
MAX_NAME_CHARS = 64
TOUCH_EVERY = timedelta(minutes=1)


def create_token(session: Session, user: User, name: str, *, now: datetime | None = None) -> tuple[str, ApiToken]:
    """(raw token to show once, its row). Commits."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise AuthError(f"Name the token (1 to {MAX_NAME_CHARS} characters), e.g. 'CI pipeline'.", "name")
    prefix = f"dd_{secrets.token_hex(4)}"
    raw = f"{prefix}_{new_token()}"
    row = ApiToken(user_id=user.id, name=name, token_hash=hash_token(raw), prefix=prefix, created_at=now or utcnow())
    session.add(row)
    session.commit()
    session.refresh(row)
    return raw, row


def list_tokens(session: Session, user: User, *, include_revoked: bool = False) -> list[ApiToken]:
    """The user's tokens, newest first."""
    statement = select(ApiToken).where(ApiToken.user_id == user.id)
    if not include_revoked:
        statement = statement.where(ApiToken.revoked_at.is_(None))
    return list(session.exec(statement.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(session: Session, user: User, token_id: int, *, now: datetime | None = None) -> ApiToken:
    """Stop a token working. Only its owner can; revoking twice is fine. Commits."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise AuthError("There is no such token.", None)
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.add(row)
        session.commit()
    return row


def user_for_api_token(session: Session, raw: str | None, *, now: datetime | None = None) -> User | None:
    """The owner of a live token, or None. Notes when it was last used (at most once a minute)."""
    raw = (raw or "").strip()
    if not TOKEN_RE.match(raw):
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).first()
    if row is None or row.revoked_at is not None:
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
        session.add(row)
        session.commit()
    return session.get(User, row.user_id)
