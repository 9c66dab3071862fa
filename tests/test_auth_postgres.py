"""The account flows on a real PostgreSQL server: the throttle's upsert and the state's one-use
DELETE are dialect-specific SQL, and timestamps must round-trip aware in UTC there too."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from argon2 import PasswordHasher
from sqlmodel import Session, select

from decode_data.db import get_engine, upgrade_database
from decode_data.models import LoginAttempt, OAuthAccount, utcnow
from decode_data.services.auth import (
    AccountLocked,
    AuthError,
    OAuthLoginError,
    authenticate,
    authorization_url,
    complete_login,
    create_token,
    end_session,
    oauth_providers,
    passwords,
    register,
    revoke_token,
    start_session,
    user_for_api_token,
    user_for_session,
)
from decode_data.services.auth.oauth_providers import openid_provider
from tests.oidc_provider import OIDCProvider, ProviderUser

PASSWORD = "correct horse battery"


@pytest.fixture
def pg(settings_env, pg_url, monkeypatch):
    """A session on the shared PostgreSQL test database, and a name no other test uses."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    upgrade_database(pg_url)
    with Session(get_engine(pg_url)) as session:
        yield session, f"pg{uuid.uuid4().hex[:10]}"


def test_register_sign_in_throttle_and_sessions_on_postgresql(pg):
    session, name = pg
    user = register(session, name, f"{name}@example.com", PASSWORD)
    assert authenticate(session, name.upper(), PASSWORD).id == user.id
    t0 = utcnow()
    for _ in range(4):
        with pytest.raises(AuthError) as caught:
            authenticate(session, name, "wrong password!", now=t0)
        assert not isinstance(caught.value, AccountLocked)
    with pytest.raises(AccountLocked):
        authenticate(session, f"{name}@example.com", "wrong password!", now=t0)
    row = session.exec(select(LoginAttempt).where(LoginAttempt.key == f"user:{user.id}")).one()
    assert row.failures == 5 and row.locked_until == t0 + timedelta(minutes=15)
    assert authenticate(session, name, PASSWORD, now=t0 + timedelta(minutes=15, seconds=1)).id == user.id

    token = start_session(session, user, "pytest")
    assert user_for_session(session, token).id == user.id
    assert user_for_session(session, token, now=utcnow() + timedelta(days=15)) is None
    end_session(session, token)
    assert user_for_session(session, token) is None

    raw, api_token = create_token(session, user, "ci")
    assert user_for_api_token(session, raw).id == user.id
    revoke_token(session, user, api_token.id)
    assert user_for_api_token(session, raw) is None


def test_oauth_sign_in_on_postgresql(pg):
    session, name = pg
    redirect = "http://127.0.0.1:3000/auth/callback/oidc"
    idp = OIDCProvider("pg-client", "pg-secret", [redirect], ProviderUser(sub=name, email=f"{name}@example.org"))
    oauth_providers._cache.clear()
    with idp.running():
        provider = openid_provider("oidc", "Test SSO", idp.issuer, "pg-client", "pg-secret")
        url, _ = authorization_url(session, provider, redirect)
        location = httpx.get(url, follow_redirects=False).headers["location"]
        params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        user = complete_login(session, provider, params)
        assert user.email == f"{name}@example.org" and user.username == name
        with pytest.raises(OAuthLoginError, match="already used"):
            complete_login(session, provider, params)
        url, _ = authorization_url(session, provider, redirect)
        location = httpx.get(url, follow_redirects=False).headers["location"]
        again = complete_login(session, provider, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()})
    assert again.id == user.id
    assert session.exec(select(OAuthAccount).where(OAuthAccount.subject == name)).one().user_id == user.id
