"""Turning an authorization code into a verified identity: who signed in, and their email only if
the provider vouches for it.

The code is exchanged with the PKCE code_verifier (authlib's OAuth2Client over httpx). For OpenID
Connect the ID token is checked here: signature against the issuer's keys, iss, aud, azp, exp,
iat, at_hash and our nonce (authlib's CodeIDToken claims). GitHub has no ID token: its API says
who signed in and which emails it has verified.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

with warnings.catch_warnings():
    # authlib 1.9 prefers the `httpx2` package and warns when it falls back to httpx (which
    # Reflex already brings); the client API used here is the same on both.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client, OAuthError

from decode_data.services.auth.errors import OAuthLoginError
from decode_data.services.auth.oauth_providers import (
    HTTP_TIMEOUT_S,
    Provider,
    check_transport,
    server_metadata,
    signing_keys,
)

log = logging.getLogger(__name__)
ID_TOKEN_LEEWAY_S = 120  # clock skew between us and the provider


@dataclass(frozen=True)
class Identity:
    subject: str  # the provider's stable id for the person
    email: str | None
    email_verified: bool


def _client(provider: Provider, redirect_uri: str, auth_method: str = "client_secret_basic") -> OAuth2Client:
    return OAuth2Client(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        token_endpoint_auth_method=auth_method,
        scope=provider.scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT_S,
    )


def auth_method(metadata: dict) -> str:
    supported = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    return "client_secret_basic" if "client_secret_basic" in supported else "client_secret_post"


def authorize_endpoint(provider: Provider) -> str:
    url = server_metadata(provider)["authorization_endpoint"] if provider.openid else provider.authorize_url
    check_transport(url)
    return url


def authorization_request(provider: Provider, redirect_uri: str, state: str, code_verifier: str, nonce: str) -> str:
    """The URL that sends the browser to the provider (S256 challenge, state, nonce for OIDC)."""
    extra = {"nonce": nonce} if provider.openid else {}
    with _client(provider, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            authorize_endpoint(provider), state=state, code_verifier=code_verifier, **extra
        )
    return url


def fetch_identity(provider: Provider, code: str, code_verifier: str, nonce: str, redirect_uri: str) -> Identity:
    """Exchange the code and learn who signed in. Raises OAuthLoginError on any failure."""
    metadata = server_metadata(provider) if provider.openid else {}
    token_url = metadata.get("token_endpoint") or provider.token_url
    check_transport(token_url)
    try:
        with _client(provider, redirect_uri, auth_method(metadata)) as client:
            token = client.fetch_token(
                token_url, grant_type="authorization_code", code=code, code_verifier=code_verifier
            )
            if provider.openid:
                return _openid_identity(provider, client, metadata, token, nonce)
            return _github_identity(provider, client)
    except OAuthLoginError:
        raise
    except OAuthError as exc:  # the provider refused (bad code, wrong verifier, wrong secret...)
        log.warning("%s refused the code exchange: %s", provider.name, exc.error)
        raise OAuthLoginError(
            f"{provider.label} did not confirm this sign-in ({exc.error}); please start again."
        ) from exc
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        log.warning("%s sign-in failed: %s", provider.name, type(exc).__name__)
        raise OAuthLoginError(f"Could not finish signing in with {provider.label}; try again in a moment.") from exc


def validate_id_token(provider: Provider, metadata: dict, token: dict, nonce: str) -> CodeIDToken:
    """The ID token's claims after every check OIDC Core 3.1.3.7 asks of a client."""
    raw = token.get("id_token")
    if not raw:
        raise OAuthLoginError(f"{provider.label} sent no ID token; is the 'openid' scope allowed?")
    algorithms = [a for a in metadata.get("id_token_signing_alg_values_supported", ["RS256"]) if a != "none"]
    try:
        try:
            decoded = jwt.decode(raw, KeySet.import_key_set(signing_keys(provider)), algorithms=algorithms)
        except InvalidKeyIdError:  # the provider rotated its keys since we cached them
            decoded = jwt.decode(raw, KeySet.import_key_set(signing_keys(provider, force=True)), algorithms=algorithms)
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            options={
                "iss": {"essential": True, "value": provider.issuer},
                "aud": {"essential": True, "value": provider.client_id},
            },
            params={"nonce": nonce, "client_id": provider.client_id, "access_token": token.get("access_token")},
        )
        claims.validate(leeway=ID_TOKEN_LEEWAY_S)
    except JoseError as exc:
        claim = getattr(exc, "claim", None) or type(exc).__name__
        log.warning("%s ID token rejected: %s", provider.name, claim)
        raise OAuthLoginError(
            f"{provider.label}'s answer failed a security check ({claim}); please start again."
        ) from exc
    return claims


def _openid_identity(provider: Provider, client: OAuth2Client, metadata: dict, token: dict, nonce: str) -> Identity:
    claims = validate_id_token(provider, metadata, token, nonce)
    info = dict(claims)
    if "email" not in info and metadata.get("userinfo_endpoint"):
        check_transport(metadata["userinfo_endpoint"])
        response = client.get(metadata["userinfo_endpoint"])
        response.raise_for_status()
        extra = response.json()
        if extra.get("sub") == claims["sub"]:  # OIDC Core 5.3.2: else it is someone else's answer
            info.update({k: extra[k] for k in ("email", "email_verified") if k in extra})
    return Identity(str(claims["sub"]), _email(info.get("email")), _verified(info.get("email_verified")))


def _github_identity(provider: Provider, client: OAuth2Client) -> Identity:
    headers = {"Accept": "application/vnd.github+json"}
    user = client.get(f"{provider.api_url}/user", headers=headers)
    user.raise_for_status()
    emails = client.get(f"{provider.api_url}/user/emails", headers=headers)
    emails.raise_for_status()
    verified = [e for e in emails.json() if e.get("verified") and e.get("email")]
    verified.sort(key=lambda e: not e.get("primary"))  # the primary address when it is verified
    if verified:
        return Identity(str(user.json()["id"]), _email(verified[0]["email"]), True)
    return Identity(str(user.json()["id"]), _email(user.json().get("email")), False)


def _email(value) -> str | None:
    return value.strip().lower() if isinstance(value, str) and "@" in value else None


def _verified(value) -> bool:
    return value is True or value == "true"  # some providers send the JSON string "true"
