"""What needs you: the dashboard's order, filters, counts and paging for each role, and its
CSV downloads through the session. Rows are written straight into the read model
(`tests.pages.rows`): the dashboard reads nothing else."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from api.pages.urls import DOWNLOAD_ACTIONS, DOWNLOAD_INTERVENTIONS, intervention_page
from models.intervention import DeadlineKind, State
from models.tables import Intervention
from models.vocabulary import ActionStatus, Role
from tests.browser import OUTPUT
from tests.pages.conftest import (
    COORDINATOR,
    LEAD,
    PASSWORD,
    VIEWER,
    Site,
    add_with_password,
    sign_in,
    title_of,
    titled,
)
from tests.pages.rows import action, deadline, intervention, write
from tests.pages.test_pages_in_a_browser import browser, served  # noqa: F401  (fixtures)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

DEAN, PANEL = "d.dean", "p.member"
OTHER_COORDINATOR = "a.other"
TODAY = datetime.now(UTC).date()


def _days(n: int) -> date:
    return TODAY + timedelta(days=n)


@pytest.fixture
def roles(site: Site) -> Site:
    """The site with a dean and a panel member besides its coordinator, lead and viewer."""
    add_with_password(site.engine, DEAN, Role.dean)
    add_with_password(site.engine, PANEL, Role.panel_member)
    return site


def _table(page: httpx.Response, table_id: str) -> str:
    found = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page.text, re.S)
    return found.group(0) if found else ""


def listed(page: httpx.Response) -> list[str]:
    """The references in the list of interventions, in the page's order."""
    return re.findall(r'<a href="/intervention/([^"]+)">', _table(page, "interventions"))


def _counts(page: httpx.Response) -> dict[str, list[int]]:
    rows = re.findall(r"<tr.*?</tr>", _table(page, "by-state"), re.S)[1:]
    counts = {}
    for row in rows:
        state = re.search(r'">([^<]+)</a>', row)
        assert state, row
        counts[state.group(1)] = [int(n) for n in re.findall(r"</span>(\d+)</td>", row)]
    return counts


def words_of(page: httpx.Response) -> str:
    """The page's text as a person reads it: no tags, one space between words."""
    return " ".join(re.sub(r"<[^>]+>", " ", page.text).split())


def _csv(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


async def _as(site: Site, name: str, *paths: str) -> list[httpx.Response]:
    async with site.browser() as client:
        signed = await sign_in(client, name)
        assert signed.status_code == 303, signed.text
        return [await client.get(path) for path in paths]


def _ref(number: int) -> str:
    return f"QI-2027-{number:04d}"


# -- Order --------------------------------------------------------------------------------------


async def test_escalated_then_overdue_then_stalled_come_first_and_ended_ones_last(
    site: Site,
) -> None:
    write(site.engine, [
        intervention(1, next_deadline=_days(20)),
        intervention(2, next_deadline=_days(-1)),  # stalled: its next deadline has passed
        intervention(3, overdue_actions=2, next_deadline=_days(30)),
        intervention(4, escalated=True, next_deadline=_days(40)),
        intervention(5, state=State.closed, escalated=True),
        intervention(6),  # nothing due
        intervention(7, next_deadline=_days(10)),
    ])

    [page] = await _as(site, COORDINATOR, "/")

    assert page.status_code == 200
    assert listed(page) == [_ref(4), _ref(3), _ref(2), _ref(7), _ref(1), _ref(6), _ref(5)]


async def test_a_dean_sees_escalations_then_closures_awaiting_approval_first(roles: Site) -> None:
    write(roles.engine, [
        intervention(1, overdue_actions=1, next_deadline=_days(-3)),
        intervention(2, state=State.actions_tracked, next_deadline=_days(50)),
        intervention(3, escalated=True, next_deadline=_days(60)),
        intervention(4, next_deadline=_days(1)),
    ])

    [dean] = await _as(roles, DEAN, "/")
    [coordinator] = await _as(roles, COORDINATOR, "/")

    assert listed(dean) == [_ref(3), _ref(2), _ref(1), _ref(4)]
    assert "whose closure may wait for your approval" in words_of(dean)
    # The same rows in the coordinator's order: tracking actions alone is no hurry.
    assert listed(coordinator) == [_ref(3), _ref(1), _ref(4), _ref(2)]


async def test_the_next_deadline_says_when_and_what_it_waits_for(site: Site) -> None:
    panel = intervention(1, next_deadline=_days(5))
    tracked = intervention(2, next_deadline=_days(9), state=State.actions_tracked)
    stalled = intervention(3, next_deadline=_days(-2))
    write(site.engine, [
        panel, tracked, stalled,
        deadline(panel, 1, DeadlineKind.convene_panel, _days(5)),
        deadline(panel, 2, DeadlineKind.first_meeting, _days(5), met_on=_days(-1)),  # met
        action(tracked, 1, _days(9)),
        action(tracked, 2, _days(9)),
        action(tracked, 3, _days(9), status=ActionStatus.ACCEPTED),
        action(tracked, 4, _days(30)),
        deadline(stalled, 1, DeadlineKind.draft_report, _days(-2)),
    ])

    [page] = await _as(site, COORDINATOR, "/")
    table = _table(page, "interventions")
    cells = {ref: re.search(rf"{ref}</a>.*?</tr>", table, re.S) for ref in map(_ref, (1, 2, 3))}

    def text(ref: str) -> str:
        cell = cells[ref]
        assert cell is not None, ref
        return " ".join(re.sub(r"<[^>]+>", " ", cell.group(0)).split())

    assert f"{_days(5).day} {_days(5):%B %Y} Panel to be convened" in text(_ref(1))
    assert "First meeting" not in text(_ref(1))
    assert "Actions A1, A2 " in text(_ref(2))
    assert "A3" not in text(_ref(2))
    assert "A4" not in text(_ref(2))
    assert f"{_days(-2).day} {_days(-2):%B %Y} Passed Draft report" in text(_ref(3))
    assert "Actions tracked" in text(_ref(2))  # states in words


async def test_each_reference_links_to_its_intervention_page(site: Site) -> None:
    write(site.engine, [intervention(1), intervention(2, reference=None)])

    [page] = await _as(site, COORDINATOR, "/")

    assert f'<a href="{intervention_page(_ref(1))}">{_ref(1)}</a>' in page.text
    # Started before references: named by its ID.
    assert f'<a href="{intervention_page("urgent-risk-review-00002")}">' in page.text


# -- Whose, filters, counts, pages ------------------------------------------------------------


async def test_a_coordinator_sees_their_own_unless_they_ask_for_everyones(site: Site) -> None:
    write(site.engine, [intervention(1), intervention(2, coordinator=OTHER_COORDINATOR)])

    mine, everyone = await _as(site, COORDINATOR, "/", "/?whose=all")

    assert listed(mine) == [_ref(1)]
    assert "The interventions you coordinate." in words_of(mine)
    assert listed(everyone) == [_ref(2), _ref(1)]
    assert re.search(r'name="whose" type="radio" value="all"\s+checked', everyone.text)


def _filtered() -> list[Intervention]:
    other = {"provider_code": "RYY02", "provider_name": "Otherside Trust"}
    return [
        intervention(1),
        intervention(2, state=State.panel_convened),
        intervention(3, type_code="programme_review", type_name="Programme Review"),
        intervention(4, **other),
        intervention(5, state=State.panel_convened, **other),
    ]


@pytest.mark.parametrize(("query", "expected"), [
    ("state=panel_convened", [5, 2]),
    ("type=programme_review", [3]),
    ("provider=RYY02", [5, 4]),
    ("state=panel_convened&provider=RYY02", [5]),
    ("state=closed", []),
    ("state=&type=&provider=", [5, 4, 3, 2, 1]),  # the form's "Any"
])
async def test_filters_by_state_type_and_provider_combine(
    site: Site, query: str, expected: list[int]
) -> None:
    write(site.engine, _filtered())

    [page, download] = await _as(site, COORDINATOR, f"/?{query}",
                                 f"{DOWNLOAD_INTERVENTIONS}?{query}")

    assert page.status_code == 200
    assert listed(page) == [_ref(n) for n in expected]
    assert sorted(row["reference"] for row in _csv(download)) == sorted(map(_ref, expected))
    if not expected:
        assert "No interventions match these filters." in words_of(page)


async def test_the_download_links_carry_the_lists_filters(site: Site) -> None:
    write(site.engine, _filtered())

    [page] = await _as(site, COORDINATOR, "/?whose=all&state=panel_convened&page=1")

    assert f'href="{DOWNLOAD_INTERVENTIONS}?whose=all&amp;state=panel_convened"' in page.text
    assert f'href="{DOWNLOAD_ACTIONS}?whose=all&amp;state=panel_convened"' in page.text


async def test_counts_by_state_follow_every_filter_but_the_state(site: Site) -> None:
    write(site.engine, [
        intervention(1, escalated=True, next_deadline=_days(-1)),
        intervention(2, overdue_actions=1),
        intervention(3, state=State.report_issued, next_deadline=_days(-5)),
        intervention(4, state=State.report_issued, provider_code="RYY02"),
        intervention(5, state=State.closed, next_deadline=_days(-9)),  # ended: not stalled
        intervention(6, coordinator=OTHER_COORDINATOR),
    ])

    mine, filtered = await _as(site, COORDINATOR, "/", "/?state=planned&provider=RXX01")

    # State: [interventions, escalated, with overdue actions, past their next deadline]
    assert _counts(mine) == {"Planned": [2, 1, 1, 1], "Report issued": [2, 0, 0, 1],
                             "Closed": [1, 0, 0, 0]}
    assert _counts(filtered) == {"Planned": [2, 1, 1, 1], "Report issued": [1, 0, 0, 1],
                                 "Closed": [1, 0, 0, 0]}
    assert listed(filtered) == [_ref(1), _ref(2)]
    # Each state links to the list filtered by it, keeping the other filters.
    assert 'href="/?state=report_issued&amp;provider=RXX01"' in filtered.text


async def test_pages_of_25_cover_every_row_once(site: Site) -> None:
    write(site.engine, [intervention(n) for n in range(1, 61)])

    pages = await _as(site, COORDINATOR, "/", "/?page=2", "/?page=3", "/?page=4")
    seen = [ref for page in pages for ref in listed(page)]

    assert [len(listed(page)) for page in pages] == [25, 25, 10, 0]
    assert seen == [_ref(n) for n in range(60, 0, -1)]  # newest first when none needs attention
    assert "1 to 25 of 60" in pages[0].text
    assert "26 to 50 of 60" in pages[1].text
    assert 'href="/?page=3" class="nhsuk-pagination__next"' in pages[1].text
    assert 'href="/" class="nhsuk-pagination__previous"' in pages[1].text
    assert "There is no page 4 of this list: it has 3 pages." in words_of(pages[3])


@pytest.mark.parametrize(("query", "field", "message"), [
    ("state=sleeping", "state", "Select a state from the list"),
    ("type=<script>", "type", "Select a type of intervention from the list"),
    ("provider=RZZ99", "provider", "Select a provider from the list"),
    ("whose=theirs", "whose", "Select whose interventions to show from the list"),
    ("page=0", "list", "The page must be a whole number from 1 to 40,000,000"),
    ("page=" + "9" * 5000, "list", "The page must be a whole number"),
    ("page=two", "list", "The page must be a whole number"),
])
async def test_a_value_outside_its_list_is_refused_naming_the_field(
    site: Site, query: str, field: str, message: str
) -> None:
    write(site.engine, [intervention(1)])

    [page] = await _as(site, COORDINATOR, f"/?{query}")

    assert page.status_code == 400
    assert title_of(page) == titled("What needs you", error=True)
    assert re.search(rf'<a href="#{field}"\s*>\s*{re.escape(message)}', page.text)
    assert listed(page) == []
    assert "sleeping" not in page.text
    assert "&lt;script&gt;" not in page.text
    assert "RZZ99" not in page.text
    assert "theirs" not in page.text


# -- Roles --------------------------------------------------------------------------------------


@pytest.fixture
def two_providers(site: Site) -> Site:
    ours, theirs = intervention(1), intervention(2, provider_code="RYY02",
                                                  provider_name="Otherside Trust")
    write(site.engine, [
        ours, theirs,
        action(ours, 1, _days(-4), description="=HYPERLINK(\"http://evil.example\")"),
        action(ours, 2, _days(12)),
        action(ours, 3, _days(1), status=ActionStatus.ACCEPTED),
        action(theirs, 1, _days(-10)),
    ])
    return site


async def test_a_provider_lead_sees_only_their_providers_interventions_and_open_actions(
    two_providers: Site,
) -> None:
    page, other, everyone = await _as(two_providers, LEAD, "/", "/?provider=RYY02",
                                      "/?whose=all")

    assert listed(page) == [_ref(1)]
    assert "Otherside" not in page.text
    assert "RYY02" not in page.text
    assert 'name="provider"' not in page.text  # no other provider to choose
    actions = _table(page, "open-actions")
    assert re.findall(r">(A\d)</", actions.replace(": ", "</")) == ["A1", "A2"]  # soonest first
    assert "Overdue" in actions
    assert other.status_code == 400
    assert listed(other) == []
    assert listed(everyone) == [_ref(1)]  # `whose` is a coordinator's choice alone


async def test_a_provider_leads_csv_has_only_their_providers_rows(two_providers: Site) -> None:
    interventions, actions, other = await _as(
        two_providers, LEAD, DOWNLOAD_INTERVENTIONS, DOWNLOAD_ACTIONS,
        f"{DOWNLOAD_INTERVENTIONS}?provider=RYY02")

    assert [row["provider_code"] for row in _csv(interventions)] == ["RXX01"]
    assert {(row["intervention_id"], row["id"]) for row in _csv(actions)} == {
        ("urgent-risk-review-00001", "A1"), ("urgent-risk-review-00001", "A2"),
        ("urgent-risk-review-00001", "A3")}
    assert other.status_code == 400
    assert "Select a provider from the list." in other.text


@pytest.mark.parametrize("name", [PANEL, VIEWER])
async def test_panel_members_and_viewers_read_the_whole_list(roles: Site, name: str) -> None:
    write(roles.engine, [intervention(1), intervention(2, provider_code="RYY02",
                                                       coordinator=OTHER_COORDINATOR)])

    [page] = await _as(roles, name, "/")

    assert page.status_code == 200
    assert listed(page) == [_ref(2), _ref(1)]
    assert "Every intervention." in words_of(page)
    assert 'name="whose"' not in page.text
    assert "For operators" not in page.text


async def test_only_coordinators_get_the_web_ui_link_and_the_start_link(roles: Site) -> None:
    [coordinator] = await _as(roles, COORDINATOR, "/")
    [dean] = await _as(roles, DEAN, "/")

    assert title_of(coordinator) == titled("What needs you")
    assert '<h1 class="nhsuk-heading-l">What needs you</h1>' in coordinator.text
    assert "Open the Temporal Web UI" in words_of(coordinator)
    assert "You do not coordinate any interventions yet." in words_of(coordinator)
    assert 'href="/start"' in coordinator.text
    assert "Open the Temporal Web UI" not in words_of(dean)
    assert "There are no interventions yet." in words_of(dean)


# -- Downloads ----------------------------------------------------------------------------------


async def test_csv_cells_starting_with_a_formula_are_quoted(two_providers: Site) -> None:
    write(two_providers.engine, [intervention(3, site="=cmd|' /C calc'!A0")])

    interventions, actions = await _as(two_providers, COORDINATOR, DOWNLOAD_INTERVENTIONS,
                                       DOWNLOAD_ACTIONS)

    assert [row["site"] for row in _csv(interventions)
            if row["id"].endswith("3")] == ["'=cmd|' /C calc'!A0"]
    assert "'=HYPERLINK(\"http://evil.example\")" in [r["description"] for r in _csv(actions)]


async def test_a_download_is_an_attachment_no_one_may_store(two_providers: Site) -> None:
    interventions, actions = await _as(two_providers, VIEWER, DOWNLOAD_INTERVENTIONS,
                                       DOWNLOAD_ACTIONS)

    for response, name in ((interventions, "interventions.csv"), (actions, "actions.csv")):
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"] == f'attachment; filename="{name}"'


async def test_a_coordinators_download_is_their_own_unless_they_ask_for_everyones(
    site: Site,
) -> None:
    write(site.engine, [intervention(1), intervention(2, coordinator=OTHER_COORDINATOR)])

    mine, everyone = await _as(site, COORDINATOR, DOWNLOAD_INTERVENTIONS,
                               f"{DOWNLOAD_INTERVENTIONS}?whose=all")

    assert [row["coordinator"] for row in _csv(mine)] == [COORDINATOR]
    assert sorted(row["coordinator"] for row in _csv(everyone)) == [OTHER_COORDINATOR,
                                                                     COORDINATOR]


@pytest.mark.parametrize("path", ["/", DOWNLOAD_INTERVENTIONS, DOWNLOAD_ACTIONS])
async def test_without_a_session_the_browser_is_sent_to_sign_in(site: Site, path: str) -> None:
    write(site.engine, [intervention(1)])
    async with site.browser() as client:
        answered = await client.get(path)
        with_token = await client.get(path, headers={
            "Authorization": f"Bearer {site.tokens[COORDINATOR]}"})

    for response in (answered, with_token):  # the pages take the session alone
        assert response.status_code == 303
        assert response.headers["location"] == "/sign-in"
        assert "QI-2027" not in response.text


# -- In a browser -------------------------------------------------------------------------------


def _a_working_week(site: Site) -> None:
    """Thirty interventions of several kinds, states and providers, some needing attention."""
    kinds = [("urgent_risk_review", "Urgent Risk Review"),
             ("programme_review", "Programme Review"),
             ("learner_educator_review", "Learner/Educator Review")]
    places = [("RXX01", "Northshire Hospitals NHS Trust"), ("RYY02", "Avon and Wessex Trust")]
    states = [State.planned, State.panel_convened, State.meetings_held, State.report_issued,
              State.actions_tracked]
    rows: list[Any] = []
    for n in range(1, 31):
        (type_code, type_name), (code, name) = kinds[n % 3], places[n % 2]
        row = intervention(n, type_code=type_code, type_name=type_name, provider_code=code,
                           provider_name=name, state=states[n % 5], escalated=n in (4, 17),
                           overdue_actions=2 if n == 9 else 0,
                           next_deadline=_days(n - 3 if n % 4 else -n))
        rows += [row, deadline(row, 1, DeadlineKind.draft_report, _days(n - 3 if n % 4 else -n))]
    write(site.engine, rows)


def test_the_dashboard_passes_axe_in_chromium(
    browser: Browser, served: str, site: Site  # noqa: F811  (the fixtures imported above)
) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    _a_working_week(site)
    shots = OUTPUT / "pages"
    shots.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("dashboard", {"width": 1280, "height": 900}),
                           ("dashboard-narrow", {"width": 390, "height": 844})):
        context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        page = context.new_page()
        page.goto(f"{served}/sign-in")
        page.get_by_label("User name").fill(COORDINATOR)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("What needs you")
        page.get_by_label("State").select_option("planned")
        page.get_by_role("button", name="Apply filters").click()
        page.get_by_role("link", name="Clear the filters").click()
        expect(page.locator("#interventions tbody tr")).to_have_count(25)

        assert page.title() == titled("What needs you")
        results: Any = Axe().run(page)
        violations = results.response["violations"]
        assert violations == [], "\n".join(
            f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})" for v in violations)
        page.screenshot(path=shots / f"{name}.png", full_page=True)
        context.close()
