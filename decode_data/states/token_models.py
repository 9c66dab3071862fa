"""Plain data for the API tokens section of the settings page: no Reflex."""

from __future__ import annotations

from dataclasses import dataclass

from decode_data import routes
from decode_data.states.view_models import when


@dataclass
class TokenRow:
    id: int
    name: str
    prefix: str
    created: str
    last_used: str
    revoked: str  # "" while the token works
    active: bool


def token_rows(tokens) -> list[TokenRow]:
    """ApiToken rows -> what the list shows; never the hash."""
    return [
        TokenRow(
            id=int(t.id),
            name=t.name,
            prefix=t.prefix,
            created=when(t.created_at),
            last_used=when(t.last_used_at),
            revoked=when(t.revoked_at, ""),
            active=t.revoked_at is None,
        )
        for t in tokens
    ]


def curl_example(public_url: str, token: str = "<token>") -> str:
    return f'curl -H "Authorization: Bearer {token}" {public_url.rstrip("/")}{routes.API}/lessons'
