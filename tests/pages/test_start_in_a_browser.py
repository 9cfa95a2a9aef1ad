"""Starting an intervention in Chromium, as a coordinator does it with the keyboard alone (Tab,
Space and Enter; the arrow keys within a group of radios, as radios are used): a mistyped
e-mail first, a moderate score that asks for a justification, the check page, and the start.
axe-core finds no accessibility violation on any step; the browser reports no breach of the
pages' policy and fetches nothing from anywhere else. The same flow without JavaScript, on a
phone's width. Screenshots go to test-output/pages/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

from tests import scenario
from tests.browser import OUTPUT, chromium
from tests.pages.command_pages import serving
from tests.pages.conftest import PASSWORD, titled

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

    from tests.pages.stack import LiveSite

SHOTS = OUTPUT / "pages"
SHOT_SETTLE_MS = 100
COORDINATOR = "c.okafor"
REASON = "A second trust-wide survey flags the same gaps; the dean asked for a review."


@pytest.fixture
async def served(live_site: LiveSite) -> AsyncIterator[str]:
    """The live site on a real port, served from the tests' event loop (where the worker
    runs too); its base URL."""
    async with serving(live_site.app) as url:
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


async def _check(page: Page, name: str, title: str) -> None:
    """The page has `title`, axe-core finds nothing wrong, and its screenshot is kept."""
    from axe_playwright_python.async_playwright import Axe

    assert await page.title() == title
    results: Any = await Axe().run(page)
    violations = results.response["violations"]
    assert violations == [], "\n".join(
        f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})" for v in violations)
    await _shot(page, name)


async def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.wait_for_timeout(SHOT_SETTLE_MS)  # the screenshot only: nothing is asserted
    await page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


async def _tab_to(page: Page, selector: str) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user moves through the page."""
    for _ in range(120):
        if await page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        await page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {selector}")


async def _type_into(page: Page, selector: str, text: str) -> None:
    await _tab_to(page, selector)
    await page.keyboard.type(text)


async def _choose(page: Page, group: str, steps: int) -> None:
    """Tab into a group of radios (none chosen yet) and choose the one `steps` past the first:
    Space for the first, an arrow key for each next one."""
    await _tab_to(page, f"#{group}")
    await page.keyboard.press("Space")
    for _ in range(steps):
        await page.keyboard.press("ArrowRight")


async def test_a_coordinator_starts_one_with_the_keyboard_alone(
        browser: Browser, served: str, live_site: LiveSite) -> None:
    from playwright.async_api import expect

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(message.text))

    await page.goto(f"{served}/sign-in")
    await _type_into(page, "#name", COORDINATOR)
    await _type_into(page, "#password", PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("What needs you")

    await _tab_to(page, "a[href='/start']")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Choose the type of intervention")
    await _check(page, "start-1-type", titled("Choose the type of intervention"))
    await _choose(page, "type", 0)
    await expect(page.locator("#type")).to_be_checked()
    await _tab_to(page, "button.nhsuk-button")
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("heading", level=1)).to_have_text("Provider and concern")
    await _check(page, "start-2-details", titled("Provider and concern"))
    await _type_into(page, "#provider-code", "RXX01")
    await _type_into(page, "#provider-name", "Northshire Hospitals NHS Trust")
    await _type_into(page, "#provider-site", "Northshire General, emergency department")
    await _type_into(page, "#provider-lead-name", "Dr Morgan Hale")
    await _type_into(page, "#provider-lead-email", "dme at northshire")
    await _choose(page, "concern-source", 0)
    await _type_into(page, "#concern-summary", "Rota gaps leave doctors unsupervised at night")
    await _choose(page, "concern-likelihood", 1)  # 2
    await _choose(page, "concern-impact", 2)  # 3
    # The script marks the cell chosen and says its score; without it, the next page does.
    chosen = page.locator("td.qi-risk-grid__cell--chosen")
    await expect(chosen).to_have_count(1)
    await expect(chosen).to_have_attribute("data-likelihood", "2")
    await expect(chosen).to_have_attribute("data-impact", "3")
    await expect(chosen).to_contain_text("Your answer")
    await expect(page.locator("#risk-score")).to_have_text("Your risk score is 6, moderate.")
    await page.locator("#risk-grid").screenshot(path=SHOTS / "start-2-risk-grid.png")
    await _tab_to(page, "button.nhsuk-button")
    await page.keyboard.press("Enter")

    summary = page.locator(".nhsuk-error-summary")
    await expect(summary).to_be_focused()  # the design system moves the focus to it
    await expect(summary).to_contain_text("Enter the provider lead's email address in the "
                                          "correct format, like name@example.nhs.uk")
    await _check(page, "start-2-details-error", titled("Provider and concern", error=True))
    await _tab_to(page, ".nhsuk-error-summary a")
    await page.keyboard.press("Enter")  # the link takes the focus to the field
    await expect(page.locator("#provider-lead-email")).to_be_focused()
    await page.keyboard.press("Control+A")
    await page.keyboard.type(scenario.LEAD_EMAIL)
    await page.keyboard.press("Enter")

    question = "Why does this concern need an intervention?"
    await expect(page.get_by_role("heading", level=1)).to_have_text(question)
    await _check(page, "start-3-justification", titled(question))
    await _type_into(page, "#concern-override-justification", REASON)
    await _tab_to(page, "button.nhsuk-button")
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before starting")
    await expect(page.locator("main")).to_contain_text(REASON)
    await expect(page.locator("#planned-schedule")).to_contain_text("Convene panel")
    await _check(page, "start-4-check", titled("Check your answers before starting"))
    await _tab_to(page, "#start-intervention")
    await page.keyboard.press("Enter")

    await page.wait_for_url(re.compile(r".*/intervention/QI-\d{4}-\d{4}$"))
    reference = page.url.rsplit("/", 1)[1]
    status = await live_site.service.status(reference)
    assert (status.data.coordinator, status.data.concern.override_justification) == (
        COORDINATOR, REASON)
    assert [url for url in requests if not url.startswith(f"{served}/")] == []
    assert [text for text in console if "Content Security Policy" in text] == []
    await context.close()


async def test_the_start_works_without_javascript_on_a_phone(
        browser: Browser, served: str, live_site: LiveSite) -> None:
    from playwright.async_api import expect

    context = await browser.new_context(viewport={"width": 390, "height": 844},
                                        java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{served}/sign-in")
    await page.get_by_label("User name").fill(COORDINATOR)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.goto(f"{served}/start")
    await page.get_by_label("Urgent Risk Review").check()
    await _shot(page, "start-1-type-narrow")
    await page.get_by_role("button", name="Continue").click()

    for label, value in (("Provider code", "RXX01"), ("Provider name", "Northshire Trust"),
                         ("Site", "Emergency department"), ("Provider lead's name", "Dr Hale"),
                         ("Provider lead's email address", scenario.LEAD_EMAIL),
                         ("Summary of the concern", "Rota gaps at night")):
        await page.get_by_label(label, exact=True).fill(value)
    await page.get_by_label("Learner report").check()
    await page.get_by_role("group", name="Likelihood").get_by_label("4").check()
    await page.get_by_role("group", name="Impact").get_by_label("5").check()
    await _shot(page, "start-2-details-narrow")
    await page.locator(".nhsuk-scroll").screenshot(path=SHOTS / "start-2-risk-grid-narrow.png")
    await page.get_by_role("button", name="Continue").click()

    # 20 is extreme: straight to the check, where the cell chosen is said in words.
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before starting")
    await expect(page.locator("main")).to_contain_text("20 Extreme")
    await _shot(page, "start-4-check-narrow")
    await page.get_by_role("button", name="Change provider name").click()
    await expect(page.get_by_label("Provider name", exact=True)).to_have_value("Northshire Trust")
    await page.get_by_label("Provider name", exact=True).fill("Northshire Hospitals NHS Trust")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.locator("main")).to_contain_text("Northshire Hospitals NHS Trust")
    await page.get_by_role("button", name="Start intervention").click()
    await page.wait_for_url(re.compile(r".*/intervention/QI-\d{4}-\d{4}$"))
    await context.close()
