"""Random tokens that only their owner holds, and the hash the database keeps instead.

A plain SHA-256 is enough (no salt, no slow hash): the tokens are 256 random bits, so there is
nothing to guess, and an equality lookup on the hash finds the row through a unique index.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """43 URL-safe characters (256 bits): fine in a cookie, a header or a URL."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
