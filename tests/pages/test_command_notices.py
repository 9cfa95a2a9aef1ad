"""After a command is done through its page, the next intervention page of the same session
says so once ("Panel convened"), with nothing of it in the address: kept against the session
in the database, taken by `pop_notice`, shown with the partial `notice.jinja`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import Request
from starlette.requests import Request as StarletteRequest

from api.auth import SESSION_COOKIE
from api.pages.notices import CONFIRMATIONS, pop_notice
from api.pages.rendering import Pages
from api.pages.urls import command_page, intervention_page
from models.commands import Event
from models.registry import COMMANDS
from tests.browser import chromium, require_browser
from tests.pages.command_pages import form_of, looked_at, serving, sign_in_to, started
from tests.pages.conftest import titled
from tests.pages.stack import COORDINATOR, LiveSite


def _as_request(live_site: LiveSite, browser: httpx.AsyncClient) -> Request:
    """A request from `browser` (its session's cookie) to the live site."""
    cookie = f"{SESSION_COOKIE}={browser.cookies.get(SESSION_COOKIE)}"
    return StarletteRequest({"type": "http", "app": live_site.app, "method": "GET",
                             "path": "/", "headers": [(b"cookie", cookie.encode())]})


def test_every_command_has_a_confirmation() -> None:
    assert set(CONFIRMATIONS) == set(COMMANDS)
    assert all(len(text) <= 40 and text[:1].isupper() for text in CONFIRMATIONS.values())


def test_the_partial_is_the_design_systems_success_banner_and_nothing_without_a_notice() -> None:
    template = Pages().environment.get_template("notice.jinja")

    shown = template.render(notice="Panel convened")
    empty = template.render(notice=None)

    assert "nhsuk-notification-banner--success" in shown
    assert 'role="alert"' in shown
    assert re.search(r"nhsuk-notification-banner__heading\">\s*Panel convened\s*</p>", shown)
    assert empty.strip() == ""


async def test_the_next_page_of_the_session_says_once_what_was_done(
        live_site: LiveSite) -> None:
    _, reference = await started(live_site)
    _, other = await started(live_site)
    path = command_page(reference, Event.pause_clock)

    async with live_site.signed_in(COORDINATOR) as browser, \
            live_site.signed_in(COORDINATOR) as elsewhere:
        refused = await browser.post(path, data=form_of(await browser.get(path), reason=""))
        after_refusal = await pop_notice(_as_request(live_site, browser), reference)
        done = await browser.post(path, data=form_of(await browser.get(path),
                                                     reason="Provider in special measures"))
        in_another_session = await pop_notice(_as_request(live_site, elsewhere), reference)
        first = await pop_notice(_as_request(live_site, browser), reference)
        second = await pop_notice(_as_request(live_site, browser), reference)
        cancel = command_page(other, Event.cancel)
        await browser.post(cancel, data=form_of(await browser.get(cancel), reason="Duplicate"))
        on_another_page = await pop_notice(_as_request(live_site, browser), reference)
        left_for_that_page = await pop_notice(_as_request(live_site, browser), other)

    assert refused.status_code == 422
    assert after_refusal is None
    assert done.status_code == 303
    assert done.headers["location"] == intervention_page(reference)  # nothing in the address
    assert (in_another_session, first, second) == (None, "Clock paused", None)
    # Taken by the page that asked, shown on none: not late, on the page it was left for.
    assert (on_another_page, left_for_that_page) == (None, None)


@pytest.fixture
async def served(live_site: LiveSite) -> AsyncIterator[str]:
    async with serving(live_site.app) as url:
        yield url


async def test_the_notice_in_chromium_is_read_once_with_no_accessibility_violation(
        live_site: LiveSite, served: str) -> None:
    require_browser()
    from playwright.async_api import expect

    _, reference = await started(live_site)
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in_to(page, served, COORDINATOR)
        await page.goto(f"{served}{command_page(reference, Event.pause_clock)}")
        await page.get_by_label("Reason").fill("Provider placed in special measures")
        await page.get_by_role("button", name="Pause clock").click()
        await page.wait_for_url(f"{served}{intervention_page(reference)}")

        banner = page.get_by_role("alert")
        await expect(banner).to_contain_text("Clock paused")
        await looked_at(page, "notice", titled(f"Urgent Risk Review {reference}"))
        await page.reload()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
        assert await page.get_by_role("alert").count() == 0


async def test_the_intervention_page_says_what_was_done_once(live_site: LiveSite) -> None:
    _, reference = await started(live_site)
    path = command_page(reference, Event.pause_clock)

    async with live_site.signed_in(COORDINATOR) as browser:
        done = await browser.post(path, data=form_of(await browser.get(path),
                                                     reason="Provider in special measures"))
        first = await browser.get(done.headers["location"])
        again = await browser.get(done.headers["location"])

    assert done.status_code == 303
    assert done.headers["location"] == intervention_page(reference)
    banner = "nhsuk-notification-banner--success"
    assert banner in first.text
    assert CONFIRMATIONS[Event.pause_clock] in first.text
    assert banner not in again.text
