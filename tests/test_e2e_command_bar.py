"""The lesson page's dbt command bar in a real browser against the real app: Run is `dbt run`,
typed selections build exactly what dbt selects, refused lines say why, stale parents are named."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e_steps import (
    new_username,
    open_file,
    open_lesson,
    replace_editor_text,
    run_dbt,
    sign_up,
    type_command,
    wait_outcome,
    wait_saved,
)

pytestmark = pytest.mark.app


def _write_solution(page, lesson, *paths: str) -> None:
    for path in paths:
        open_file(page, path)
        replace_editor_text(page, (lesson.solution_dir / path).read_text(encoding="utf-8"))
        wait_saved(page)


def _built(page) -> set[str]:
    return {chip.split(" ")[0] for chip in page.locator("#node-statuses .node-status").all_inner_texts()}


def test_run_is_dbt_run_and_typed_selections_build_what_dbt_selects(page, live_app):
    from decode_data.services.lessons import get_lesson

    lesson = get_lesson("hello_dbt")
    sign_up(page, live_app.url, new_username("commander"))
    open_lesson(page, live_app.url, lesson.id)
    expect(page.locator("#run-button")).to_contain_text("dbt run")  # each shortcut shows its command

    type_command(page, "dbt seed")
    assert wait_outcome(page, "dbt seed finished").endswith("2 success")
    type_command(page, 'dbt show --inline "select first_name from raw_customers order by id limit 1"')
    wait_outcome(page, "dbt show --inline")
    expect(page.locator("#results")).to_contain_text("first_name")

    # Edited models, one click on Run: all are rebuilt (Run is `dbt run`, the whole project).
    models = ["stg_customers", "stg_orders", "customer_orders", "customers"]
    _write_solution(page, lesson, *(f"models/{name}.sql" for name in models))
    assert "failed" not in run_dbt(page, "run")
    assert {*models, "revenue_by_country"} <= _built(page)

    # The lineage fits the pane, then zooms and scrolls.
    page.get_by_role("tab", name="Lineage").click()
    drawing = page.locator("#lineage-svg")
    expect(drawing).to_be_visible()
    pane = page.locator("#lineage").bounding_box()
    fitted = drawing.bounding_box()
    assert fitted["x"] + fitted["width"] <= pane["x"] + pane["width"] + 1  # nothing clipped at the right
    page.click("#lineage-zoom-in")
    page.click("#lineage-zoom-in")
    page.wait_for_function(
        "w => document.getElementById('lineage-svg').getBoundingClientRect().width > w", arg=fitted["width"]
    )
    page.click("#lineage-fit")
    page.get_by_role("tab", name="Results").click()

    # A typed selection builds exactly the nodes dbt selects (revenue_by_country reads nothing yet).
    type_command(page, "dbt run -s customer_orders+")
    wait_outcome(page, "dbt run --select customer_orders+ finished")
    assert _built(page) == {"customer_orders", "customers"}

    # A refused flag gets a one-line reason and runs nothing.
    type_command(page, "dbt run --profiles-dir /tmp")
    expect(page.locator("#command-refused")).to_contain_text("'--profiles-dir' is not allowed")
    expect(page.locator("#run-outcome")).to_contain_text("dbt run --select customer_orders+ finished")

    # ↑ brings the last command back.
    page.fill("#dbt-command", "")
    page.press("#dbt-command", "ArrowUp")
    expect(page.locator("#dbt-command")).to_have_value("dbt run -s customer_orders+")

    # A model edited since its build is named before a run that reads it without rebuilding it.
    open_file(page, "models/customer_orders.sql")
    edited = (lesson.solution_dir / "models/customer_orders.sql").read_text(encoding="utf-8") + "-- edited\n"
    replace_editor_text(page, edited)
    wait_saved(page)
    type_command(page, "dbt run -s customers")
    prompt = page.locator("#stale-parents")
    expect(prompt).to_contain_text("customer_orders changed since it was built: run it too?")
    expect(page.locator("#run-with-parents")).to_contain_text("dbt run --select customer_orders customers")
    page.click("#run-with-parents")
    wait_outcome(page, "dbt run --select customer_orders customers finished")
    assert _built(page) == {"customer_orders", "customers"}
    expect(prompt).to_have_count(0)

    # A failing test shows the rows it complains about, not just how many there are.
    expect(page.locator("#editor .cm-content")).to_have_attribute("data-language", "sql")
    open_file(page, "models/schema.yml")
    # YAML is highlighted as YAML: an apostrophe in a description does not start a SQL string.
    expect(page.locator("#editor .cm-content")).to_have_attribute("data-language", "yaml")
    replace_editor_text(
        page,
        "version: 2\nmodels:\n  - name: customers\n    columns:\n      - name: country\n"
        "        data_tests:\n          - accepted_values:\n              arguments:\n"
        "                values: ['Nowhere']\n",
    )
    wait_saved(page)
    type_command(page, "dbt test -s customers")
    assert "failed" in wait_outcome(page, "dbt test --select customers")
    results = page.locator("#results")
    expect(results).to_contain_text("rows failing accepted_values_customers_country")
    expect(results).to_contain_text("value_field")  # dbt's own column for the unexpected values
    assert not page.errors


def test_a_check_before_seeding_says_the_warehouse_has_no_seeds(page, live_app):
    sign_up(page, live_app.url, new_username("unseeded"))
    open_lesson(page, live_app.url, "hello_dbt")
    page.click("#check-work")
    feedback = page.locator("#check-feedback")
    expect(feedback).to_contain_text("Not yet", timeout=120_000)
    expect(page.locator("#warehouse-notes")).to_contain_text("no seeds loaded yet: run `dbt seed`")
    expect(feedback).to_contain_text("Checked on a fresh build of your project")
    expect(feedback).not_to_contain_text("in your warehouse ✓")
    assert "is in your warehouse" not in feedback.inner_text()
