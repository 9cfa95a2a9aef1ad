"""Starting an intervention from the pages, over a real service (`live_site`): each step's form
is filled as a browser fills it (its hidden fields as the page gave them), and what the service
ends up with is read back from it. In Chromium: the whole flow with the keyboard alone, axe-core
on every step."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import typing
from collections.abc import Iterator
from datetime import date, datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import httpx
import pytest
from pydantic import BaseModel
from sqlalchemy import func, select

from models.bodies import StartBody
from models.catalogue import load_catalogue
from models.errors import ErrorType, InterventionError, Problem
from models.preview import preview_type
from models.tables import InterventionReference
from models.vocabulary import Role
from tests import scenario
from tests.pages.conftest import Site, add_with_password, sign_in, titled

if TYPE_CHECKING:
    from tests.pages.stack import LiveSite

COORDINATOR, PANEL = "c.okafor", "p.member"

DETAILS = {
    "provider.code": "RXX01",
    "provider.name": "Northshire Hospitals NHS Trust",
    "provider.site": "Northshire General, emergency department",
    "provider.lead_name": "Dr Morgan Hale",
    "provider.lead_email": scenario.LEAD_EMAIL,
    "concern.source": "national_training_survey",
    "concern.summary": "Rota gaps leave foundation doctors unsupervised at night",
}
HIGH = {"concern.likelihood": "4", "concern.impact": "5"}  # 20: extreme
LOW = {"concern.likelihood": "2", "concern.impact": "3"}  # 6: moderate
REASON = "A second trust-wide survey flags the same gaps; the dean asked for a review."


class Form:
    """A page's form as a browser would send it: its action, and every field's value
    (hidden ones, text typed so far, the checked radio)."""

    def __init__(self, action: str, fields: dict[str, str], buttons: list[dict[str, str]]):
        self.action = action
        self.fields = fields
        self.buttons = buttons


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.names: set[str] = set()  # every input's name on the page, in a form or not
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), {}, []))
        elif tag in ("input", "textarea", "select") and "name" in a:
            self.names.add(a["name"])
        if not self.forms:
            return
        form = self.forms[-1]
        if tag == "input" and "name" in a:
            if a.get("type") != "radio" or "checked" in a:
                form.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            form.fields[a["name"]] = ""
        elif tag == "button":
            form.buttons.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.forms[-1].fields[self._textarea] += data


def forms_of(page: httpx.Response) -> _Forms:
    parser = _Forms()
    parser.feed(page.text)
    return parser


def main_form(page: httpx.Response) -> Form:
    """The page's form that answers the step (not the header's sign-out, nor Back)."""
    forms = [f for f in forms_of(page).forms
             if f.action.startswith("/start/") and f.action != "/start/change"]
    assert len(forms) == 1, page.text
    return forms[0]


async def submit(browser: httpx.AsyncClient, page: httpx.Response,
                 **typed: str) -> httpx.Response:
    form = main_form(page)
    return await browser.post(form.action, data={**form.fields, **typed})


def title_of(page: httpx.Response) -> str:
    found = re.search(r"<title>(.*?)</title>", page.text, re.S)
    assert found
    return found.group(1).strip()


def error_beside(page: httpx.Response, field_id: str) -> str:
    """The error message beside the input `field_id`, which the input (or its fieldset) is
    described by."""
    found = re.search(rf'<span class="nhsuk-error-message" id="{field_id}-error"\s*>\s*'
                      r'<span class="nhsuk-u-visually-hidden">Error: </span>(.*?)</span>',
                      page.text, re.S)
    assert found, f"no error beside #{field_id}"
    assert re.search(rf'aria-describedby="[^"]*\b{field_id}-error\b', page.text)
    return " ".join(found.group(1).split()).replace("&#39;", "'")


def summary_links(page: httpx.Response) -> dict[str, str]:
    block = re.search(r'class="[^"]*nhsuk-error-summary__list">(.*?)</ul>', page.text, re.S)
    assert block, "no error summary"
    return {href: " ".join(text.split()).replace("&#39;", "'")
            for href, text in re.findall(r'<a href="([^"]+)"\s*>(.*?)</a>', block.group(1), re.S)}


def references(site: LiveSite) -> int:
    """Interventions given a reference: a start takes one before its workflow starts."""
    with site.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(InterventionReference)).scalar_one()


async def to_check_page(browser: httpx.AsyncClient, risk: dict[str, str],
                        reason: str | None = None,
                        type_code: str = "urgent_risk_review") -> httpx.Response:
    page = await browser.get("/start")
    assert title_of(page) == titled("Choose the type of intervention")
    page = await submit(browser, page, type=type_code)
    assert title_of(page) == titled("Provider and concern")
    page = await submit(browser, page, **DETAILS, **risk)
    if reason is not None:
        assert title_of(page) == titled("Why does this concern need an intervention?")
        page = await submit(browser, page, **{"concern.override_justification": reason})
    assert title_of(page) == titled("Check your answers before starting"), page.text
    return page


async def test_a_coordinator_starts_an_urgent_risk_review_and_lands_on_its_page(
        live_site: LiveSite) -> None:
    async with live_site.signed_in(COORDINATOR) as browser:
        check = await to_check_page(browser, HIGH)
        assert "override_justification" not in check.text  # 20 is high: never asked
        started = await submit(browser, check)

    assert started.status_code == 303
    reference = started.headers["location"].removeprefix("/intervention/")
    assert re.fullmatch(r"QI-\d{4}-\d{4}", reference), started.headers["location"]
    status = await live_site.service.status(reference)
    assert status.data.coordinator == COORDINATOR
    assert status.data.coordinator_email == scenario.EMAILS[COORDINATOR]
    assert status.data.type.code == "urgent_risk_review"
    assert status.data.state == "planned"
    assert status.data.provider.model_dump() == {
        "code": "RXX01", "name": DETAILS["provider.name"], "site": DETAILS["provider.site"],
        "lead_name": "Dr Morgan Hale", "lead_email": scenario.LEAD_EMAIL}
    concern = status.data.concern
    assert (concern.likelihood, concern.impact, concern.source, concern.summary) == (
        4, 5, "national_training_survey", DETAILS["concern.summary"])
    assert concern.override_justification is None


async def test_a_low_score_asks_for_a_justification_and_will_not_go_on_without_it(
        live_site: LiveSite) -> None:
    async with live_site.signed_in(COORDINATOR) as browser:
        page = await submit(browser, await submit(browser, await browser.get("/start"),
                                                  type="urgent_risk_review"), **DETAILS, **LOW)
        assert title_of(page) == titled("Why does this concern need an intervention?")
        assert "The risk score is 6" in page.text

        refused = await submit(browser, page, **{"concern.override_justification": "  "})
        assert refused.status_code == 400
        assert title_of(refused) == titled("Why does this concern need an intervention?",
                                           error=True)
        assert summary_links(refused) == {
            "#concern-override-justification": "Explain why this concern needs an intervention"}
        assert error_beside(refused, "concern-override-justification") == \
            "Explain why this concern needs an intervention"

        # Skipping the step (the check page's form without the justification) is refused too.
        check = await submit(browser, refused, **{"concern.override_justification": REASON})
        assert title_of(check) == titled("Check your answers before starting")
        assert REASON in check.text
        confirm = main_form(check)
        skipped = await browser.post(confirm.action, data={
            k: v for k, v in confirm.fields.items() if k != "concern.override_justification"})
        assert skipped.status_code == 400
        assert title_of(skipped) == titled("Why does this concern need an intervention?",
                                           error=True)
        assert references(live_site) == 0

        started = await submit(browser, check)
    assert started.status_code == 303
    status = await live_site.service.status(started.headers["location"].split("/")[-1])
    assert status.data.concern.override_justification == REASON


async def test_a_bad_email_is_named_in_plain_english_beside_its_field(
        live_site: LiveSite) -> None:
    async with live_site.signed_in(COORDINATOR) as browser:
        page = await submit(browser, await browser.get("/start"), type="urgent_risk_review")
        refused = await submit(browser, page, **{**DETAILS, **HIGH,
                                                 "provider.lead_email": "dme at northshire"})

    assert refused.status_code == 400
    assert title_of(refused) == titled("Provider and concern", error=True)
    message = ("Enter the provider lead's email address in the correct format, like "
               "name@example.nhs.uk")
    assert summary_links(refused) == {"#provider-lead-email": message}
    assert error_beside(refused, "provider-lead-email") == message
    kept = main_form(refused).fields
    assert kept["provider.lead_email"] == "dme at northshire"
    assert kept["provider.name"] == DETAILS["provider.name"]
    assert kept["concern.likelihood"] == "4"
    assert 'id="provider-lead-email"' in refused.text


async def test_a_missing_answer_is_asked_for_by_name(live_site: LiveSite) -> None:
    async with live_site.signed_in(COORDINATOR) as browser:
        page = await browser.get("/start")
        no_type = await submit(browser, page)
        assert summary_links(no_type) == {"#type": "Select the type of intervention"}
        page = await submit(browser, no_type, type="urgent_risk_review")
        refused = await submit(browser, page, **{**DETAILS, "provider.code": "",
                                                 "concern.summary": "x" * 201})

    assert summary_links(refused) == {
        "#provider-code": "Enter the provider code",
        "#concern-summary": "A summary of the concern must be 200 characters or fewer",
        "#concern-likelihood": "Select the likelihood",
        "#concern-impact": "Select the impact",
    }
    assert error_beside(refused, "concern-likelihood") == "Select the likelihood"


def _leaf_fields(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, info in model.model_fields.items():
        inner = info.annotation
        for arg in (*typing.get_args(inner), inner):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                yield from _leaf_fields(arg, f"{prefix}{name}.")
                break
        else:
            yield f"{prefix}{name}"


async def _inputs_on_every_step(browser: httpx.AsyncClient) -> set[str]:
    """The names of the visible inputs of every step, a low score making each one asked."""
    seen: set[str] = set()

    def visible(page: httpx.Response) -> set[str]:
        hidden = set(re.findall(r'type="hidden" name="([^"]+)"', page.text))
        return forms_of(page).names - hidden

    page = await browser.get("/start")
    seen |= visible(page)
    page = await submit(browser, page, type="urgent_risk_review")
    seen |= visible(page)
    page = await submit(browser, page, **DETAILS, **LOW, coordinator_email="me@example.nhs.uk")
    seen |= visible(page)
    return seen


async def test_every_field_of_the_start_contract_has_an_input(live_site: LiveSite) -> None:
    contract = set(_leaf_fields(StartBody))
    assert {"type", "provider.lead_email", "concern.likelihood", "coordinator_email"} <= contract

    add_with_password(live_site.engine, "c.noemail", Role.coordinator, email=None)
    async with live_site.signed_in("c.noemail") as browser:
        assert contract - await _inputs_on_every_step(browser) == set()
    # An account with an e-mail is not asked for it: the page says which it is.
    async with live_site.signed_in(COORDINATOR) as browser:
        assert contract - await _inputs_on_every_step(browser) == {"coordinator_email"}
        page = await submit(browser, await browser.get("/start"), type="urgent_risk_review")
        assert scenario.EMAILS[COORDINATOR] in page.text


async def test_an_account_without_an_email_gives_the_coordinators(live_site: LiveSite) -> None:
    add_with_password(live_site.engine, "c.noemail", Role.coordinator, email=None)
    async with live_site.signed_in("c.noemail") as browser:
        page = await submit(browser, await browser.get("/start"), type="urgent_risk_review")
        refused = await submit(browser, page, **DETAILS, **HIGH)
        assert summary_links(refused) == {"#coordinator-email": "Enter your email address"}
        check = await submit(browser, refused, coordinator_email="c.noemail@example.nhs.uk")
        started = await submit(browser, check)
    status = await live_site.service.status(started.headers["location"].split("/")[-1])
    assert (status.data.coordinator, status.data.coordinator_email) == (
        "c.noemail", "c.noemail@example.nhs.uk")


class _Table(HTMLParser):
    """The data cells of one table (by id), row by row: each cell's text, a line break as |,
    less what is hidden from assistive technology (the heading a responsive table repeats in
    each cell for narrow screens)."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.rows: list[list[str]] = []
        self._inside = False
        self._cell: list[str] | None = None
        self._repeated = 0  # depth inside the repeated heading

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._inside = a.get("id") == self.table_id
        elif self._inside and tag == "tr":
            self.rows.append([])
        elif self._inside and tag == "td":
            self._cell = []
        elif self._cell is not None and tag == "br":
            self._cell.append(" | ")
        elif self._cell is not None and a.get("aria-hidden") == "true":
            self._repeated = 1
        elif self._repeated:
            self._repeated += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._inside = False
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif self._repeated:
            self._repeated -= 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._repeated:
            self._cell.append(data)


def table_rows(page: httpx.Response, table_id: str) -> list[list[str]]:
    parser = _Table(table_id)
    parser.feed(page.text)
    return [row for row in parser.rows if row]


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


async def test_the_check_page_shows_the_schedule_preview_type_plans(live_site: LiveSite) -> None:
    async with live_site.signed_in(COORDINATOR) as browser:
        check = await to_check_page(browser, HIGH)

    said = re.search(r"today, (\d{1,2} \w+ \d{4}),", check.text)
    assert said, "the page says the day the schedule counts from"
    start = datetime.strptime(said.group(1), "%d %B %Y").date()
    planned = preview_type(load_catalogue().get("urgent_risk_review"), start)
    rows = table_rows(check, "planned-schedule")

    expected = []
    for deadline in (i for i in planned if i.what == "deadline"):
        of = [i for i in planned if f"{deadline.about} due {deadline.on.isoformat()}" in i.about]
        expected.append([
            f"{deadline.about.capitalize()} | For the {(deadline.to or '').replace('_', ' ')}",
            _long(deadline.on),
            " | ".join(_long(i.on) for i in of if i.what == "reminder") or "None",
            " | ".join(f"{_long(i.on)}: {(i.to or '').replace('_', ' ')}"
                       for i in of if i.what == "escalation if missed") or "None",
        ])
    assert rows == expected
    shown = sum(1 + len(row[2].split(" | ")) + len(row[3].split(" | ")) for row in rows)
    assert shown == len(planned)  # every deadline, reminder and escalation, once


async def test_submitting_the_confirm_form_twice_starts_one_intervention(
        live_site: LiveSite) -> None:
    async with live_site.signed_in(COORDINATOR) as browser:
        check = await to_check_page(browser, HIGH)
        form = main_form(check)
        first, second = await asyncio.gather(browser.post(form.action, data=form.fields),
                                             browser.post(form.action, data=form.fields))

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert references(live_site) == 1


async def test_a_change_from_the_check_page_comes_back_to_it(live_site: LiveSite) -> None:
    async with live_site.signed_in(COORDINATOR) as browser:
        check = await to_check_page(browser, HIGH)
        form = main_form(check)
        assert {"name": "change", "type": "submit", "value": "provider.site",
                "formaction": "/start/change#provider-site", "class": "nhsuk-link"} \
            in form.buttons
        details = await browser.post("/start/change", data={**form.fields,
                                                            "change": "provider.site"})
        assert title_of(details) == titled("Provider and concern")
        assert main_form(details).fields["provider.site"] == DETAILS["provider.site"]
        again = await submit(browser, details, **{"provider.site": "Northshire General, ICU"})
        assert title_of(again) == titled("Check your answers before starting")
        assert "Northshire General, ICU" in again.text
        # Lowered to a moderate score, the change asks for a justification before the check.
        low = await browser.post("/start/change", data={**main_form(again).fields,
                                                        "change": "concern.likelihood"})
        asked = await submit(browser, low, **LOW)
        assert title_of(asked) == titled("Why does this concern need an intervention?")


@pytest.mark.parametrize("path", ["/start/type", "/start/details", "/start/change",
                                  "/start/confirm"])
async def test_a_post_without_the_csrf_token_is_refused_and_starts_nothing(
        live_site: LiveSite, path: str) -> None:
    async with live_site.signed_in(COORDINATOR) as browser:
        check = await to_check_page(browser, HIGH)
        form = main_form(check)
        for token in (None, "forged"):
            data = {k: v for k, v in form.fields.items() if k != "csrf_token"}
            if token:
                data["csrf_token"] = token
            refused = await browser.post(path, data=data)
            assert refused.status_code == 403
            assert title_of(refused) == titled("That page had expired")
    assert references(live_site) == 0


async def test_a_panel_member_may_not_start(live_site: LiveSite) -> None:
    async with live_site.signed_in(PANEL) as browser:
        page = await browser.get("/start")
        assert page.status_code == 403
        assert title_of(page) == titled("You cannot do this")
        assert "Start an intervention" not in page.text  # nor is it offered
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token  # the sign-out form's: a valid token for this session
        async with live_site.signed_in(COORDINATOR) as coordinator:
            form = main_form(await to_check_page(coordinator, HIGH))
        refused = await browser.post(form.action, data={**form.fields,
                                                        "csrf_token": token.group(1)})
    assert refused.status_code == 403
    assert title_of(refused) == titled("You cannot do this")
    assert references(live_site) == 0


async def test_the_start_page_needs_a_session(live_site: LiveSite) -> None:
    async with live_site.browser() as browser:
        page = await browser.get("/start")
        posted = await browser.post("/start/confirm", data={"csrf_token": "x"})
    assert (page.status_code, page.headers["location"]) == (303, "/sign-in")
    assert (posted.status_code, posted.headers["location"]) == (303, "/sign-in")


class _Refusing:
    """A service that refuses every start with `error`, and notes each start's request ID."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.request_ids: list[str | None] = []

    async def start(self, request: object, *, request_id: str | None = None) -> None:
        self.request_ids.append(request_id)
        raise self.error


def _refusing(site: Site, error: Exception) -> _Refusing:
    service = _Refusing(error)
    site.app.state.context = dataclasses.replace(site.app.state.context, service=service)
    return service


async def test_a_field_the_service_refuses_is_shown_on_its_step(site: Site) -> None:
    rule = "is the coordinator's own address; give the provider lead's"
    _refusing(site, InterventionError([Problem(field="provider.lead_email", rule=rule)],
                                      ErrorType.COMMAND_REFUSED))
    async with site.browser() as browser:
        await sign_in(browser)
        refused = await submit(browser, await to_check_page(browser, HIGH))

    assert refused.status_code == 400
    assert title_of(refused) == titled("Provider and concern", error=True)
    said = f"The provider lead's email address: {rule}."
    assert summary_links(refused) == {"#provider-lead-email": said}
    assert error_beside(refused, "provider-lead-email") == said
    # Corrected, the answers go back to the check page, not through every step again.
    assert main_form(refused).fields["checking"] == "1"


async def test_an_unavailable_service_keeps_the_answers_and_the_request_id(site: Site) -> None:
    service = _refusing(site, InterventionError(
        [Problem(field="temporal", rule="Temporal is unavailable; retry")],
        ErrorType.UNAVAILABLE))
    async with site.browser() as browser:
        await sign_in(browser)
        check = await to_check_page(browser, HIGH)
        first = main_form(check).fields["request_id"]
        refused = await submit(browser, check)
        assert refused.status_code == 503
        assert title_of(refused) == titled("Check your answers before starting", error=True)
        assert list(summary_links(refused)) == ["#start-intervention"]
        assert "try again in a few minutes" in refused.text
        assert main_form(refused).fields["request_id"] == first
        await submit(browser, refused)  # trying again is the same start

    assert len(service.request_ids) == 2
    assert service.request_ids[0] == service.request_ids[1] is not None


async def test_back_shows_the_previous_step_with_its_answers(live_site: LiveSite) -> None:
    async with live_site.signed_in(COORDINATOR) as browser:
        details = await submit(browser, await browser.get("/start"), type="programme_review")
        back = next(f for f in forms_of(details).forms if f.action == "/start/change")
        assert back.fields["change"] == "type"
        again = await browser.post(back.action, data=back.fields)

    assert title_of(again) == titled("Choose the type of intervention")
    assert main_form(again).fields["type"] == "programme_review"


async def test_what_is_typed_travels_between_steps_exactly_and_escaped(
        live_site: LiveSite) -> None:
    typed = 'Rota "gaps" <b>at night</b> & weekends'
    async with live_site.signed_in(COORDINATOR) as browser:
        page = await submit(browser, await browser.get("/start"), type="urgent_risk_review")
        check = await submit(browser, page, **{**DETAILS, **HIGH, "concern.summary": typed})
        assert "<b>" not in check.text
        assert main_form(check).fields["concern.summary"] == typed
        started = await submit(browser, check)
    status = await live_site.service.status(started.headers["location"].split("/")[-1])
    assert status.data.concern.summary == typed


async def test_who_coordinates_comes_from_the_session_not_the_form(live_site: LiveSite) -> None:
    async with live_site.signed_in(COORDINATOR) as browser:
        form = main_form(await to_check_page(browser, HIGH))
        started = await browser.post(form.action, data={
            **form.fields, "coordinator": scenario.DEAN,
            "coordinator_email": scenario.EMAILS[scenario.DEAN]})
    status = await live_site.service.status(started.headers["location"].split("/")[-1])
    assert (status.data.coordinator, status.data.coordinator_email) == (
        COORDINATOR, scenario.EMAILS[COORDINATOR])
