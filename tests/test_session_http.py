"""The browser's sign-in over HTTP (issue 12): the server sets the session cookie HttpOnly.

Real route functions of the app's Starlette API (decode_data/api/session_routes.py) through
Starlette's TestClient, on the real migrated SQLite app database; OAuth against the real
OpenID Connect provider of tests/oidc_provider.py on 127.0.0.1.
"""

from __future__ import annotations

import warnings
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from reflex.istate.data import HeaderData, ReflexURL, RouterData
from reflex.state import State
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():  # starlette suggests httpx2, which is not a dependency here
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from decode_data import settings as settings_module
from decode_data.api import api_app
from decode_data.db import session_scope
from decode_data.services.auth import callback_url, find_user, oauth_providers, user_for_session
from decode_data.services.auth.cookies import OAUTH_NEXT_COOKIE, OAUTH_STATE_COOKIE, SESSION_COOKIE
from decode_data.states.auth import AuthState
from decode_data.states.oauth import OAuthState
from tests.coroutines import run_coroutine
from tests.oidc_provider import OIDCProvider, ProviderUser

PASSWORD = "correct horse battery"
OWN = {"Origin": "http://127.0.0.1:3000"}
NEW_USER = {"username": "grace_h", "email": "grace@example.org", "password": PASSWORD, "confirm": PASSWORD}


pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def client(db_session):
    with TestClient(api_app, follow_redirects=False) as test_client:
        yield test_client


def _post(client: TestClient, path: str, body: dict | None = None, headers: dict | None = None, cookie: str = ""):
    """A POST from a browser that holds only `cookie` (the test client's own jar is emptied);
    `headers` default to the app's own Origin."""
    client.cookies.clear()
    headers = OWN if headers is None else headers
    if cookie:
        headers = {**headers, "Cookie": cookie}
    return client.post(path, json=body or {}, headers=headers)


def _set_cookies(response) -> dict[str, str]:
    """name -> the whole Set-Cookie value, for each cookie the response sets or clears."""
    return {value.split("=", 1)[0]: value for value in response.headers.get_list("set-cookie")}


def _token(set_cookie: str) -> str:
    return set_cookie.split(";", 1)[0].split("=", 1)[1]


def _user_of(token: str) -> str | None:
    with session_scope() as session:
        user = user_for_session(session, token)
        return user.username if user else None


def test_sign_up_and_sign_in_set_an_httponly_lax_cookie_that_signs_in(client):
    response = _post(client, "/session/register", NEW_USER, {**OWN, "User-Agent": "pytest-browser"})
    assert response.status_code == 200, response.text
    assert response.json() == {"next": "/dashboard", "username": "grace_h"}
    cookie = _set_cookies(response)[SESSION_COOKIE]
    token = _token(cookie)
    assert cookie == f"{SESSION_COOKIE}={token}; Max-Age={14 * 86400}; Path=/; HttpOnly; SameSite=Lax"
    assert token not in response.text  # only the cookie carries it
    assert _user_of(token) == "grace_h"

    signed_in = _post(client, "/session/sign-in", {"login": "grace_h", "password": PASSWORD, "next": "/progress?x=1"})
    assert signed_in.json() == {"next": "/progress?x=1", "username": "grace_h"}
    second = _token(_set_cookies(signed_in)[SESSION_COOKIE])
    assert second != token and _user_of(second) == "grace_h"
    evil = _post(client, "/session/sign-in", {"login": "grace_h", "password": PASSWORD, "next": "//evil.example/"})
    assert evil.json()["next"] == "/dashboard"  # next= goes through safe_next

    # Signing in again in a browser that holds a session ends that one: a planted or copied
    # cookie does not outlive the sign-in.
    again = _post(
        client, "/session/sign-in", {"login": "grace_h", "password": PASSWORD}, cookie=f"{SESSION_COOKIE}={token}"
    )
    assert _user_of(_token(_set_cookies(again)[SESSION_COOKIE])) == "grace_h" and _user_of(token) is None
    assert _user_of(second) == "grace_h"  # another browser's session is left alone


def test_the_cookie_is_secure_when_the_public_url_is_https(client, monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://learn.example.org")
    settings_module.reset_settings()
    response = _post(client, "/session/register", NEW_USER, {"Origin": "https://learn.example.org"})
    cookie = _set_cookies(response)[SESSION_COOKIE]
    assert cookie.endswith("; Path=/; HttpOnly; SameSite=Lax; Secure")
    assert (
        _post(client, "/session/sign-in", {"login": "grace_h", "password": PASSWORD}).status_code == 403
    )  # http origin


def test_refusals_say_why_under_their_field_and_set_no_cookie(client):
    mismatch = _post(client, "/session/register", {**NEW_USER, "confirm": PASSWORD + "!"})
    assert mismatch.status_code == 400 and "set-cookie" not in mismatch.headers
    assert mismatch.json() == {"error": "The two passwords differ: type the same password twice.", "field": "confirm"}
    with session_scope() as session:
        assert find_user(session, "grace_h") is None

    assert _post(client, "/session/register", NEW_USER).status_code == 200
    taken = _post(client, "/session/register", {**NEW_USER, "email": "other@example.org"})
    assert taken.status_code == 400 and taken.json()["field"] == "username"

    wrong = _post(client, "/session/sign-in", {"login": "grace_h", "password": "not the password"})
    assert wrong.status_code == 400 and "set-cookie" not in wrong.headers
    assert wrong.json() == {"error": "Wrong username/email or password.", "field": "password"}
    odd = _post(client, "/session/sign-in", {"login": ["grace_h"], "password": 42})  # not text: as if empty
    assert odd.status_code == 400 and odd.json()["field"] == "login"
    client.cookies.clear()
    not_json = client.post("/session/sign-in", content=b"login=grace_h", headers=OWN)
    assert not_json.status_code == 400 and not_json.json()["error"] == "The request body must be JSON."

    for _ in range(4):  # 5 failures in all lock the account, said in plain words with Retry-After
        _post(client, "/session/sign-in", {"login": "grace_h", "password": "not the password"})
    locked = _post(client, "/session/sign-in", {"login": "grace_h", "password": PASSWORD})
    assert locked.status_code == 429 and locked.json()["error"].startswith("Too many failed sign-ins. Try again in")
    assert 1 <= int(locked.headers["retry-after"]) <= 15 * 60 and "set-cookie" not in locked.headers


def test_sign_out_ends_the_session_on_the_server_and_clears_the_cookie(client):
    token = _token(_set_cookies(_post(client, "/session/register", NEW_USER))[SESSION_COOKIE])
    other_browser = _token(
        _set_cookies(_post(client, "/session/sign-in", {"login": "grace_h", "password": PASSWORD}))[SESSION_COOKIE]
    )
    response = _post(client, "/session/sign-out", cookie=f"{SESSION_COOKIE}={token}")
    assert response.status_code == 200 and response.json() == {"next": "/"}
    cleared = _set_cookies(response)[SESSION_COOKIE]
    assert cleared.startswith(f"{SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
    assert _user_of(token) is None  # the old token no longer works, even if a copy of the cookie survived
    assert _user_of(other_browser) == "grace_h"  # only this browser signed out

    # A page whose websocket still carries the old cookie is sent to sign in.
    page = State(_reflex_internal_init=True).get_substate(AuthState.get_full_name().split(".")[1:])
    page.router = RouterData(
        url=ReflexURL("http://127.0.0.1:3000/dashboard"), headers=HeaderData(cookie=f"{SESSION_COOKIE}={token}")
    )
    redirect = run_coroutine(AuthState.require_login.fn(page))
    assert "/signin?next=%2Fdashboard" in str(redirect) and page.username == ""


def test_requests_from_another_site_are_refused(client):
    evil = {"Origin": "http://evil.example"}
    refused = _post(client, "/session/register", NEW_USER, evil)
    assert refused.status_code == 403 and "set-cookie" not in refused.headers
    assert refused.json()["error"] == "This request did not come from this site's own page, so it was refused."
    with session_scope() as session:
        assert find_user(session, "grace_h") is None
    assert _post(client, "/session/register", NEW_USER, {"Origin": "null"}).status_code == 403
    assert _post(client, "/session/register", NEW_USER, {"Referer": "http://evil.example/signin"}).status_code == 403
    assert _post(client, "/session/register", NEW_USER, {}).status_code == 403  # neither Origin nor Referer
    own_referer = _post(client, "/session/register", NEW_USER, {"Referer": "http://127.0.0.1:3000/register"})
    assert own_referer.status_code == 200
    token = _token(_set_cookies(own_referer)[SESSION_COOKIE])

    login = {"login": "grace_h", "password": PASSWORD}
    assert _post(client, "/session/sign-in", login, evil).status_code == 403
    assert _post(client, "/session/sign-in", login, {"Origin": "http://localhost:3000"}).status_code == 200  # the twin
    assert _post(client, "/session/sign-out", headers=evil, cookie=f"{SESSION_COOKIE}={token}").status_code == 403
    assert _user_of(token) == "grace_h"  # another site cannot sign the learner out either


# ---------------------------------------------------------------- OAuth through the server


@pytest.fixture
def idp(settings_env, monkeypatch):
    provider = OIDCProvider(
        "decode-data-test",
        "s3cret-for-tests-only",
        [callback_url("oidc")],
        ProviderUser(sub="alice-123", email="Alice@Example.com"),
    )
    with provider.running():
        for name, value in {
            "OIDC_ISSUER": provider.issuer,
            "OIDC_CLIENT_ID": "decode-data-test",
            "OIDC_CLIENT_SECRET": "s3cret-for-tests-only",
            "OIDC_NAME": "Test SSO",
        }.items():
            monkeypatch.setenv(name, value)
        settings_module.reset_settings()
        oauth_providers._cache.clear()
        yield provider
    oauth_providers._cache.clear()


def _start(client: TestClient, next_path: str = "/progress") -> tuple[str, str, dict[str, str]]:
    """(the provider's callback query, the pending-state cookie pair, every Set-Cookie) of a button press."""
    client.cookies.clear()
    start = client.get(f"/session/oauth/oidc?next={next_path}", headers={"Sec-Fetch-Site": "same-origin"})
    assert start.status_code == 303, start.text
    cookies = _set_cookies(start)
    provider = httpx.get(start.headers["location"], follow_redirects=False)  # the provider approves
    back = urlsplit(provider.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == callback_url("oidc")
    return back.query, cookies[OAUTH_STATE_COOKIE].split(";", 1)[0], cookies


def _sign_in_page_shows(location: str) -> str:
    page = State(_reflex_internal_init=True).get_substate(OAuthState.get_full_name().split(".")[1:])
    page.router = RouterData(url=ReflexURL(location))
    OAuthState.load_providers.fn(page)
    return page.error


def test_oauth_runs_through_the_server_with_httponly_cookies(client, db_session, idp):
    query, state_cookie, cookies = _start(client)
    for name in (OAUTH_STATE_COOKIE, OAUTH_NEXT_COOKIE):
        assert cookies[name].endswith("; Max-Age=600; Path=/; HttpOnly; SameSite=Lax")
    assert cookies[OAUTH_NEXT_COOKIE].startswith(f"{OAUTH_NEXT_COOKIE}=%2Fprogress;")

    client.cookies.clear()
    done = client.get(
        f"/auth/callback/oidc?{query}",
        headers={"Cookie": f"{state_cookie}; {OAUTH_NEXT_COOKIE}=%2Fprogress", "Sec-Fetch-Site": "cross-site"},
    )
    assert done.status_code == 303 and done.headers["location"] == "http://127.0.0.1:3000/progress"
    set_now = _set_cookies(done)
    assert set_now[SESSION_COOKIE].endswith("; Path=/; HttpOnly; SameSite=Lax")
    assert _user_of(_token(set_now[SESSION_COOKIE])) == "alice"
    assert all(set_now[name].startswith(f"{name}=; Max-Age=0;") for name in (OAUTH_STATE_COOKIE, OAUTH_NEXT_COOKIE))


def test_an_oauth_callback_without_this_browsers_state_comes_back_with_a_signed_reason(client, db_session, idp):
    query, _state_cookie, _ = _start(client)
    client.cookies.clear()
    forged = client.get(f"/auth/callback/oidc?{query}")  # a link someone else sent: no state cookie here
    assert forged.status_code == 303 and SESSION_COOKIE not in _set_cookies(forged)
    assert _set_cookies(forged)[OAUTH_STATE_COOKIE].startswith(f"{OAUTH_STATE_COOKIE}=; Max-Age=0;")  # used up
    location = forged.headers["location"]
    assert location.startswith("http://127.0.0.1:3000/signin?next=%2Fdashboard&oauth_error=")
    shown = _sign_in_page_shows(location)
    assert shown == "This sign-in was started in another browser or tab; please start again."
    params = parse_qs(urlsplit(location).query)
    tampered = location.replace("oauth_error=", "oauth_error=Call+0800+123+456.+", 1)
    assert _sign_in_page_shows(tampered) == ""  # only the server's own messages are shown
    assert params["sig"][0] not in _sign_in_page_shows(location)

    client.cookies.clear()
    unknown = client.get("/session/oauth/Call%200800%20now", headers={"Sec-Fetch-Site": "same-origin"})
    assert _sign_in_page_shows(unknown.headers["location"]) == "This sign-in provider is not set up on this server."
    client.cookies.clear()
    cross_site = client.get("/session/oauth/oidc", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 303 and _set_cookies(cross_site) == {}  # a pending sign-in stays as it was
    assert _sign_in_page_shows(cross_site.headers["location"]) == "Start signing in from this site's sign-in page."
