"""Account settings: OAuth providers come in complete sets, secrets never reach a repr."""

from __future__ import annotations

import pytest

from decode_data.services.auth.oauth_providers import GOOGLE_ISSUER, configured_providers
from decode_data.settings import SettingsError, load_settings

FULL = {
    "GITHUB_CLIENT_ID": "gh-id",
    "GITHUB_CLIENT_SECRET": "gh-secret-value",
    "GOOGLE_CLIENT_ID": "g-id",
    "GOOGLE_CLIENT_SECRET": "g-secret-value",
    "OIDC_ISSUER": "https://sso.example.org/realms/school",
    "OIDC_CLIENT_ID": "o-id",
    "OIDC_CLIENT_SECRET": "o-secret-value",
    "OIDC_NAME": "School SSO",
    "PUBLIC_URL": "https://learn.example.org/",
    "SESSION_DAYS": "7",
}


def test_defaults_offer_no_provider():
    s = load_settings({})
    assert s.public_url == "http://127.0.0.1:3000" and s.session_days == 14
    assert configured_providers(s) == {}


def test_the_app_on_another_port_accepts_its_own_page():
    """`REFLEX_FRONTEND_PORT=3300 scripts/start` serves the page from :3300; without a PUBLIC_URL
    the backend must accept that origin, or the page's websocket is refused and nothing works."""
    s = load_settings({"REFLEX_FRONTEND_PORT": "3300"})
    assert s.public_url == "http://127.0.0.1:3300"
    assert s.allowed_origins == ["http://127.0.0.1:3300", "http://localhost:3300"]
    assert load_settings(
        {"REFLEX_FRONTEND_PORT": "3300", "PUBLIC_URL": "https://learn.example.org"}
    ).allowed_origins == ["https://learn.example.org"]


def test_every_provider_from_the_environment_without_leaking_secrets():
    s = load_settings(FULL)
    assert s.public_url == "https://learn.example.org" and s.session_days == 7
    providers = configured_providers(s)
    assert list(providers) == ["github", "google", "oidc"]
    assert providers["google"].issuer == GOOGLE_ISSUER and providers["oidc"].label == "School SSO"
    assert providers["github"].issuer is None and providers["github"].api_url == "https://api.github.com"
    for text in (repr(s), *map(repr, providers.values())):
        assert "secret-value" not in text


@pytest.mark.parametrize("missing", ["GITHUB_CLIENT_SECRET", "GOOGLE_CLIENT_ID", "OIDC_ISSUER", "OIDC_CLIENT_SECRET"])
def test_an_incomplete_provider_is_a_loud_error(missing):
    env = {k: v for k, v in FULL.items() if k != missing}
    with pytest.raises(SettingsError, match=f"{missing} must be set too"):
        load_settings(env)


@pytest.mark.parametrize(
    "name,value,message",
    [
        ("PUBLIC_URL", "learn.example.org", "PUBLIC_URL must start with"),
        ("OIDC_ISSUER", "sso.example.org", "OIDC_ISSUER must be"),
        ("SESSION_DAYS", "0", "SESSION_DAYS must be at least 1"),
    ],
)
def test_bad_values_are_rejected(name, value, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(dict(FULL, **{name: value}))
