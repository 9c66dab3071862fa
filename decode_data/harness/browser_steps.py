"""What a learner does in the browser, as small Playwright steps: shared by the end-to-end
tests and the browser benchmark, so both drive the app exactly the same way.

Playwright is a test requirement; this module is only imported where it is installed.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from decode_data import routes

PASSWORD = "a long enough passphrase"
RUN_TIMEOUT_MS = 120_000


def register(page: Page, base: str, username: str) -> None:
    page.goto(base + routes.REGISTER)
    page.fill("#username", username)
    page.fill("#email", f"{username}@example.org")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("#register-submit")
    # Sign-up lands there, loading the page in full (its websocket carries the new cookie): the
    # production server answers /dashboard with /dashboard/.
    page.wait_for_url(re.compile(".*" + re.escape(routes.AFTER_SIGN_IN) + "/?$"))


def sign_up(page: Page, base: str, username: str) -> None:
    """The sign-up the form sends (the same JSON, to the same route, from the app's origin),
    without drawing the form and the dashboard it lands on: for a step that starts signed in.
    The tab's cookies get the session, as after the form; the form has tests of its own."""
    response = page.context.request.post(
        base + routes.SESSION_REGISTER,
        data={"username": username, "email": f"{username}@example.org", "password": PASSWORD, "confirm": PASSWORD},
        headers={"Origin": base},
    )
    if not response.ok:
        raise AssertionError(f"sign-up of {username} refused ({response.status}): {response.text()}")


def sign_in(page: Page, base: str, login: str, password: str = PASSWORD) -> None:
    page.goto(base + routes.SIGN_IN)
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("#signin-submit")


def sign_out(page: Page, base: str) -> None:
    """Click "Sign out" and wait until the home page loads afresh (the server ended the session)."""
    page.click("#sign-out")
    page.wait_for_url(re.compile("^" + re.escape(base) + r"/?(\?.*)?$"))
    page.wait_for_load_state()


def open_lesson(page: Page, base: str, lesson_id: str) -> None:
    page.goto(base + routes.lesson(lesson_id))
    page.wait_for_selector("#editor .cm-content")


def open_file(page: Page, path: str) -> None:
    page.get_by_role("button", name=path, exact=True).click()
    expect(page.locator("#editor-path")).to_have_text(path)


def replace_editor_text(page: Page, text: str) -> None:
    """Select all and insert, like a paste: CodeMirror's auto-indent does not touch it."""
    page.click("#editor .cm-content")
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)


def wait_saved(page: Page) -> None:
    """Until the autosave of the last edit went through (not just "nothing to save")."""
    expect(page.locator("#save-state")).to_have_attribute("data-save", "saved", timeout=20_000)


def run_dbt(page: Page, command: str) -> str:
    """Click a dbt button and wait for its outcome line; returns it."""
    page.click("#run-button" if command == "run" else f"#dbt-{command}")
    outcome = page.locator("#run-outcome")
    expect(outcome).to_contain_text(f"dbt {command}", timeout=RUN_TIMEOUT_MS)
    return outcome.inner_text()


def type_command(page: Page, line: str) -> None:
    """Type a line in the lesson page's dbt command bar and press Enter."""
    page.fill("#dbt-command", line)
    page.press("#dbt-command", "Enter")


def wait_outcome(page: Page, starts_with: str) -> str:
    """Until the status line reports the command that ran; returns the line."""
    outcome = page.locator("#run-outcome")
    expect(outcome).to_contain_text(starts_with, timeout=RUN_TIMEOUT_MS)
    return outcome.inner_text()
