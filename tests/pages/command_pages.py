"""Driving the command pages in tests: reading a page's form, filling it in as a browser posts
it, reading its errors; interventions at the steps the tests start from; serving the live
site on a real socket for Chromium, and looking at a page there (its title, axe-core's
findings, a screenshot in test-output/pages/)."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn
from fastapi import FastAPI

from api.pages.forms import FormField
from models.commands import Event
from tests import scenario
from tests.browser import OUTPUT
from tests.pages.conftest import PASSWORD, csrf_of
from tests.pages.stack import LiveSite
from tests.processes import free_port

if TYPE_CHECKING:
    from playwright.async_api import Page

__all__ = ["SHOTS", "beside", "convened", "errors_on", "every_field", "fill_member", "form_of",
           "hidden", "looked_at", "member_fields", "serving", "sign_in_to", "started",
           "value_of"]

SHOTS = OUTPUT / "pages"


def every_field(fields: tuple[FormField, ...]) -> Iterator[FormField]:
    """Each of `fields`, then the fields and the repeated item within it, depth first."""
    for f in fields:
        yield f
        yield from every_field(f.fields)
        if f.item is not None:
            yield from every_field((f.item,))


def hidden(page: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert found, f"no {name} on the page"
    return found.group(1)


def value_of(page: httpx.Response, field_id: str) -> str:
    found = re.search(rf'<(?:input|textarea)[^>]*id="{field_id}"[^>]*?'
                      r'(?:value="([^"]*)"|>([^<]*)</textarea)', page.text)
    assert found, f"no field {field_id}"
    return html.unescape(found.group(1) or found.group(2) or "")


def form_of(page: httpx.Response, **fields: str | list[str]) -> dict[str, str | list[str]]:
    """The page's form as a browser posts it: its token and key, then `fields`."""
    return {"csrf_token": csrf_of(page), "form_key": hidden(page, "form_key"), **fields}


def member_fields(index: int, name: str, *roles: str) -> dict[str, str | list[str]]:
    at = f"members-{index}"
    return {f"{at}-name": name, f"{at}-email": scenario.member(name)["email"],
            f"{at}-roles": list(roles), f"{at}-interests_declared": "yes",
            f"{at}-conflict": "none"}


def errors_on(page: httpx.Response) -> list[tuple[str, str]]:
    """The error summary's links: (href, text)."""
    summary = page.text.split('class="nhsuk-error-summary"', 1)
    assert len(summary) == 2, "no error summary"
    body = summary[1].split("</ul>", 1)[0]
    return [(href, html.unescape(" ".join(text.split())))
            for href, text in re.findall(r'<a href="([^"]+)"\s*>(.*?)</a>', body, re.S)]


def beside(page: httpx.Response, field_id: str) -> str:
    """The error message the page shows with the field `field_id`."""
    found = re.search(rf'id="{field_id}-error"\s*>\s*<span[^>]*>Error: </span>(.*?)</span>',
                      page.text, re.S)
    assert found, f"no error message with {field_id}"
    return html.unescape(" ".join(found.group(1).split()))


async def started(live_site: LiveSite) -> tuple[str, str]:
    """A new Urgent Risk Review: its ID and its reference."""
    status = await live_site.service.start(scenario.start_request())
    assert status.data.reference is not None
    return status.data.intervention_id, status.data.reference


async def convened(live_site: LiveSite) -> tuple[str, str]:
    """A new Urgent Risk Review with its panel convened."""
    intervention_id, reference = await started(live_site)
    await live_site.service.command(intervention_id, Event.convene_panel,
                                    scenario.signed_in(scenario.urgent_panel()))
    return intervention_id, reference


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """`app` on a real socket on this machine, as a browser reaches it; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.02)
    assert server.started, "the test server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def sign_in_to(page: Page, served: str, name: str) -> None:
    """Sign in as `name` in the browser's page."""
    from playwright.async_api import expect

    await page.goto(f"{served}/sign-in")
    await page.get_by_label("User name").fill(name)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()


async def looked_at(page: Page, name: str, title: str) -> None:
    """The page has `title`, axe-core finds nothing wrong with it, and its screenshot is kept."""
    from axe_playwright_python.async_playwright import Axe

    assert await page.title() == title
    results: Any = await Axe().run(page)
    violations = results.response["violations"]
    assert violations == [], "\n".join(
        f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})" for v in violations)
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


async def fill_member(page: Page, number: int, name: str, *roles: str) -> None:
    member = page.get_by_role("group", name=f"Member {number}", exact=True)
    await member.get_by_label("Name", exact=True).fill(name)
    await member.get_by_label("Email", exact=True).fill(scenario.member(name)["email"])
    for role in roles:
        await member.get_by_label(role, exact=True).check()
    await member.get_by_role("group", name="Interests declared").get_by_label("Yes").check()
