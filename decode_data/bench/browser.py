"""Browser figures for `python -m decode_data bench --browser`: what a learner actually waits for.

The production build (decode_data/harness/app_process.py starts it with a throwaway data folder), Debian's
Chromium driven by Playwright, and a learner registered through the real pages, who writes the
first model of hello_dbt and seeds once. Then each iteration opens the lesson in a new tab and
times, with the browser's own clock (performance.now(), zero at navigation start):

- load: navigation start -> the editor shows the learner's SQL and the steps list is visible;
- run to rows: the click on Run -> the results table shows the model's 20 rows.

A new tab is a new Reflex session whose results panel starts empty, so the rows that appear are
this run's (one tab would keep the previous run's identical rows on screen). Before clicking Run
the tab pauses SETTLE_MS, so the Run is not timed queued behind the page's own on-load work.
The iterations run in a second browser profile that only shares the session cookie, so the
first one is a cold load (nothing cached) and is reported apart; percentiles cover the others.

Playwright is a test requirement (requirements-test.txt): without it, or without Chromium, the
browser figures are skipped with the reason, never a traceback.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

from decode_data.bench.report import summary

LESSON_ID = "hello_dbt"
MODEL_PATH = "models/stg_customers.sql"
FIRST_MODEL = "select * from {{ ref('raw_customers') }}\n"
EDITOR_MARK = "raw_customers"  # in the editor once the learner's model has loaded
EXPECTED_ROWS = 20  # seeds/raw_customers.csv
VIEWPORT = {"width": 1366, "height": 860}
WAIT_MS = 120_000
# Pause between "lesson ready" and the click on Run: after its first paint the page asks for
# a `dbt compile` (the lineage, RunnerState.inspect_after_paint), and the engine runs one learner's jobs
# one at a time. Both take < 1 s.
SETTLE_MS = 2_000

# Installed in every document of the browser context: notes when the lesson page is ready.
READY_SCRIPT = f"""
(() => {{
  if (!location.pathname.startsWith('/lessons/')) return;
  const shown = el => el && el.getBoundingClientRect().height > 0;
  const ready = () => {{
    const editor = document.querySelector('#editor .cm-content');
    const step = document.querySelector('button[id^="step-"]');
    return shown(editor) && shown(step) && editor.textContent.includes({json.dumps(EDITOR_MARK)});
  }};
  const observer = new MutationObserver(() => {{
    if (ready()) {{
      observer.disconnect();
      requestAnimationFrame(() => {{ window.__lessonReadyAt = performance.now(); }});
    }}
  }});
  observer.observe(document, {{childList: true, subtree: true, characterData: true, attributes: true}});
}})();
"""

# Run once per tab just before the click: stamps the click, the outcome line and the rows.
WATCH_RUN = """
(rows) => {
  const t = window.__run = {};
  document.querySelector('#run-button').addEventListener('click', e => { t.click = e.timeStamp; },
                                                         {capture: true, once: true});
  const observer = new MutationObserver(() => {
    if (t.click === undefined) return;
    const outcome = document.querySelector('#run-outcome');
    if (t.done === undefined && outcome && outcome.textContent.includes('dbt run finished')) {
      t.done = performance.now();
    }
    if (document.querySelectorAll('#results tbody tr').length >= rows) {
      observer.disconnect();
      requestAnimationFrame(() => { t.rows = performance.now(); });
    }
  });
  observer.observe(document.body, {childList: true, subtree: true, characterData: true});
}
"""


def missing_reason() -> str | None:
    """Why the browser figures cannot be taken here, or None when they can."""
    from decode_data.harness.app_process import CHROMIUM

    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-test.txt)"
    if CHROMIUM is None:
        return "no chromium on PATH (apt-get install chromium)"
    return None


# --- what the learner does ----------------------------------------------------------------------


def launch(playwright):
    """Debian's Chromium (never `playwright install`: it downloads)."""
    from decode_data.harness.app_process import CHROMIUM, CHROMIUM_ARGS

    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def write_first_model(page) -> None:
    """The first step's model, typed like a paste, and saved by the editor's autosave."""
    from playwright.sync_api import expect

    from decode_data.harness.browser_steps import replace_editor_text, wait_saved

    expect(page.locator("#editor-path")).to_have_text(MODEL_PATH)
    replace_editor_text(page, FIRST_MODEL)
    wait_saved(page)


def wait_rows(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#results tbody tr")).to_have_count(EXPECTED_ROWS, timeout=WAIT_MS)


def new_context(browser, page_errors: list[str] | None = None):
    """A fresh browser profile (no cookies, empty cache) at laptop size."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    if page_errors is not None:
        context.on("page", lambda p: p.on("pageerror", lambda exc: page_errors.append(str(exc))))
    return context


def set_up_learner(browser, base: str, page_errors: list[str] | None = None) -> list[dict]:
    """Register, write the first model and seed, in a profile of its own; returns its cookies."""
    context = new_context(browser, page_errors)
    try:
        from decode_data.harness.browser_steps import open_lesson, register, run_dbt

        page = context.new_page()
        register(page, base, f"bench{int(time.time() * 1000) % 100_000_000}")
        open_lesson(page, base, LESSON_ID)
        write_first_model(page)
        seeded = run_dbt(page, "seed")
        if "finished" not in seeded:
            raise RuntimeError(f"dbt seed did not succeed: {seeded}")
        return context.cookies()
    finally:
        context.close()


# --- the measurement ----------------------------------------------------------------------------


def _iteration(context, base: str) -> dict:
    page = context.new_page()
    try:
        page.goto(f"{base}/lessons/{LESSON_ID}")
        page.wait_for_function("window.__lessonReadyAt !== undefined", timeout=WAIT_MS)
        nav = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
                                       return {ready: window.__lessonReadyAt, load_event: n.loadEventEnd}; }""")
        page.wait_for_timeout(SETTLE_MS)  # the page's own on-load work, so Run does not queue behind it
        page.evaluate(WATCH_RUN, EXPECTED_ROWS)
        page.click("#run-button")
        wait_rows(page)
        page.wait_for_function("window.__run.rows !== undefined", timeout=WAIT_MS)
        run = page.evaluate("window.__run")
        outcome = page.locator("#run-outcome").inner_text()
        if "finished" not in outcome:
            raise RuntimeError(f"dbt run did not succeed: {outcome}")
        return {
            "load_s": nav["ready"] / 1000,
            "load_event_s": nav["load_event"] / 1000,
            "run_to_rows_s": (run["rows"] - run["click"]) / 1000,
            "run_done_s": (run.get("done", run["rows"]) - run["click"]) / 1000,
        }
    finally:
        page.close()


def _figures(samples: list[dict]) -> dict:
    """Cold (the first iteration) apart; percentiles over the warm ones."""

    def block(key: str) -> dict:
        values = [s[key] for s in samples]
        return {"cold_s": round(values[0], 4) if values else None, **summary(values[1:])}

    return {
        "load": {**block("load_s"), "load_event": block("load_event_s")},
        "run_to_rows": {**block("run_to_rows_s"), "run_done": block("run_done_s"), "rows": EXPECTED_ROWS},
        "samples": {
            key: [round(s[key], 4) for s in samples]
            for key in ("load_s", "load_event_s", "run_to_rows_s", "run_done_s")
        },
    }


def measure(base: str, repeat: int, progress=lambda message: None) -> dict:
    """Drive Chromium against the app at `base`: one learner set up, then `repeat` iterations."""
    from playwright.sync_api import sync_playwright

    page_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            progress("registering a learner, writing the first model, dbt seed")
            cookies = set_up_learner(browser, base, page_errors)
            # A second profile with only the session cookie: its first lesson load is truly cold.
            context = new_context(browser, page_errors)
            context.add_cookies(cookies)
            context.add_init_script(READY_SCRIPT)
            samples = []
            for i in range(repeat):
                progress(f"browser iteration {i + 1} of {repeat}: load the lesson, Run, rows")
                samples.append(_iteration(context, base))
            figures = {"chromium": browser.version, **_figures(samples)}
        finally:
            browser.close()
    figures["page_errors"] = sorted(set(page_errors))
    return figures


def run_browser_bench(repeat: int = 10, url: str | None = None, progress=lambda message: None) -> dict:
    """The browser figures, against `url` or a production app started (and stopped) here."""
    from decode_data.harness.app_process import REPO_ROOT, LiveApp

    figures: dict = {"repeat": repeat, "errors": [], "url": url, "app_start_s": None}
    if reason := missing_reason():
        figures["skipped"] = reason
        return figures
    if url:
        try:
            figures.update(measure(url.rstrip("/"), repeat, progress))
        except Exception as exc:  # noqa: BLE001 - reported; the exit code says it failed
            figures["errors"].append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
        return figures
    root = Path(tempfile.mkdtemp(prefix="decode-data-bench-browser-"))
    app = None
    try:
        progress(f"starting the production app in {root} (builds the frontend: a minute or more)")
        app = LiveApp(root, REPO_ROOT / "dbt_template")
        figures["app_start_s"] = round(app.wait_until_serving(), 1)
        figures["url"] = app.url
        figures.update(measure(app.url, repeat, progress))
    except Exception as exc:  # noqa: BLE001 - reported; the exit code says it failed
        figures["errors"].append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
        if app is not None and app.process.poll() is not None:
            figures["errors"].append(app.log_tail(20))
    finally:
        if app is not None:
            app.stop()
        shutil.rmtree(root, ignore_errors=True)
    return figures
