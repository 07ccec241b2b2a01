"""Open the built book in a Chromium-family browser (Playwright), record what a reader sees.

Nothing is downloaded: Playwright drives the browser that :func:`find_browser.find_chromium`
finds (``$CHROMIUM``, then Chromium, Chrome, Edge or Brave where they are installed, then
Playwright's own download; ``make browser`` installs Debian's chromium), the book is
served from a local ``http.server`` on 127.0.0.1, and every request a page makes is
recorded so that a test can check that none leaves the book.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from find_browser import find_chromium
from playwright.sync_api import BrowserContext, Page, Request, Response, sync_playwright
from playwright.sync_api import Error as PlaywrightError

# Playwright adds --headless (headless=True) and --user-data-dir (the persistent
# context's empty folder) itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}

_FIGURES_DRAWN = """() => Array.from(document.querySelectorAll('div.plotly-graph-div'))
    .every(div => div.querySelector('.main-svg') !== null)"""
_FIGURE_STATES = """() => Array.from(document.querySelectorAll('div.plotly-graph-div'))
    .map(div => div.querySelector('.main-svg') !== null)"""


@dataclass
class PageVisit:
    """What one page did in the browser."""

    url: str
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    figures_drawn: list[bool] = field(default_factory=list)
    glued: list[str] = field(default_factory=list)
    text: str = ""
    stderr_outputs: int = 0
    error_outputs: int = 0

    @property
    def n_figures(self) -> int:
        return len(self.figures_drawn)

    @property
    def n_drawn(self) -> int:
        return sum(self.figures_drawn)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (stdlib signature)
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def chromium(user_data_dir: Path, executable: Path | None = None) -> Iterator[BrowserContext]:
    """Headless Chromium-family browser with an empty profile in ``user_data_dir``.

    ``executable`` defaults to :func:`find_chromium`'s, which raises
    :class:`find_browser.BrowserNotFound` (saying what to install) when there is none.
    """
    executable = find_chromium() if executable is None else executable
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=str(executable),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
        )
        try:
            yield context
        finally:
            context.close()


def _settle(page: Page, requests: list[str], in_flight: set, quiet_ms: int, timeout_ms: int):
    """Wait until no request is in flight and none started for ``quiet_ms``.

    (Playwright's "networkidle" never fires on the pages with plotly figures here,
    although every request they make has finished.)
    """
    seen, quiet, waited = len(requests), 0, 0
    while waited < timeout_ms and (in_flight or quiet < quiet_ms):
        page.wait_for_timeout(100)
        waited += 100
        quiet = 0 if in_flight or len(requests) != seen else quiet + 100
        seen = len(requests)


def visit(
    context: BrowserContext,
    url: str,
    *,
    screenshot: Path | None = None,
    draw_timeout_ms: int = 30_000,
) -> PageVisit:
    """Load ``url``, let its scripts run and its figures draw, and record the page."""
    page = context.new_page()
    record = PageVisit(url=url)
    in_flight: set[Request] = set()

    def started(request: Request) -> None:
        record.requests.append(request.url)
        in_flight.add(request)

    def failed(request: Request) -> None:
        record.failed_requests.append(f"{request.url} ({request.failure})")
        in_flight.discard(request)

    def answered(response: Response) -> None:
        if response.status >= 400:
            record.failed_requests.append(f"{response.url} (HTTP {response.status})")

    page.on("request", started)
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", failed)
    page.on("response", answered)
    page.on("pageerror", lambda error: record.script_errors.append(str(error)))
    try:
        page.goto(url, wait_until="load")
        try:
            page.wait_for_function(_FIGURES_DRAWN, timeout=draw_timeout_ms)
        except PlaywrightError:
            pass  # the figure test reports which figures stayed blank
        _settle(page, record.requests, in_flight, quiet_ms=500, timeout_ms=10_000)
        record.url = page.url
        record.figures_drawn = page.evaluate(_FIGURE_STATES)
        record.glued = page.eval_on_selector_all(
            "span.pasted-text", "spans => spans.map(s => s.textContent)"
        )
        record.text = page.inner_text("body")
        record.stderr_outputs = page.locator("div.output.stderr").count()
        record.error_outputs = page.locator("div.output.traceback, div.output.error").count()
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        page.close()
    return record
