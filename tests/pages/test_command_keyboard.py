"""The command forms with the keyboard alone, in Chromium, with JavaScript and without: Enter in
a text box sends the form (never "Add another", the first button a person sees), "Add another"
still adds an item, and the next Tab goes into the item it added. axe-core finds nothing wrong
with the forms; screenshots go to test-output/pages/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from api.pages.urls import command_page, intervention_page
from models.commands import Event
from models.intervention import State
from tests import scenario
from tests.browser import chromium as launched_chromium
from tests.pages.command_pages import (
    SHOTS,
    convened,
    looked_at,
    serving,
    sign_in_to,
    started,
)
from tests.pages.conftest import titled
from tests.pages.stack import COORDINATOR, LiveSite

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page


@pytest.fixture
async def served(live_site: LiveSite) -> AsyncIterator[str]:
    async with serving(live_site.app) as url:
        yield url


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    async with launched_chromium() as browser:
        yield browser


async def _signed_in_page(chromium: Browser, served: str, javascript: bool) -> Page:
    context = await chromium.new_context(viewport={"width": 1280, "height": 900},
                                         java_script_enabled=javascript)
    page = await context.new_page()
    await sign_in_to(page, served, COORDINATOR)
    return page


async def _focused(page: Page) -> str:
    focused: str = await page.evaluate("document.activeElement?.id ?? ''")
    return focused


async def _tab_to(page: Page, element_id: str, *, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the element `element_id` has the focus, as a keyboard
    user moves through the page."""
    for _ in range(60):
        if await _focused(page) == element_id:
            return
        await page.keyboard.press("Shift+Tab" if back else "Tab")
    pytest.fail(f"Tab never reached #{element_id}")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
async def test_enter_in_a_text_box_sends_the_form_not_add_another(
        live_site: LiveSite, served: str, chromium: Browser, javascript: bool) -> None:
    from playwright.async_api import expect

    intervention_id, reference = await started(live_site)
    page = await _signed_in_page(chromium, served, javascript)
    path = command_page(reference, Event.convene_panel)
    await page.goto(f"{served}{path}")

    await _tab_to(page, "members-0-name")
    await page.keyboard.type("Dr Ada Senior")
    await page.keyboard.press("Enter")

    # Sent: the form comes back with what is missing, and no fourth member was added.
    summary = page.locator(".nhsuk-error-summary")
    await expect(summary).to_contain_text("Select at least one of the roles for member 1")
    assert await page.title() == titled(f"Convene panel, {reference}", error=True)
    assert await page.locator("#members-3-name").count() == 0
    assert await page.locator("#members-0-name").input_value() == "Dr Ada Senior"
    assert (await live_site.service.status(intervention_id)).data.state is State.planned


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
async def test_a_meeting_is_recorded_with_the_keyboard_alone_adding_a_requirement(
        live_site: LiveSite, served: str, chromium: Browser, javascript: bool) -> None:
    from playwright.async_api import expect

    intervention_id, reference = await convened(live_site)
    booked_for = scenario.today() + timedelta(days=5)
    await live_site.service.command(intervention_id, Event.schedule_meeting, {
        "actor": COORDINATOR, "scheduled_on": booked_for.isoformat(), "format": "virtual"})
    page = await _signed_in_page(chromium, served, javascript)
    await page.goto(f"{served}{command_page(reference, Event.record_meeting)}")
    title = titled(f"Record meeting, {reference}")
    if javascript:  # axe-core runs as a script in the page
        await looked_at(page, "record-meeting", title)

    await _tab_to(page, "meeting_id")  # the first of the booked meetings: M1
    await page.keyboard.press("Space")
    await _tab_to(page, "held_on")
    await page.keyboard.type(f"{scenario.today():%d/%m/%Y}")
    await _tab_to(page, "format")
    await page.keyboard.press("Space")
    await _tab_to(page, "attendance-learners")
    await page.keyboard.type("9")
    await _tab_to(page, "immediate_mandatory_requirements-0")
    await page.keyboard.type("Supervision gaps at night")
    await _tab_to(page, "immediate_mandatory_requirements-add")
    await page.keyboard.press("Enter")

    second = page.locator("#immediate_mandatory_requirements-1")
    await expect(second).to_be_visible()
    assert await page.locator("#immediate_mandatory_requirements-0").input_value() == (
        "Supervision gaps at night")
    assert await page.locator("#meeting_id").is_checked()
    # The page came back at the new item's address fragment: once it has loaded and been
    # drawn, the next Tab starts from there (Chromium moves its starting point to the fragment
    # when it next draws the page, not when it parses it). The screenshot of what a person sees
    # then has it drawn.
    await page.wait_for_load_state("load")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shown = "javascript" if javascript else "no-javascript"
    await page.screenshot(path=SHOTS / f"record-meeting-added-item-{shown}.png")
    await page.keyboard.press("Tab")  # into the requirement just added
    assert await _focused(page) == "immediate_mandatory_requirements-1"
    await page.keyboard.type("No rota at weekends")
    if javascript:
        await looked_at(page, "record-meeting-added", title)

    await _tab_to(page, "attendance-leaders", back=True)
    await page.keyboard.type("2")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{served}{intervention_page(reference)}")

    data = (await live_site.service.status(intervention_id)).data
    assert data.state is State.meetings_held
    [meeting] = data.meetings
    assert meeting.id == "M1"
    assert meeting.held_on == scenario.today()
    assert meeting.attendance is not None
    assert (meeting.attendance.learners, meeting.attendance.leaders) == (9, 2)
    assert [f.text for f in data.findings] == ["Supervision gaps at night", "No rota at weekends"]
