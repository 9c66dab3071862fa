"""The OAuth providers this server offers, from settings, and what we learn about them over HTTP.

GitHub is plain OAuth 2 (its API tells who signed in); Google and the generic provider speak
OpenID Connect, so their endpoints and signing keys come from the issuer's discovery document,
cached for an hour (keys are fetched again at once when a token names a key we do not know).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from decode_data.services.auth.errors import OAuthLoginError
from decode_data.settings import Settings, get_settings

HTTP_TIMEOUT_S = 10.0
CACHE_SECONDS = 3600.0
GOOGLE_ISSUER = "https://accounts.google.com"


@dataclass(frozen=True)
class Provider:
    name: str  # in URLs and in OAuthAccount.provider: "github", "google", "oidc"
    label: str  # for people: "GitHub", "Google", OIDC_NAME
    client_id: str
    client_secret: str = field(repr=False)
    issuer: str | None = None  # OpenID Connect; None for GitHub
    authorize_url: str | None = None  # GitHub only (OIDC providers publish theirs)
    token_url: str | None = None
    api_url: str | None = None
    scope: str = "openid email profile"

    @property
    def openid(self) -> bool:
        return self.issuer is not None


def github_provider(
    client_id: str, client_secret: str, web_url: str = "https://github.com", api_url: str = "https://api.github.com"
) -> Provider:
    return Provider(
        "github",
        "GitHub",
        client_id,
        client_secret,
        authorize_url=f"{web_url}/login/oauth/authorize",
        token_url=f"{web_url}/login/oauth/access_token",
        api_url=api_url,
        scope="read:user user:email",
    )


def openid_provider(name: str, label: str, issuer: str, client_id: str, client_secret: str) -> Provider:
    return Provider(name, label, client_id, client_secret, issuer=issuer)


def configured_providers(settings: Settings | None = None) -> dict[str, Provider]:
    """Every provider whose settings are complete, in the order a sign-in page lists them."""
    s = settings or get_settings()
    found = {}
    if s.github_client_id:
        found["github"] = github_provider(s.github_client_id, s.github_client_secret)
    if s.google_client_id:
        found["google"] = openid_provider("google", "Google", GOOGLE_ISSUER, s.google_client_id, s.google_client_secret)
    if s.oidc_issuer:
        found["oidc"] = openid_provider("oidc", s.oidc_name, s.oidc_issuer, s.oidc_client_id, s.oidc_client_secret)
    return found


def get_provider(provider: Provider | str) -> Provider:
    if isinstance(provider, Provider):
        return provider
    found = configured_providers().get(provider)
    if found is None:
        raise OAuthLoginError(f"Signing in with {provider!r} is not set up on this server.")
    return found


def check_transport(url: str) -> None:
    """Tokens travel only over HTTPS (plain HTTP is allowed to this machine, for tests)."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")):
        raise OAuthLoginError(
            f"Refusing to talk to {parts.scheme}://{parts.hostname}: an identity provider must use https."
        )


_cache: dict[str, tuple[float, dict]] = {}
_cache_lock = threading.Lock()


def _get_json(url: str, label: str) -> dict:
    check_transport(url)
    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT_S, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OAuthLoginError(f"Could not reach {label} to sign you in; try again in a moment.") from exc


def _cached(url: str, label: str, force: bool = False) -> dict:
    with _cache_lock:
        hit = _cache.get(url)
    if hit and not force and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    data = _get_json(url, label)
    with _cache_lock:
        _cache[url] = (time.monotonic(), data)
    return data


def server_metadata(provider: Provider) -> dict:
    """The issuer's discovery document; its `issuer` must be the one configured (OIDC Discovery 4.3)."""
    metadata = _cached(provider.issuer.rstrip("/") + "/.well-known/openid-configuration", provider.label)
    if metadata.get("issuer") != provider.issuer:
        raise OAuthLoginError(
            f"{provider.label} describes itself as another issuer than the one configured "
            "(OIDC_ISSUER); ask the administrator to check it."
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not metadata.get(key):
            raise OAuthLoginError(f"{provider.label}'s discovery document has no {key}.")
    return metadata


def signing_keys(provider: Provider, force: bool = False) -> dict:
    """The issuer's public keys (a JWKS), refreshed when `force`."""
    return _cached(server_metadata(provider)["jwks_uri"], provider.label, force=force)
