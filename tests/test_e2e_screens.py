"""Every screen a learner uses, in a real browser: at a phone's width nothing scrolls sideways and the
lesson's editor gets the screen's width; "Check my work" brings its verdict into view; Results say
when their rows are older than a failed run; typing in the query editor right away is never lost.

Shares the session's one production app (conftest `live_app`); each test registers its own learner.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from decode_data.components.ui import PHONE_WIDTH
from tests.e2e_steps import new_username, open_lesson, register, replace_editor_text, run_dbt, sign_up, wait_saved

pytestmark = pytest.mark.app

PHONE = {"width": PHONE_WIDTH, "height": 844}
CHECK_TIMEOUT_MS = 120_000
PUBLIC_PAGES = [("/", "#cta-register"), ("/signin", "#signin-submit"), ("/register", "#register-submit")]
LEARNER_PAGES = [
    ("/dashboard", "#card-hello_dbt"),
    ("/lessons/hello_dbt", "#editor .cm-content"),
    ("/lessons/hello_dbt/query", "#query-editor .cm-content"),
    ("/progress", "#activity-chart"),
    ("/settings", "#token-list"),
]


@pytest.fixture
def phone(browser, live_app):
    """A fresh browser profile at a phone's size; its console errors fail loudly."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    context.set_default_timeout(60_000)
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    yield tab
    context.close()


def _open(page: Page, url: str, ready: str) -> None:
    page.goto(url)
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")


def _assert_no_sideways_scroll(page: Page, where: str) -> None:
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client, f"{where} scrolls sideways at {client} px: content is {scroll} px wide"


def test_no_screen_scrolls_sideways_on_a_phone(phone, live_app):
    base = live_app.url
    for path, ready in PUBLIC_PAGES:
        _open(phone, base + path, ready)
        _assert_no_sideways_scroll(phone, path)
    phone.goto(f"{base}/login?next=%2Fprogress")  # a common guess: it is the sign-in page
    phone.wait_for_url(f"{base}/signin?next=%2Fprogress")

    register(phone, base, new_username("pocket"))
    for path, ready in LEARNER_PAGES:
        _open(phone, base + path, ready)
        _assert_no_sideways_scroll(phone, path)
        header = phone.locator("header").bounding_box()
        assert header and header["height"] < 60, f"the header of {path} wraps onto a second line"
        if path.startswith("/lessons/hello_dbt") and not path.endswith("/query"):
            editor = phone.locator("#editor").bounding_box()
            assert editor and editor["width"] >= 0.8 * PHONE_WIDTH, f"the editor is squeezed to {editor}"

    phone.click("#nav-menu")  # the places of the header live in a menu on a phone
    phone.get_by_role("menuitem", name="Lessons").click()
    phone.wait_for_url(f"{base}/dashboard")
    assert not phone.errors


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1366, "height": 768}], ids=["phone", "laptop"])
def test_check_feedback_is_in_view_after_the_click(browser, live_app, viewport):
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        sign_up(page, live_app.url, new_username("verdict"))
        open_lesson(page, live_app.url, "hello_dbt")
        # Rows missing: the verdict holds a table of them, wider than the column on any screen.
        replace_editor_text(page, "select * from {{ ref('raw_customers') }} limit 3\n")
        wait_saved(page)
        button = page.locator("#check-work")
        button.scroll_into_view_if_needed()  # where a learner clicks it, below the step's instructions
        button.click()
        feedback = page.locator("#check-feedback")
        expect(feedback).to_be_visible(timeout=CHECK_TIMEOUT_MS)
        expect(page.locator("#diff-grid")).to_contain_text("Rows your model is missing")
        expect(feedback).to_be_in_viewport()
        header, box = page.locator("header").bounding_box(), feedback.bounding_box()
        assert box["y"] >= header["y"] + header["height"] - 1, "the verdict's top is under the sticky header"
        # Every line of the verdict can be read: nothing is cut off on the right of its column.
        inner, outer = feedback.evaluate("el => [el.scrollWidth, el.clientWidth]")
        assert inner <= outer, f"the verdict's content is {inner} px wide in {outer} px"
        summary = page.locator("#check-summary").bounding_box()
        assert summary["x"] + summary["width"] <= box["x"] + box["width"] + 1
        column = page.locator("#step-panel").bounding_box()
        assert box["x"] + box["width"] <= column["x"] + column["width"] + 1, "the verdict is wider than its column"
        # A run after the verdict may have changed what it describes: it says so.
        expect(page.locator("#check-stale")).to_have_count(0)
        page.click("#run-button")
        expect(page.locator("#check-stale")).to_contain_text("Checked before your last run", timeout=CHECK_TIMEOUT_MS)
    finally:
        context.close()


def test_results_say_when_they_are_from_an_earlier_run(page, live_app):
    sign_up(page, live_app.url, new_username("stale"))
    open_lesson(page, live_app.url, "hello_dbt")
    replace_editor_text(page, "select * from {{ ref('raw_customers') }}\n")
    wait_saved(page)
    run_dbt(page, "seed")
    page.click("#run-button")
    expect(page.locator("#run-outcome")).to_contain_text("finished", timeout=120_000)
    expect(page.locator("#results")).to_contain_text("20 rows")
    expect(page.locator("#results-stale")).to_have_count(0)

    replace_editor_text(page, "select nope_col from {{ ref('raw_customers') }}\n")
    wait_saved(page)
    page.click("#run-button")
    expect(page.locator("#run-outcome")).to_contain_text("failed", timeout=120_000)
    expect(page.locator("#results")).to_contain_text("20 rows")  # the old rows stay, to compare
    expect(page.locator("#results-stale")).to_contain_text("from an earlier run")


def test_typing_in_the_query_editor_right_away_is_kept(page, live_app):
    sign_up(page, live_app.url, new_username("quick"))
    page.goto(f"{live_app.url}/lessons/hello_dbt/query")
    page.click("#query-editor .cm-content")  # as soon as the editor is there
    page.keyboard.insert_text("select 42 as answer")
    expect(page.locator("#table-browser")).to_contain_text("No tables yet")  # the page's load is done
    page.wait_for_load_state("networkidle")
    expect(page.locator("#query-editor .cm-content")).to_have_text("select 42 as answer")
