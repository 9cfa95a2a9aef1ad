"""The pages as a person uses them, in Chromium: signing in with the keyboard alone (a wrong
password first), the start page, signing out; the same without JavaScript. axe-core finds no
accessibility violation on any page, the browser reports no breach of the pages' policy, and
nothing is fetched from anywhere but the service. Screenshots go to test-output/pages/.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn

from tests.browser import OUTPUT, chromium_sync
from tests.pages.conftest import COORDINATOR, PASSWORD, Site, titled
from tests.processes import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SHOTS = OUTPUT / "pages"
SHOT_SETTLE_MS = 100


@pytest.fixture
def served(site: Site) -> Iterator[str]:
    """The site on a real port, as a browser reaches it; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(site.app, host="127.0.0.1", port=port,
                                           log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.02)
    assert server.started, "the test server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium_sync() as launched:
        yield launched


@dataclass
class Watched:
    """What a page did besides showing itself: console errors, requests, and axe's findings."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", lambda message: message.type == "error"
                and self.console_errors.append(message.text))
        page.on("request", lambda request: self.requests.append(request.url))

    def elsewhere(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(f"{self.origin}/")]


def _check(page: Page, name: str, title: str) -> None:
    """The page has `title`, axe-core finds nothing wrong, and its screenshot is kept."""
    from axe_playwright_python.sync_playwright import Axe

    assert page.title() == title
    results: Any = Axe().run(page)
    violations = results.response["violations"]
    assert violations == [], "\n".join(
        f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})" for v in violations)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(SHOT_SETTLE_MS)  # the screenshot only: nothing is asserted on time
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def _tab_to(page: Page, selector: str) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user moves through the page."""
    for _ in range(30):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {selector}")


def test_a_user_signs_in_with_the_keyboard_and_signs_out(browser: Browser, served: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watched = Watched(served)
    watched.attach(page)

    page.goto(f"{served}/")
    assert page.url == f"{served}/sign-in"
    # The design system's styles are there: the header in NHS blue, text in its typeface.
    expect(page.get_by_role("banner")).to_have_css("background-color", "rgb(0, 94, 184)")
    expect(page.locator("html")).to_have_css("font-family", '"Frutiger W01", arial, sans-serif')
    _check(page, "sign-in", titled("Sign in"))

    _tab_to(page, "#name")
    page.keyboard.type(COORDINATOR)
    _tab_to(page, "#password")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("The user name or password is not right")
    expect(summary).to_be_focused()  # the design system moves the focus to it
    _check(page, "sign-in-error", titled("Sign in", error=True))

    _tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs you")
    assert page.url == f"{served}/"
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(COORDINATOR)
    _check(page, "start", titled("What needs you"))

    _tab_to(page, "button.nhsuk-header__account-button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    _check(page, "signed-out", titled("You have signed out"))
    page.goto(f"{served}/")
    assert page.url == f"{served}/sign-in"

    assert watched.elsewhere() == []
    assert [e for e in watched.console_errors if "Content Security Policy" in e] == []
    context.close()


def test_the_pages_work_without_javascript(browser: Browser, served: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  java_script_enabled=False)
    page = context.new_page()

    page.goto(f"{served}/sign-in")
    page.get_by_label("User name").fill(COORDINATOR)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs you")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "start-without-javascript-narrow.png", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    context.close()
