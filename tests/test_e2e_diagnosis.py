"""A wrong answer in the browser: the learner reads what is wrong, with its evidence, where
they are looking (on a 1366×768 screen, without scrolling)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e_steps import new_username, open_file, open_lesson, replace_editor_text, sign_up, wait_saved

pytestmark = pytest.mark.app

STG_CUSTOMERS = (
    "select id as customer_id, first_name, last_name, lower(email) as email, country, signup_date\n"
    "from {{ ref('raw_customers') }}\n"
)
UPPER_STATUS = (
    "select id as order_id, user_id as customer_id, order_date, status,\n"
    "    cast(amount_cents / 100 as decimal(10, 2)) as amount\nfrom {{ ref('raw_orders') }}\n"
)


def _in_view(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + 20 <= size["height"]


def test_a_wrong_answer_is_diagnosed_in_view(page, live_app):
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_up(page, live_app.url, new_username("hedy"))
    open_lesson(page, live_app.url, "hello_dbt")
    page.click("#step-staging")
    for path, text in (("models/stg_customers.sql", STG_CUSTOMERS), ("models/stg_orders.sql", UPPER_STATUS)):
        open_file(page, path)
        replace_editor_text(page, text)
        wait_saved(page)
    page.click("#check-work")
    summary = page.locator("#check-summary")
    expect(summary).to_contain_text("differs only in upper/lower case", timeout=120_000)
    expect(summary).to_contain_text("expected 'completed', got 'COMPLETED'")
    evidence = page.locator("#check-evidence")
    expect(evidence).to_contain_text("order_id")
    expect(evidence).to_contain_text("COMPLETED")
    page.wait_for_timeout(500)  # the scroll into view is smooth
    assert _in_view(page, "#check-summary"), "the verdict must be visible without scrolling"
    assert not page.errors
