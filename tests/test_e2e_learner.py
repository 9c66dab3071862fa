"""A learner in a real browser against the real app (production build): register, open
hello_dbt, edit, run, see rows, get graded, see progress, and find everything after a reload."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e_steps import (
    new_username,
    open_file,
    open_lesson,
    register,
    replace_editor_text,
    run_dbt,
    sign_up,
    wait_outcome,
    wait_saved,
)

pytestmark = pytest.mark.app

STG_CUSTOMERS = "models/stg_customers.sql"
FIRST_MODEL = "select * from {{ ref('raw_customers') }}\n"


def test_new_learner_completes_the_first_step(page, live_app):
    register(page, live_app.url, new_username("ada"))
    expect(page.locator("#card-hello_dbt")).to_contain_text("0 of 6 steps")
    page.click("#open-hello_dbt")
    page.wait_for_selector("#editor .cm-content")
    # The lesson opens on the file its first step is about.
    expect(page.locator("#editor-path")).to_have_text(STG_CUSTOMERS)

    replace_editor_text(page, FIRST_MODEL)
    wait_saved(page)
    assert "2 success" in run_dbt(page, "seed")

    page.click("#editor .cm-content")
    page.keyboard.press("Control+Enter")  # the editor's shortcut for Run
    expect(page.locator("#run-outcome")).to_contain_text("dbt run finished", timeout=90_000)
    expect(page.locator("#node-statuses")).to_contain_text("stg_customers success")
    results = page.locator("#results")
    expect(results).to_contain_text("stg_customers: 20 rows")
    expect(results).to_contain_text("Lovelace")
    # The SQL dbt ran, highlighted like the editor and read-only.
    page.get_by_role("tab", name="Compiled SQL").click()
    compiled = page.locator("#compiled .cm-content")
    expect(compiled).to_contain_text('"raw_customers"')
    expect(compiled).to_have_attribute("contenteditable", "false")
    page.get_by_role("tab", name="Results").click()

    page.click("#check-work")
    feedback = page.locator("#check-feedback")
    expect(feedback).to_contain_text("Step complete!", timeout=120_000)
    expect(page.locator("#step-first_model")).to_have_attribute("data-accent-color", "teal")

    page.click("#next-step")
    expect(page.locator("#editor-path")).not_to_have_text(STG_CUSTOMERS)

    page.goto(f"{live_app.url}/progress")
    expect(page.locator("#progress-hello_dbt")).to_contain_text("1 of 6")

    # Durable: a fresh load of the lesson shows the saved edit.
    open_lesson(page, live_app.url, "hello_dbt")
    open_file(page, STG_CUSTOMERS)
    expect(page.locator("#editor .cm-content")).to_contain_text("ref('raw_customers')")
    assert not page.errors


def test_sql_error_points_at_the_learners_line(page, live_app):
    sign_up(page, live_app.url, new_username("alan"))
    open_lesson(page, live_app.url, "hello_dbt")
    replace_editor_text(page, "select\n    id,\n    first_name frm {{ ref('raw_customers') }}\n")
    wait_saved(page)
    run_dbt(page, "seed")
    outcome = run_dbt(page, "run")
    assert "failed" in outcome
    error = page.locator(".run-error").first
    expect(error).to_contain_text(re.compile(r"models/stg_customers\.sql\s+line 3"))
    # The editor marks the learner's line.
    assert "nth-child(3)" in page.locator("style").all_inner_texts()[-1] or any(
        "nth-child(3)" in text for text in page.locator("style").all_inner_texts()
    )
    # Fixed, but with a config key dbt ignores without a word: the run succeeds and warns, at the line.
    replace_editor_text(page, "{{ config(materialised='table') }}\nselect * from {{ ref('raw_customers') }}\n")
    wait_saved(page)
    page.click("#run-button")
    wait_outcome(page, "dbt run finished")
    expect(page.locator(".run-error")).to_have_count(0)
    warning = page.locator(".run-warning").first
    expect(warning).to_contain_text("Did you mean materialized?")
    expect(warning).to_contain_text(re.compile(r"models/stg_customers\.sql\s+line 1"))


def test_query_page_runs_sql_and_charts_it(page, live_app):
    sign_up(page, live_app.url, new_username("grace"))
    open_lesson(page, live_app.url, "hello_dbt")
    run_dbt(page, "seed")
    page.click("#open-query")
    page.wait_for_selector("#table-browser")
    page.click("#query-editor .cm-content")
    page.keyboard.press("Control+A")
    page.keyboard.insert_text("select country, count(*) as customers from raw_customers group by 1 order by 1")
    page.click("#query-run")
    expect(page.locator("#query-results")).to_contain_text("customers")
    expect(page.locator("#chart .recharts-surface")).to_be_visible()
    expect(page.locator("#query-stale")).to_have_count(0)
    # A query that fails keeps the last rows to compare with, and says whose they are.
    page.click("#query-editor .cm-content")
    page.keyboard.press("Control+A")
    page.keyboard.insert_text("select countryy from raw_customers")
    page.click("#query-run")
    expect(page.locator("#query-error")).to_contain_text("countryy")
    expect(page.locator("#query-stale")).to_contain_text("from your previous query")


def test_export_downloads_a_plain_dbt_project(page, live_app):
    sign_up(page, live_app.url, new_username("edsger"))
    open_lesson(page, live_app.url, "hello_dbt")
    replace_editor_text(page, FIRST_MODEL)
    wait_saved(page)
    with page.expect_download() as download:
        page.click("#export")
    data = download.value.path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert "hello_dbt/dbt_project.yml" in names and "hello_dbt/profiles.yml" in names
        assert archive.read(f"hello_dbt/{STG_CUSTOMERS}").decode() == FIRST_MODEL


def test_quiz_is_graded_with_explanations(page, live_app):
    sign_up(page, live_app.url, new_username("barbara"))
    open_lesson(page, live_app.url, "cafe_chain")
    first = page.locator("#quiz .quiz-question").first
    first.get_by_role("radio").nth(1).click()  # the right answer of cafe_chain's first question
    page.click("#quiz-submit")
    expect(page.locator("#quiz-score")).to_contain_text("20%")  # 1 of 5
    expect(first.locator(".quiz-verdict")).to_contain_text("Right.")
    page.goto(f"{live_app.url}/progress")
    expect(page.locator("#progress-cafe_chain")).to_contain_text("20%")


def test_hints_solution_and_reset(page, live_app):
    sign_up(page, live_app.url, new_username("hopper"))
    open_lesson(page, live_app.url, "hello_dbt")
    page.click("#hint")
    expect(page.locator("#hints > *")).to_have_count(1)
    expect(page.locator("#hints code").first).to_have_text("dbt seed")  # Markdown, not raw backticks
    assert "`" not in page.locator("#hints").inner_text()
    page.click("#hint")
    expect(page.locator("#hints > *")).to_have_count(2)  # one at a time, in the author's order

    page.click("#show-solution")
    page.click("#confirm-solution")  # only after a deliberate confirmation
    expect(page.locator("#solution")).to_contain_text("ref('raw_customers')")

    replace_editor_text(page, "select 42 as answer\n")
    wait_saved(page)
    page.click("#reset")
    page.click("#confirm-reset")
    expect(page.locator("#editor .cm-content")).to_contain_text("replace me in step 1")


def test_two_tabs_never_overwrite_each_other_silently(page, live_app):
    sign_up(page, live_app.url, new_username("tabs"))
    open_lesson(page, live_app.url, "hello_dbt")
    other = page.context.new_page()
    open_lesson(other, live_app.url, "hello_dbt")

    replace_editor_text(page, "select 1 as from_the_first_tab\n")
    wait_saved(page)
    replace_editor_text(other, "select 2 as from_the_second_tab\n")
    expect(other.locator("#save-state")).to_have_attribute("data-save", "conflict", timeout=20_000)
    expect(other.locator("#save-error")).to_contain_text("changed in another tab")

    other.get_by_role("button", name="Keep mine").click()
    wait_saved(other)
    open_lesson(page, live_app.url, "hello_dbt")
    expect(page.locator("#editor .cm-content")).to_contain_text("from_the_second_tab")


def test_hello_dbt_can_be_completed_in_the_browser(page, live_app):
    """Done when: every step of the first lesson passes through the UI, and the app says so."""
    from decode_data.services.lessons import get_lesson

    lesson = get_lesson("hello_dbt")
    sign_up(page, live_app.url, new_username("finisher"))
    open_lesson(page, live_app.url, lesson.id)
    for path in sorted(p.relative_to(lesson.solution_dir).as_posix() for p in lesson.solution_dir.rglob("*.*")):
        open_file(page, path)
        replace_editor_text(page, (lesson.solution_dir / path).read_text())
        wait_saved(page)
    run_dbt(page, "seed")
    assert "failed" not in run_dbt(page, "build")

    for step in lesson.steps:
        page.click(f"#step-{step.id}")
        expect(page.locator(f"#step-{step.id}")).to_have_attribute("aria-current", "step")
        expect(page.locator("#check-feedback")).to_have_count(0)  # the last step's verdict is gone
        page.click("#check-work")
        expect(page.locator("#check-feedback")).to_contain_text("Step complete!", timeout=120_000)
    expect(page.get_by_role("navigation", name="Lesson steps")).to_contain_text("100%")
    done = page.locator("#lesson-complete")  # the lesson-complete moment, with the next lesson
    expect(done).to_contain_text("Lesson complete")
    expect(done).to_contain_text(lesson.steps[0].title)
    from decode_data.services.lessons import next_lesson

    following = next_lesson(lesson.id)
    expect(page.locator("#next-lesson")).to_have_attribute("href", f"/lessons/{following.id}")
    # Reopened, a finished lesson shows its last step and says it is done, not step 1.
    open_lesson(page, live_app.url, lesson.id)
    expect(page.locator(f"#step-{lesson.steps[-1].id}")).to_have_attribute("aria-current", "step")
    expect(page.locator("#lesson-complete")).to_be_visible()
    page.goto(f"{live_app.url}/dashboard")
    expect(page.locator("#card-hello_dbt")).to_contain_text("Completed")
