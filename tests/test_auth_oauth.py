"""OAuth sign-in, the whole way, against a real OpenID Connect provider on 127.0.0.1.

The browser's part is played by httpx: it fetches the authorization URL, the provider redirects
back, and the code and state are read from the Location header; complete_login does the rest
over real HTTP (discovery, token exchange with PKCE, JWKS, ID token checks).
"""

from __future__ import annotations

import hashlib
import time
from base64 import urlsafe_b64encode
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlmodel import select

from decode_data.models import OAuthAccount, OAuthState, User, utcnow
from decode_data.services.auth import (
    OAuthLoginError,
    authenticate,
    authorization_url,
    callback_url,
    complete_login,
    configured_providers,
    oauth_providers,
    register,
)
from decode_data.services.auth.oauth_identity import validate_id_token
from decode_data.services.auth.oauth_providers import github_provider, openid_provider, server_metadata
from decode_data.settings import reset_settings
from tests.oidc_provider import OIDCProvider, ProviderUser

CLIENT_ID, CLIENT_SECRET = "decode-data-test", "s3cret-for-tests-only"


pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def idp(settings_env, monkeypatch):
    """The test provider, configured as this server's generic OIDC provider through settings."""
    provider = OIDCProvider(
        CLIENT_ID,
        CLIENT_SECRET,
        [callback_url("oidc"), callback_url("github")],
        ProviderUser(sub="alice-123", email="Alice@Example.com"),
    )
    with provider.running():
        for name, value in {
            "OIDC_ISSUER": provider.issuer,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_NAME": "Test SSO",
        }.items():
            monkeypatch.setenv(name, value)
        reset_settings()
        oauth_providers._cache.clear()
        yield provider
    oauth_providers._cache.clear()


def browse(url: str) -> dict[str, str]:
    """What a browser would bring back to our callback: the redirect's query parameters."""
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(callback_url("oidc").rsplit("/", 1)[0])
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def sign_in(session, provider="oidc", **kwargs):
    url, _pending = authorization_url(session, provider)
    return complete_login(session, provider, browse(url), **kwargs)


def test_a_first_sign_in_creates_a_user_with_the_verified_email(db_session, idp):
    providers = configured_providers()
    assert list(providers) == ["oidc"] and providers["oidc"].label == "Test SSO"
    assert CLIENT_SECRET not in repr(providers["oidc"])
    url, pending = authorization_url(db_session, "oidc")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(idp.issuer + "/authorize?")
    assert query["redirect_uri"] == ["http://127.0.0.1:3000/auth/callback/oidc"]
    assert query["state"] == [pending.state] and query["nonce"] == [pending.nonce]
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [
        urlsafe_b64encode(hashlib.sha256(pending.code_verifier.encode()).digest()).decode().rstrip("=")
    ]
    assert pending.code_verifier not in url

    user = complete_login(db_session, "oidc", browse(url), browser_state=pending.state)
    assert (user.username, user.email, user.password_hash) == ("alice", "alice@example.com", None)
    account = db_session.exec(select(OAuthAccount)).one()
    assert (account.user_id, account.provider, account.subject) == (user.id, "oidc", "alice-123")
    assert db_session.exec(select(OAuthState)).all() == []  # used up
    assert idp.token_requests[0]["code_verifier"] == pending.code_verifier


def test_the_same_subject_signs_in_as_the_same_user_even_with_a_new_email(db_session, idp):
    first = sign_in(db_session)
    idp.user.email = "alice@new.example.org"
    again = sign_in(db_session)
    assert again.id == first.id
    assert db_session.exec(select(OAuthAccount)).one().email == "alice@new.example.org"
    assert len(db_session.exec(select(User)).all()) == 1


def test_a_password_account_with_the_same_email_is_not_linked(db_session, idp):
    """Its email was never verified: a squatter's password account must not receive the owner's
    sign-ins. The password still works, and nothing was linked or created."""
    squatter = register(db_session, "alice_w", "alice@example.com", "correct horse battery")
    with pytest.raises(OAuthLoginError, match="already signs in with a password"):
        sign_in(db_session)
    assert db_session.exec(select(OAuthAccount)).all() == []
    assert len(db_session.exec(select(User)).all()) == 1
    assert authenticate(db_session, "alice_w", "correct horse battery").id == squatter.id


def test_a_second_provider_links_by_the_email_a_first_one_verified(db_session, idp):
    first = sign_in(db_session)  # the OIDC provider vouched for alice@example.com
    github = github_provider(CLIENT_ID, CLIENT_SECRET, web_url=idp.issuer, api_url=idp.issuer + "/api")
    url, _ = authorization_url(db_session, github)
    assert complete_login(db_session, github, browse(url)).id == first.id
    assert {a.provider for a in db_session.exec(select(OAuthAccount)).all()} == {"oidc", "github"}


def test_a_new_user_gets_a_free_username(db_session, idp):
    register(db_session, "alice", "someone.else@example.com", "correct horse battery")
    assert sign_in(db_session).username == "alice-2"


def test_new_accounts_through_a_provider_count_against_the_sign_up_limit(db_session, idp, monkeypatch):
    """Throw-away identities at a provider buy no more accounts than the password form allows;
    a returning identity signs in whatever the count."""
    monkeypatch.setenv("DECODE_DATA_SIGNUPS_PER_HOUR", "2")
    reset_settings()
    for number in (1, 2):
        idp.user.sub, idp.user.email = f"throwaway-{number}", f"throwaway{number}@example.org"
        sign_in(db_session, client="203.0.113.9")
    idp.user.sub, idp.user.email = "throwaway-3", "throwaway3@example.org"
    with pytest.raises(OAuthLoginError, match="Too many sign-ups from your network: try again in"):
        sign_in(db_session, client="203.0.113.9")
    assert db_session.exec(select(User).where(User.email == "throwaway3@example.org")).first() is None
    assert sign_in(db_session, client="198.51.100.4").email == "throwaway3@example.org"  # another network
    idp.user.sub, idp.user.email = "throwaway-1", "throwaway1@example.org"
    assert sign_in(db_session, client="203.0.113.9").email == "throwaway1@example.org"  # known: signs in


def test_a_tampered_state_is_rejected_and_the_real_one_still_works(db_session, idp):
    url, _ = authorization_url(db_session, "oidc")
    params = browse(url)
    for state in (params["state"][:-1] + ("A" if params["state"][-1] != "A" else "B"), "", None):
        forged = dict(params, state=state) if state is not None else {"code": params["code"]}
        with pytest.raises(OAuthLoginError, match="unknown or was already used"):
            complete_login(db_session, "oidc", forged)
    assert complete_login(db_session, "oidc", params).email == "alice@example.com"


def test_a_state_works_once(db_session, idp):
    url, _ = authorization_url(db_session, "oidc")
    params = browse(url)
    complete_login(db_session, "oidc", params)
    with pytest.raises(OAuthLoginError, match="already used"):
        complete_login(db_session, "oidc", params)


def test_a_state_expires_after_ten_minutes(db_session, idp):
    url, pending = authorization_url(db_session, "oidc")
    params = browse(url)
    with pytest.raises(OAuthLoginError, match="expired"):
        complete_login(db_session, "oidc", params, now=pending.created_at + timedelta(minutes=10, seconds=1))
    assert db_session.exec(select(OAuthState)).all() == []


def test_a_callback_from_another_browser_is_rejected(db_session, idp):
    url, _ = authorization_url(db_session, "oidc")
    _, other = authorization_url(db_session, "oidc")  # the victim's own, unfinished sign-in
    params = browse(url)
    with pytest.raises(OAuthLoginError, match="another browser"):
        complete_login(db_session, "oidc", params, browser_state=other.state)
    assert complete_login(db_session, "oidc", params, browser_state=params["state"]).username == "alice"


def test_an_id_token_with_another_nonce_is_rejected(db_session, idp):
    idp.nonce_override = "a-nonce-from-another-sign-in"
    with pytest.raises(OAuthLoginError, match="security check.*nonce"):
        sign_in(db_session)
    assert db_session.exec(select(User)).all() == []


def test_an_unverified_email_is_refused_and_links_nothing(db_session, idp):
    register(db_session, "alice", "alice@example.com", "correct horse battery")
    idp.user.email_verified = False
    with pytest.raises(OAuthLoginError, match="has not verified an email"):
        sign_in(db_session)
    assert db_session.exec(select(OAuthAccount)).all() == []
    assert len(db_session.exec(select(User)).all()) == 1


def test_the_provider_checks_pkce(db_session, idp):
    """The code alone is not enough: with another code_verifier the provider refuses the exchange."""
    url, pending = authorization_url(db_session, "oidc")
    params = browse(url)
    stored = db_session.get(OAuthState, pending.state)
    stored.code_verifier = "x" * 64
    db_session.add(stored)
    db_session.commit()
    with pytest.raises(OAuthLoginError, match="did not confirm this sign-in \\(invalid_grant\\)"):
        complete_login(db_session, "oidc", params)
    assert idp.token_requests[-1]["code_verifier"] == "x" * 64
    assert db_session.exec(select(User)).all() == []


def test_a_wrong_client_secret_or_redirect_uri_is_refused(db_session, idp):
    wrong = openid_provider("oidc", "Test SSO", idp.issuer, CLIENT_ID, "not-the-secret")
    url, _ = authorization_url(db_session, wrong)
    with pytest.raises(OAuthLoginError, match="invalid_client"):
        complete_login(db_session, wrong, browse(url))
    url, _ = authorization_url(db_session, "oidc")
    with pytest.raises(OAuthLoginError, match="another address"):
        complete_login(db_session, "oidc", browse(url), redirect_uri="http://127.0.0.1:3000/elsewhere")


def test_a_denied_sign_in_says_so_and_uses_up_the_state(db_session, idp):
    _, pending = authorization_url(db_session, "oidc")
    with pytest.raises(OAuthLoginError, match="You cancelled signing in with Test SSO"):
        complete_login(db_session, "oidc", {"error": "access_denied", "state": pending.state})
    assert db_session.get(OAuthState, pending.state) is None


def test_unconfigured_providers_are_refused(db_session, idp):
    with pytest.raises(OAuthLoginError, match="not set up"):
        authorization_url(db_session, "google")


def test_id_tokens_for_another_audience_or_from_another_key_are_rejected(db_session, idp):
    provider = configured_providers()["oidc"]
    metadata = server_metadata(provider)
    now = int(time.time())
    claims = {"iss": idp.issuer, "sub": "alice-123", "aud": CLIENT_ID, "iat": now, "exp": now + 60, "nonce": "n"}

    def signed(key, **changes):
        return {"id_token": jwt.encode({"alg": "RS256", "kid": key.kid}, dict(claims, **changes), key)}

    assert validate_id_token(provider, metadata, signed(idp.key), "n")["sub"] == "alice-123"
    stranger = RSAKey.generate_key(2048, parameters={"kid": idp.key.kid})
    for token, claim in (
        (signed(idp.key, aud="another-client"), "aud"),
        (signed(idp.key, iss="http://evil"), "iss"),
        (signed(idp.key, exp=now - 600), "exp"),
        (signed(stranger), "BadSignatureError"),
        (signed(idp.key), "nonce"),
    ):
        with pytest.raises(OAuthLoginError, match=claim):
            validate_id_token(provider, metadata, token, "n" if claim != "nonce" else "other")


def test_github_style_sign_in_uses_the_verified_primary_email(db_session, idp):
    """GitHub is plain OAuth 2: who signed in comes from its API (served here by the test provider)."""
    github = github_provider(CLIENT_ID, CLIENT_SECRET, web_url=idp.issuer, api_url=idp.issuer + "/api")
    url, pending = authorization_url(db_session, github)
    assert "nonce=" not in url and "code_challenge=" in url
    user = complete_login(db_session, github, browse(url))
    assert user.email == "alice@example.com"
    assert db_session.exec(select(OAuthAccount)).one().subject == "4242"
    assert idp.token_requests[-1]["code_verifier"] == pending.code_verifier
    idp.user.github_id, idp.user.email_verified = 99, False
    url, _ = authorization_url(db_session, github)
    with pytest.raises(OAuthLoginError, match="GitHub has not verified an email"):
        complete_login(db_session, github, browse(url))


def test_identity_providers_must_use_https(db_session, settings_env):
    remote = openid_provider("oidc", "Remote", "http://idp.example.org", CLIENT_ID, CLIENT_SECRET)
    with pytest.raises(OAuthLoginError, match="must use https"):
        authorization_url(db_session, remote)


def test_pending_states_live_ten_minutes_and_abandoned_ones_are_cleared(db_session, idp):
    authorization_url(db_session, "oidc", now=utcnow() - timedelta(minutes=11))  # abandoned
    _, pending = authorization_url(db_session, "oidc")
    assert pending.expires_at - pending.created_at == timedelta(minutes=10)
    assert abs((pending.created_at - utcnow()).total_seconds()) < 60
    assert [s.state for s in db_session.exec(select(OAuthState))] == [pending.state]
