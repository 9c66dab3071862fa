"""Accounts and isolation in a real browser: OAuth sign-in through a real OpenID Connect
provider, sign-out, page guards, and a second learner who cannot reach the first one's work."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e_steps import (
    PASSWORD,
    new_username,
    open_file,
    open_lesson,
    register,
    replace_editor_text,
    sign_in,
    sign_out,
    wait_saved,
)

pytestmark = pytest.mark.app

SECRET_SQL = "-- only ada may read this: 7f3a\nselect * from {{ ref('raw_customers') }}\n"


def test_oauth_sign_in_with_an_openid_connect_provider(page, live_app):
    page.goto(f"{live_app.url}/signin")
    page.click("#oauth-oidc")  # "Continue with Test SSO": off to the provider and back
    page.wait_for_url(re.compile(r".*/dashboard/?$"))
    expect(page.locator("header")).to_contain_text("grace.e2e")
    sign_out(page, live_app.url)
    page.goto(f"{live_app.url}/dashboard")
    page.wait_for_url(re.compile(r".*/signin\?next=%2Fdashboard"))


def test_wrong_password_is_a_clear_form_error(page, live_app):
    name = new_username("kay")
    register(page, live_app.url, name)
    sign_out(page, live_app.url)
    sign_in(page, live_app.url, name, "not the password at all")
    expect(page.get_by_role("alert")).to_contain_text("Wrong username/email or password.")
    page.fill("#password", PASSWORD)
    page.click("#signin-submit")
    page.wait_for_url(re.compile(r".*/dashboard/?$"))


def test_the_session_cookie_is_out_of_reach_of_scripts(page, live_app):
    """The server sets the session cookie HttpOnly: no script, storage or websocket frame holds
    the token or the password, and signing out ends it on the server, not just in the browser."""
    frames: list[str] = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda payload: frames.append(str(payload))))
    register(page, live_app.url, new_username("eve"))
    cookie = next(c for c in page.context.cookies() if c["name"] == "dd_session")
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"], cookie["secure"]) == (True, "Lax", "/", False)
    readable = page.evaluate(
        "() => [document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage)].join(' ')"
    )
    assert "dd_session" not in readable and cookie["value"] not in readable
    assert frames and not any(PASSWORD in frame or cookie["value"] in frame for frame in frames)

    sign_out(page, live_app.url)
    assert not [c for c in page.context.cookies() if c["name"] == "dd_session"]
    page.context.add_cookies([cookie])  # a copy kept from before the sign-out no longer works
    page.goto(f"{live_app.url}/dashboard")
    page.wait_for_url(re.compile(r".*/signin\?next=%2Fdashboard"))


def test_pages_need_a_session(page, live_app):
    for path in ("/dashboard", "/lessons/hello_dbt", "/lessons/hello_dbt/query", "/progress", "/settings"):
        page.goto(live_app.url + path)
        page.wait_for_url(re.compile(r".*/signin\?next="))


def test_a_second_learner_cannot_reach_the_first_learners_work(browser, live_app):
    ada_context, bob_context = browser.new_context(), browser.new_context()
    try:
        ada, bob = ada_context.new_page(), bob_context.new_page()
        register(ada, live_app.url, new_username("ada"))
        open_lesson(ada, live_app.url, "hello_dbt")
        replace_editor_text(ada, SECRET_SQL)
        wait_saved(ada)

        register(bob, live_app.url, new_username("bob"))
        open_lesson(bob, live_app.url, "hello_dbt")
        open_file(bob, "models/stg_customers.sql")
        expect(bob.locator("#editor .cm-content")).not_to_contain_text("7f3a")

        # Bob's API token reads Bob's workspace, never Ada's.
        bob.goto(f"{live_app.url}/settings")
        bob.fill("#token-name", "laptop")
        bob.click("#token-create")
        token = bob.locator("#new-token-value").inner_text().strip()
        request = urllib.request.Request(
            f"{live_app.url}/api/v1/lessons/hello_dbt/files/models/stg_customers.sql",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert "7f3a" not in json.loads(response.read())["content"]

        # Ada's own work is still hers after a reload.
        open_lesson(ada, live_app.url, "hello_dbt")
        open_file(ada, "models/stg_customers.sql")
        expect(ada.locator("#editor .cm-content")).to_contain_text("7f3a")
    finally:
        ada_context.close()
        bob_context.close()


def test_a_form_sent_before_the_page_is_live_never_puts_a_password_in_a_url(browser, live_app):
    """The forms are in the page's HTML before its scripts run. Until they do, the browser would
    send a form itself, as a GET: the password in the address bar, the history and server logs.
    So the submit buttons wait for the live page, and the forms say POST."""
    context = browser.new_context(java_script_enabled=False)  # the page as it is before hydration
    try:
        page = context.new_page()
        for path, form, fields in (
            ("/register", "#register-form", ("#username", "#email", "#password", "#confirm")),
            ("/signin", "#signin-form", ("#login", "#password")),
        ):
            page.goto(live_app.url + path)
            for field in fields:
                page.fill(field, "secret.user@example.org" if field == "#email" else PASSWORD)
            expect(page.locator(f"{form} button[type=submit]")).to_be_disabled()
            assert page.get_attribute(form, "method") == "post"
            page.press(fields[-1], "Enter")  # implicit submission: nothing happens
            page.wait_for_load_state()
            assert "passphrase" not in page.url and page.url.rstrip("/").endswith(path), page.url
    finally:
        context.close()
