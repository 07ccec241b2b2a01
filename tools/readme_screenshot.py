"""Refresh ``docs/book-screenshot.png``: the comparison chapter's accuracy table and figure.

Run after ``make book``: ``.venv/bin/python tools/readme_screenshot.py``. Uses Debian's
chromium through Playwright (as the browser test does) and blocks every network request.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "_build/html/book/chapters/05_comparison.html"
OUTPUT = ROOT / "docs/book-screenshot.png"
ANCHOR_CODE = "stage_predictions"  # the code cell just above the accuracy table


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("http*://**", lambda route: route.abort())
        page.goto(PAGE.as_uri())
        page.wait_for_selector(".main-svg")
        top = page.evaluate(
            """(text) => {
                const cell = [...document.querySelectorAll('pre')]
                    .find((pre) => pre.textContent.includes(text));
                return cell.getBoundingClientRect().top + window.scrollY;
            }""",
            ANCHOR_CODE,
        )
        page.evaluate(f"window.scrollTo(0, {top} - 80)")
        page.wait_for_timeout(800)
        page.screenshot(path=str(OUTPUT))
        browser.close()
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
