"""Take the README's screenshot: the lesson page just after a learner passed hello_dbt's first step.

Uses the same production app and learner steps as the browser bench (decode_data/harness/app_process.py,
decode_data/bench/browser.py), in a throwaway data folder, so the picture is what a learner sees:
their SQL in the editor, the model's rows, and "Step complete!".

    .venv/bin/python scripts/screenshot.py [PATH]    # default assets/screenshot.png, 1366x860 PNG
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from decode_data.bench import browser as bench  # noqa: E402 - needs the repo on sys.path
from decode_data.harness.app_process import LiveApp  # noqa: E402


def take(base: str, out: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        from decode_data import browser_steps as steps

        browser = bench.launch(playwright)
        try:
            # A 1366x860 picture of a browser zoomed out to 80%: the SQL, the rows and the feedback fit.
            page = browser.new_context(viewport={"width": 1708, "height": 1075}, device_scale_factor=0.8).new_page()
            steps.register(page, base, "ada")
            steps.open_lesson(page, base, bench.LESSON_ID)
            bench.write_first_model(page)
            steps.run_dbt(page, "seed")
            steps.run_dbt(page, "run")
            bench.wait_rows(page)
            page.click("#check-work")
            expect(page.locator("#check-feedback")).to_contain_text("Step complete!", timeout=bench.WAIT_MS)
            page.locator("#check-feedback").scroll_into_view_if_needed()  # the step panel scrolls alone
            page.evaluate("window.scrollTo(0, 0)")
            page.mouse.move(0, 0)  # no hover highlight in the picture
            page.wait_for_timeout(500)  # let the last transitions settle
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
        finally:
            browser.close()


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else REPO_ROOT / "assets" / "screenshot.png"
    if reason := bench.missing_reason():
        print(f"screenshot skipped: {reason}", file=sys.stderr)
        return 1
    root = Path(tempfile.mkdtemp(prefix="decode-data-screenshot-"))
    app = LiveApp(root, REPO_ROOT / "dbt_template")
    try:
        app.wait_until_serving()
        take(app.url, out)
    finally:
        app.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
