"""An intervention's page over a real service (Temporal dev server, worker, read model): what
it shows as the intervention moves, who gets which links, the 404 page for another provider's,
and, in Chromium, that a full page has no accessibility violation."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from api.pages.rendering import long_date
from api.pages.urls import command_page, intervention_page
from models.commands import Event
from tests import scenario
from tests.browser import OUTPUT, chromium, require_browser
from tests.pages.command_pages import serving
from tests.pages.conftest import PASSWORD, title_of, titled
from tests.pages.stack import COORDINATOR, DEAN, LEAD, OTHER_LEAD, PANEL, LiveSite

SHOTS = OUTPUT / "pages"


def _text(fragment: str) -> str:
    """What a person reads of an HTML fragment: its text, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def section(page: httpx.Response, heading: str) -> str:
    """The HTML from the h2 `heading` up to the next h2 (or the end of the main content)."""
    found = re.search(rf"<h2[^>]*>\s*{re.escape(heading)}\s*</h2>(.*?)(?=<h2|</main>)",
                      page.text, re.S)
    assert found, f"no section {heading!r} on the page:\n{page.text}"
    return found.group(1)


def current_step(page: httpx.Response) -> list[str]:
    return [_text(li) for li in re.findall(r'<li[^>]*aria-current="step"[^>]*>(.*?)</li>',
                                           page.text, re.S)]


def done_steps(page: httpx.Response) -> list[str]:
    return [_text(li) for li in re.findall(
        r'<li class="[^"]*app-lifecycle__step--done[^"]*"[^>]*>(.*?)</li>', page.text, re.S)]


def timeline(page: httpx.Response) -> list[str]:
    return [_text(li) for li in re.findall(r'<li class="app-timeline__item">(.*?)</li>',
                                           page.text, re.S)]


def what_and_who(entry: str) -> tuple[str, str]:
    """What an entry of the audit trail says was done, and by whom."""
    found = re.match(r"(.+?) \d{1,2} [A-Z][a-z]+ \d{4} at \S+, by (\S+)", entry)
    assert found, f"an audit entry without when and who: {entry}"
    return found.group(1), found.group(2)


def summary_row(page: httpx.Response, key: str) -> str:
    found = re.search(rf"<dt[^>]*>\s*{re.escape(key)}\s*</dt>\s*<dd[^>]*>(.*?)</dd>",
                      page.text, re.S)
    assert found, f"no summary row {key!r}"
    return _text(found.group(1))


def table_rows(fragment: str) -> list[list[str]]:
    """The body rows of the fragment's table, each as the text of its cells (without the
    labels a responsive table repeats for narrow screens)."""
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", fragment, re.S)
    assert body, f"no table in:\n{fragment}"
    cells = r"<t[dh][^>]*>(.*?)</t[dh]>"
    return [[_text(re.sub(r'<span class="nhsuk-table__heading"[^>]*>.*?</span>', "", cell,
                          flags=re.S))
             for cell in re.findall(cells, row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)]


def without_tokens(page: httpx.Response) -> str:
    """The page less what differs in every response: its nonces and its form's CSRF token."""
    return re.sub(r'(nonce|value)="[^"]*"', r'\1=""', page.text)


async def _started(live_site: LiveSite, **overrides: Any) -> tuple[str, str]:
    status = await live_site.service.start(scenario.start_request(**overrides))
    assert status.data.reference is not None
    return status.data.intervention_id, status.data.reference


async def _page(live_site: LiveSite, name: str, reference: str) -> httpx.Response:
    async with live_site.signed_in(name) as browser:
        return await browser.get(intervention_page(reference))


async def test_a_new_urgent_review_shows_its_reference_planned_now_and_convening_next(
    live_site: LiveSite,
) -> None:
    intervention_id, reference = await _started(live_site)
    await live_site.settled(intervention_id)

    page = await _page(live_site, COORDINATOR, reference)

    assert page.status_code == 200, page.text
    assert title_of(page) == titled(f"Urgent Risk Review {reference}")
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", page.text, re.S)
    assert h1
    assert _text(h1.group(1)) == f"Urgent Risk Review {reference}"
    assert summary_row(page, "Provider") == "Northshire Hospitals NHS Trust (RXX01)"
    assert summary_row(page, "Site") == "Northshire General, Emergency Department"
    assert summary_row(page, "Coordinator") == COORDINATOR
    assert summary_row(page, "Risk") == "Likelihood 4 \u00d7 impact 4 = 16 (extreme)"
    # The source as the start page offered it.
    assert summary_row(page, "Where the concern came from") == "GMC National Training Survey"
    assert summary_row(page, "Started on") == long_date(scenario.today())
    assert current_step(page) == [f"Planned {long_date(scenario.today())} Now"]
    assert done_steps(page) == []
    needed = section(page, "What is needed next")
    assert "Convene panel" in _text(needed)
    assert "Name the chair and panel" in _text(needed)
    assert "the panel needs a member in the role senior panel member" in _text(needed)
    assert f'href="{command_page(reference, Event.convene_panel)}"' in needed
    # Nothing a person should not have to read: no codes, no ISO dates.
    main = _text(section(page, "What is needed next")) + _text(section(page, "Panel"))
    assert "_" not in main
    assert re.search(r"\d{4}-\d{2}-\d{2}", main) is None
    assert "Started" in timeline(page)[0]
    assert f"by {COORDINATOR}" in timeline(page)[0]


async def test_a_panel_member_sees_what_is_needed_next_without_a_link_to_do_it(
    live_site: LiveSite,
) -> None:
    _, reference = await _started(live_site)

    page = await _page(live_site, PANEL, reference)

    assert page.status_code == 200, page.text
    needed = section(page, "What is needed next")
    assert "Convene panel" in _text(needed)
    assert "Only a coordinator can do this" in _text(needed)
    assert command_page(reference, Event.convene_panel) not in page.text
    # Nor any other command a panel member may not send.
    assert command_page(reference, Event.cancel) not in page.text


async def test_a_convened_panel_and_a_recorded_meeting_show_in_the_tables_and_the_trail(
    live_site: LiveSite,
) -> None:
    intervention_id, reference = await _started(live_site)
    await live_site.service.command(intervention_id, Event.convene_panel, scenario.urgent_panel())
    await live_site.service.command(intervention_id, Event.record_meeting,
                                    scenario.meeting(actor=PANEL))
    await live_site.settled(intervention_id)

    page = await _page(live_site, COORDINATOR, reference)

    assert table_rows(section(page, "Panel")) == [
        ["Dr Ada Senior", "Senior panel member", "Yes", "None", "Yes"],
        ["Dr Ben Expert", "Subject expert", "No", "None", "Yes"],
        ["Dr Cai External", "External member", "No", "None", "Yes"],
        ["Lee Lay", "Lay representative", "No", "None", "Yes"],
    ]
    assert table_rows(section(page, "Meetings")) == [
        ["M1", f"Held on {long_date(scenario.today())}", "Face to face",
         "12 learners, 4 supervisors, 2 leaders"],
    ]
    assert "No finding has been recorded yet." in _text(section(page, "Findings"))
    assert "No action has been added yet." in _text(section(page, "Action plan"))
    on = long_date(scenario.today())
    assert done_steps(page) == [f"Planned {on} Done", f"Panel convened {on} Done"]
    assert current_step(page) == [f"Meetings held {on} Now"]
    trail = timeline(page)
    assert [what_and_who(entry) for entry in trail] == [  # newest first
        ("Record meeting", PANEL), ("Convene panel", COORDINATOR), ("Started", COORDINATOR)]
    assert "From panel convened to meetings held" in trail[0]
    assert "From planned to panel convened" in trail[1]
    # Deadlines the meeting started (the draft report's, at least), in words.
    planned = table_rows(section(page, "Deadlines, reminders and escalations"))
    assert any(row[1] == "Deadline" and row[2].startswith("Draft report") for row in planned)
    assert all("_" not in cell for row in planned for cell in row)


async def test_the_progress_a_provider_lead_noted_shows_under_the_action_plan(
    live_site: LiveSite,
) -> None:
    intervention_id, reference = await _started(live_site)
    today = scenario.today()
    for event, payload in scenario.tracking_path(today, today + timedelta(days=30)):
        await live_site.service.command(intervention_id, event, payload)
    await live_site.service.command(intervention_id, Event.record_action_progress, {
        "actor": LEAD, "action_id": "A1", "note": "Rota drafted <b>for March</b>"})
    await live_site.service.command(intervention_id, Event.record_action_progress, {
        "actor": LEAD, "action_id": "A1", "note": "Rota published",
        "evidence": "The March rota, attached to the trust's return"})

    page = await _page(live_site, COORDINATOR, reference)

    plan = section(page, "Action plan")
    assert f"A1, {long_date(today)}, by {LEAD}: Rota drafted <b>for March</b>" in (
        _text(plan))
    assert (f"A1, {long_date(today)}, by {LEAD}: Rota published Evidence offered: "
            "The March rota, attached to the trust's return") in _text(plan)
    assert "&lt;b&gt;for March&lt;/b&gt;" in plan  # as typed: text, not markup


async def test_the_reference_any_case_and_the_full_id_show_the_same_page(
    live_site: LiveSite,
) -> None:
    intervention_id, reference = await _started(live_site)
    await live_site.settled(intervention_id)

    async with live_site.signed_in(COORDINATOR) as browser:
        pages = [await browser.get(intervention_page(name))
                 for name in (reference, reference.lower(), intervention_id)]

    assert [p.status_code for p in pages] == [200, 200, 200]
    assert {title_of(p) for p in pages} == {titled(f"Urgent Risk Review {reference}")}
    # Links go to the reference, whichever name the page was asked for.
    assert all(f'href="{command_page(reference, Event.convene_panel)}"' in p.text for p in pages)


async def test_a_provider_lead_sees_their_providers_page_and_the_404_page_for_another(
    live_site: LiveSite,
) -> None:
    _, reference = await _started(live_site)

    own = await _page(live_site, LEAD, reference)
    async with live_site.signed_in(OTHER_LEAD) as browser:
        other = await browser.get(intervention_page(reference))
        unknown = await browser.get(intervention_page("QI-1999-9999"))
        nonsense = await browser.get(intervention_page("not-a-reference"))

    assert own.status_code == 200
    assert title_of(own) == titled(f"Urgent Risk Review {reference}")
    assert [other.status_code, unknown.status_code, nonsense.status_code] == [404, 404, 404]
    assert title_of(other) == titled("Page not found")
    assert without_tokens(other) == without_tokens(unknown) == without_tokens(nonsense)
    assert reference not in other.text
    assert "Northshire" not in other.text


async def test_a_page_asks_a_browser_without_a_session_to_sign_in_first(
    live_site: LiveSite,
) -> None:
    _, reference = await _started(live_site)

    async with live_site.browser() as browser:
        page = await browser.get(intervention_page(reference))

    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in"


async def test_a_cancelled_intervention_says_so_instead_of_its_steps(
    live_site: LiveSite,
) -> None:
    intervention_id, reference = await _started(live_site)
    await live_site.service.command(intervention_id, Event.cancel, {
        "actor": COORDINATOR, "reason": "Provider resolved the rota gap before the panel met"})
    await live_site.settled(intervention_id)

    page = await _page(live_site, COORDINATOR, reference)

    assert page.status_code == 200
    assert current_step(page) == []
    assert "Where it is" not in page.text
    callout = re.search(r'<div class="nhsuk-card nhsuk-card--warning[^"]*"[^>]*>(.*?)</div>\s*'
                        r"</div>", page.text, re.S)
    assert callout
    assert _text(callout.group(1)).startswith(
        f"Important: Cancelled It was cancelled on {long_date(scenario.today())} by "
        f"{COORDINATOR}, while it was planned. It takes no more commands.")
    assert "Reason: Provider resolved the rota gap before the panel met" in _text(callout.group(1))
    needed = _text(section(page, "What is needed next"))
    assert needed == "Nothing: this intervention is cancelled and takes no more commands."
    assert "/cancel" not in page.text
    assert timeline(page)[0].startswith("Cancel ")


async def test_an_intervention_ended_in_temporal_says_so_instead_of_its_steps(
    live_site: LiveSite,
) -> None:
    intervention_id, reference = await _started(live_site)
    await live_site.settled(intervention_id)
    handle = live_site.service.client.get_workflow_handle(intervention_id)
    await handle.terminate(reason="Test environment clean-up")

    page = await _page(live_site, COORDINATOR, reference)

    assert page.status_code == 200
    assert current_step(page) == []
    assert "Ended in Temporal (terminated)" in _text(page.text)
    assert "while it was planned. It takes no more commands." in _text(page.text)
    assert "Who ended it is not known to the service." in _text(page.text)
    assert _text(section(page, "What is needed next")) == (
        "Nothing: this intervention has ended and takes no more commands.")
    assert command_page(reference, Event.convene_panel) not in page.text
    latest = timeline(page)[0]
    assert latest.startswith("Ended in Temporal (terminated)")
    assert "by Someone in Temporal (not known)" in latest


async def test_only_a_coordinator_gets_the_link_to_the_workflow_in_the_web_ui(
    live_site: LiveSite,
) -> None:
    intervention_id, reference = await _started(live_site)
    settings = live_site.app.state.context.settings
    link = f"{settings.resolved_ui_origin}/namespaces/default/workflows/{intervention_id}"

    coordinators = await _page(live_site, COORDINATOR, reference)
    others = [await _page(live_site, name, reference) for name in (DEAN, PANEL, LEAD)]

    assert f'href="{link}"' in coordinators.text
    assert [page.status_code for page in others] == [200, 200, 200]
    assert ["/namespaces/" in page.text or "For operators" in page.text
            for page in others] == [False, False, False]


async def _tracking_actions(live_site: LiveSite) -> tuple[str, str]:
    """An Urgent Risk Review tracking its actions: a panel, a meeting, findings and two open
    actions."""
    intervention_id, reference = await _started(live_site)
    today: date = scenario.today()
    for event, payload in scenario.tracking_path(on=today, due_on=today, actions=0)[:3]:
        await live_site.service.command(intervention_id, event, payload)
    await live_site.service.command(intervention_id, Event.add_action, scenario.action())
    await live_site.service.command(intervention_id, Event.add_action, scenario.action(
        finding_id="F1", description="Induct every new starter to the night rota",
        due_in_days=60))
    await live_site.service.command(intervention_id, Event.agree_action_plan,
                                    {"actor": COORDINATOR})
    await live_site.settled(intervention_id)
    return intervention_id, reference


async def test_closure_is_offered_to_the_role_that_approves_it_for_the_type(
    live_site: LiveSite,
) -> None:
    _, reference = await _tracking_actions(live_site)
    approve = f'href="{command_page(reference, Event.approve_closure)}"'

    coordinators = await _page(live_site, COORDINATOR, reference)
    deans = await _page(live_site, DEAN, reference)

    # An urgent review's closure is approved by the dean (or a delegate), never a coordinator.
    assert approve not in coordinators.text
    assert "Only a dean can do this." in _text(section(coordinators, "What is needed next"))
    assert approve in deans.text
    assert command_page(reference, Event.add_action) not in deans.text


# -- in Chromium ------------------------------------------------------------------------------


@pytest.fixture
async def served(live_site: LiveSite) -> AsyncIterator[str]:
    """The live site on a real port, served on the tests' own event loop (its Temporal client
    is bound to it); its base URL."""
    async with serving(live_site.app) as url:
        yield url


async def test_a_full_page_in_chromium_has_no_accessibility_violation(
    live_site: LiveSite, served: str,
) -> None:
    require_browser()
    from axe_playwright_python.async_playwright import Axe
    from playwright.async_api import ConsoleMessage, expect

    intervention_id, reference = await _tracking_actions(live_site)
    accept = scenario.URGENT_PATH[5]
    await live_site.service.command(intervention_id, *accept)
    await live_site.service.command(intervention_id, Event.escalate, {
        "actor": COORDINATOR, "level": "quality_lead",
        "reason": "Rota gaps persist on two wards despite the plan"})
    await live_site.settled(intervention_id)
    requests: list[str] = []
    console_errors: list[str] = []
    async with chromium() as launched:
        context = await launched.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        page.on("request", lambda request: requests.append(request.url))

        def note_error(message: ConsoleMessage) -> None:
            if message.type == "error":
                console_errors.append(message.text)

        page.on("console", note_error)
        await page.goto(f"{served}/sign-in")
        await page.get_by_label("User name").fill(COORDINATOR)
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("What needs you")

        await page.goto(f"{served}{intervention_page(reference)}")

        await expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
        assert await page.title() == titled(f"Urgent Risk Review {reference}")
        await expect(page.locator('[aria-current="step"]')).to_contain_text(
            "Actions tracked")
        results: Any = await Axe().run(page)
        violations = results.response["violations"]
        assert violations == [], "\n".join(
            f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})"
            for v in violations)
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SHOTS / "intervention.png", full_page=True)
        # On a phone, the tables stack their cells and nothing runs off the side.
        await page.set_viewport_size({"width": 390, "height": 844})
        assert await page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth")
        await page.screenshot(path=SHOTS / "intervention-narrow.png", full_page=True)
        await context.close()

    assert [url for url in requests if not url.startswith(f"{served}/")] == []
    assert [e for e in console_errors if "Content Security Policy" in e] == []
