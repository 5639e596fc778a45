"""The sample plan's HTML page in a real browser: Debian's Chromium driven by Playwright.

What only a browser can tell: the CSP hashes let the page's own style and script run (and
nothing else), every thumbnail decodes, the filters hide rows, the page requests nothing outside
itself, a hostile file name stays text, and with JavaScript off every row is there. A full-page
screenshot is saved as ``plan-sample.png`` under ``$SYNCER_ARTIFACTS`` (default ``.artifacts/``).

Playwright never downloads a browser here: it drives ``/usr/bin/chromium`` (``make browser``
installs it). Without it or without playwright the tests skip, unless
``SYNCER_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where they fail.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from syncer.plans.html import render_html
from tests.plans.sample import HOSTILE, sample_document, sample_entries

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Error, Page, Route

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
PAGE = "plan-sample.html"
#: Records each ``securitypolicyviolation`` the page reports (run before the page's own script).
WATCH_POLICY = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"no {CHROMIUM} (make browser, or apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module (starting one takes about a second)."""
    reason = missing()
    if reason is not None:
        if os.environ.get("SYNCER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; SYNCER_REQUIRE_BROWSER=1 requires it", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        started = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield started
        started.close()


class Quiet(SimpleHTTPRequestHandler):
    """Serves the page's folder and keeps the path of every request (nothing on stderr)."""

    seen: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        self.seen.append(self.path)


@dataclass
class Served:
    """The sample plan's page served on 127.0.0.1: its URL, its folder, the paths requested."""

    url: str
    root: Path
    seen: list[str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("page")
    with (root / PAGE).open("w", encoding="utf-8") as out:
        render_html(sample_document(), out)
    seen: list[str] = []
    handler = type("Handler", (Quiet,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_address[1]}/{PAGE}", root, seen)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Watched:
    """A page and what it did: requests outside it, console errors, dialogs."""

    page: Page
    outside: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console.append(message.text)

    def on_error(self, error: Error) -> None:
        self.console.append(str(error))

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def violations(self) -> list[str]:
        found: list[str] = self.page.evaluate("window.__violations")
        return found


def open_page(browser: Browser, url: str, *, javascript: bool = True) -> Watched:
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": 1280, "height": 900}
    )
    watched = Watched(context.new_page())

    def only_the_page(route: Route) -> None:
        if route.request.url == url:
            route.continue_()
        else:
            watched.outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_page)
    context.add_init_script(WATCH_POLICY)
    page = watched.page
    page.on("console", watched.on_console)
    page.on("pageerror", watched.on_error)
    page.on("dialog", watched.on_dialog)
    page.goto(url, wait_until="load")
    return watched


@pytest.fixture(scope="module")
def loaded(browser: Browser, served: Served) -> Iterator[Watched]:
    """The page, loaded once for the module's tests (the filter test sets them back)."""
    watched = open_page(browser, served.url)
    yield watched
    watched.page.context.close()


def visible_rows(page: Page) -> list[tuple[str, str, str]]:
    found: list[list[str]] = page.evaluate(
        """Array.from(document.querySelectorAll("div.row"))
            .filter((row) => row.checkVisibility())
            .map((row) => [row.dataset.target, row.dataset.action, row.dataset.code])"""
    )
    return [(t, a, c) for t, a, c in found]


def test_the_page_requests_nothing_and_breaks_no_policy(loaded: Watched, served: Served) -> None:
    assert loaded.outside == []
    assert loaded.violations() == []
    assert loaded.console == []
    assert loaded.dialogs == []
    assert set(served.seen) == {f"/{PAGE}"}
    # The hashed style applied (the sticky filter bar is shown by the hashed script).
    assert loaded.page.locator("nav#filters").is_visible()
    assert loaded.page.eval_on_selector("body", "b => getComputedStyle(b).marginTop") == "0px"


def test_the_summary_shows_the_documents_counts(loaded: Watched) -> None:
    page = loaded.page
    for name, tally in sample_document().summary.targets.items():
        for action in ("create", "update", "replace", "delete", "skip"):
            cell = page.locator(f'td[data-tally="{name}/{action}"]')
            assert cell.inner_text() == str(tally.actions.get(action, 0))
            rows = page.locator(f'div.row[data-target="{name}"][data-action="{action}"]')
            assert rows.count() == tally.actions.get(action, 0)
        assert page.locator(f'td[data-tally="{name}/unchanged"]').inner_text() == str(
            tally.unchanged
        )
    assert page.locator(".card.alert b").inner_text() == "3"  # destructive


def test_every_thumbnail_decodes(loaded: Watched) -> None:
    images: list[list[Any]] = loaded.page.evaluate(
        "Array.from(document.images).map((i) => [i.complete, i.naturalWidth, i.naturalHeight])"
    )
    sides = {"create": 1, "delete": 1, "replace": 2}  # a replace: old and new
    assert len(images) == sum(sides.get(e.action, 0) for e in sample_entries()) == 9
    assert all(complete and width == 24 and height == 16 for complete, width, height in images)


def test_the_filters_hide_rows(loaded: Watched) -> None:
    page = loaded.page
    assert len(visible_rows(page)) == len(sample_entries())
    page.select_option('select[name="action"]', "delete")
    assert visible_rows(page) == [("shop", "delete", "gone_at_source")]
    assert page.locator("#shown").inner_text() == "1 of 9 rows shown"
    assert not page.locator("#target-1").is_visible()  # nothing of shop's is left below
    page.select_option('select[name="action"]', "create")
    page.select_option('select[name="target"]', "parts")
    assert visible_rows(page) == [("parts", "create", "new_item")] * 2
    page.click("#reset")
    page.select_option('select[name="code"]', "unsupported_type")
    assert visible_rows(page) == [("shop", "skip", "unsupported_type")]
    page.click("#reset")
    assert len(visible_rows(page)) == 9
    assert page.locator("#shown").inner_text() == "all 9 rows shown"


def test_the_hostile_file_name_is_text_and_runs_nothing(loaded: Watched) -> None:
    page = loaded.page
    assert page.get_by_text(HOSTILE, exact=True).is_visible()
    assert page.evaluate("document.scripts.length") == 1
    page.get_by_text(HOSTILE, exact=True).click()
    assert loaded.dialogs == []


def test_without_javascript_every_row_is_visible(browser: Browser, served: Served) -> None:
    watched = open_page(browser, served.url, javascript=False)
    try:
        page = watched.page
        rows = page.locator("div.row")
        assert rows.count() == len(sample_entries())
        assert all(rows.nth(i).is_visible() for i in range(rows.count()))
        assert not page.locator("nav#filters").is_visible()  # no filters without the script
        assert watched.outside == []
    finally:
        watched.page.context.close()


def test_a_style_that_is_not_the_hashed_one_is_reported(browser: Browser, served: Served) -> None:
    """The watch above can fail: a page whose style differs by a byte breaks its policy."""
    html = (served.root / PAGE).read_text(encoding="utf-8")
    tampered = served.root / "tampered.html"
    tampered.write_text(html.replace("<style>", "<style>b{}", 1), encoding="utf-8")
    watched = open_page(browser, served.url.replace(PAGE, tampered.name))
    try:
        assert any(v.startswith("style-src") for v in watched.violations())
        assert any("Content Security Policy" in line for line in watched.console)
        watched.page.evaluate("alert('probe')")  # and the dialog watch sees a dialog
        assert watched.dialogs == ["probe"]
    finally:
        watched.page.context.close()


def full_page_screenshot(page: Page, name: str) -> Path:
    """A screenshot of the whole page, kept as a test artifact (``$SYNCER_ARTIFACTS``, by
    default ``.artifacts/``) named ``name``."""
    folder = Path(os.environ.get("SYNCER_ARTIFACTS") or REPO / ".artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / name
    page.evaluate("window.scrollTo(0, 0)")  # the sticky filter bar in its place
    # Rows off screen are not laid out (content-visibility: auto), and a full-page screenshot
    # does not bring them on screen: a viewport as tall as the page does (twice, as the real
    # heights of rows replace their estimate).
    for _ in range(2):
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": 1280, "height": height})
        page.evaluate("new Promise((done) => requestAnimationFrame(() => done(null)))")
    page.screenshot(path=str(shot), full_page=True)
    return shot


def test_a_full_page_screenshot_is_saved(loaded: Watched) -> None:
    page = loaded.page
    page.click("#reset")
    shot = full_page_screenshot(page, "plan-sample.png")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG")
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert width == 1280
    assert height > 1500  # the whole page, not the viewport
