"""Refresh the screenshots in ``docs/``: the comparison chapter and the conclusions page.

Run after ``make book``: ``.venv/bin/python tools/readme_screenshot.py``. Uses the
browser the tests find (``tests/find_browser.py``) through Playwright, and blocks every
network request.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from find_browser import find_chromium  # noqa: E402

PAGE = ROOT / "_build/html/book/chapters/05_comparison.html"
OUTPUT = ROOT / "docs/book-screenshot.png"
CONCLUSIONS = ROOT / "_build/html/book/conclusions.html"
CONCLUSIONS_OUTPUT = ROOT / "docs/conclusions-screenshot.png"
ANCHOR_CODE = "stage_predictions"  # the code cell just above the accuracy table


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(find_chromium()), args=["--no-sandbox"]
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
        page.goto(CONCLUSIONS.as_uri())
        page.wait_for_timeout(800)
        page.screenshot(path=str(CONCLUSIONS_OUTPUT), full_page=True)
        browser.close()
    for written in (OUTPUT, CONCLUSIONS_OUTPUT):
        print(f"wrote {written.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
