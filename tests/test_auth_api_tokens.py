"""API tokens: shown once, stored as a hash, verified, listed and revoked by their owner only."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlmodel import select

from decode_data.models import ApiToken, utcnow
from decode_data.services.auth import AuthError, create_token, list_tokens, revoke_token, user_for_api_token
from decode_data.services.auth.api_tokens import TOKEN_RE
from decode_data.services.learners import get_or_create_learner


def test_create_shows_the_secret_once_and_stores_its_hash(db_session, learner):
    raw, row = create_token(db_session, learner, "  CI pipeline ")
    assert TOKEN_RE.match(raw) and raw.startswith(row.prefix + "_") and len(row.prefix) == 11
    assert row.name == "CI pipeline" and row.user_id == learner.id
    stored = db_session.exec(select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert not any(raw in str(v) or raw.split("_", 2)[2] in str(v) for v in stored.model_dump().values())
    assert user_for_api_token(db_session, raw).id == learner.id


def test_only_live_well_formed_tokens_verify(db_session, learner):
    raw, _ = create_token(db_session, learner, "cli")
    prefix, secret = raw.rsplit("_", 1)[0], raw.split("_", 2)[2]
    forged = f"{prefix}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    for bad in (None, "", "dd_", raw + "x", forged, "Bearer " + raw, raw.upper()):
        assert user_for_api_token(db_session, bad) is None
    assert user_for_api_token(db_session, f"  {raw}\n").id == learner.id


def test_last_used_is_noted_at_most_once_a_minute(db_session, learner):
    raw, row = create_token(db_session, learner, "cli")
    assert row.last_used_at is None
    t0 = utcnow()
    user_for_api_token(db_session, raw, now=t0)
    user_for_api_token(db_session, raw, now=t0 + timedelta(seconds=30))
    db_session.refresh(row)
    assert row.last_used_at == t0
    user_for_api_token(db_session, raw, now=t0 + timedelta(minutes=2))
    db_session.refresh(row)
    assert row.last_used_at == t0 + timedelta(minutes=2)


def test_list_and_revoke(db_session, learner):
    t0 = utcnow()
    raw_a, a = create_token(db_session, learner, "a", now=t0)
    raw_b, b = create_token(db_session, learner, "b", now=t0 + timedelta(seconds=1))
    assert [t.name for t in list_tokens(db_session, learner)] == ["b", "a"]
    revoked = revoke_token(db_session, learner, a.id)
    assert revoked.revoked_at is not None
    assert revoke_token(db_session, learner, a.id).revoked_at == revoked.revoked_at  # twice is fine
    assert user_for_api_token(db_session, raw_a) is None
    assert user_for_api_token(db_session, raw_b).id == learner.id
    assert [t.name for t in list_tokens(db_session, learner)] == ["b"]
    assert [t.name for t in list_tokens(db_session, learner, include_revoked=True)] == ["b", "a"]


def test_nobody_else_can_revoke_and_names_are_required(db_session, learner):
    grace = get_or_create_learner(db_session, "grace")
    raw, token = create_token(db_session, learner, "mine")
    for token_id in (token.id, 999_999):
        with pytest.raises(AuthError, match="no such token"):
            revoke_token(db_session, grace, token_id)
    assert user_for_api_token(db_session, raw).id == learner.id
    for name in ("", "   ", "x" * 65):
        with pytest.raises(AuthError, match="Name the token") as caught:
            create_token(db_session, learner, name)
        assert caught.value.field == "name"
