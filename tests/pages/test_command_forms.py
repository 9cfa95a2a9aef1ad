"""Every lifecycle command as a web form, generated from the command registry: each command's
form is built (so a new command or field cannot ship without one), read back into the payload
its body model takes, and sent through the pages over a real service (a Temporal dev server
and a worker), as users of each role."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import BaseModel, Field
from starlette.datastructures import ImmutableMultiDict

from api.pages import form_values as fv
from api.pages.form_view import bind, from_problems, from_validation
from api.pages.forms import Control, command_form, form_fields
from api.pages.rendering import words
from api.pages.urls import command_page, intervention_page
from models.bodies import COMMAND_BODIES
from models.commands import Event
from models.errors import Problem
from models.formats import UnknownFormat, is_model, unwrap
from models.intervention import State
from models.registry import COMMANDS
from tests import scenario
from tests.browser import chromium, require_browser
from tests.pages.command_pages import (
    beside,
    convened,
    errors_on,
    every_field,
    fill_member,
    form_of,
    hidden,
    looked_at,
    member_fields,
    serving,
    sign_in_to,
    started,
    value_of,
)
from tests.pages.conftest import csrf_of, title_of, titled
from tests.pages.stack import COORDINATOR, LEAD, OTHER_LEAD, PANEL, LiveSite

# -- the forms, built from the models ----------------------------------------------------------


def _located(model: type[BaseModel], path: list[str]) -> bool:
    """Whether `path` (a field's ID split at its dashes) is a place in `model`."""
    annotation: Any = model
    for part in path:
        kind = unwrap(annotation)
        if part.isdigit():
            if getattr(kind, "__origin__", None) not in (list, tuple):
                return False
            annotation = kind.__args__[0]
        elif is_model(kind) and part in kind.model_fields:
            annotation = kind.model_fields[part].annotation
        else:
            return False
    return True


@pytest.mark.parametrize("event", list(COMMANDS))
def test_every_command_has_a_form_whose_fields_map_back_to_its_model(event: Event) -> None:
    form = command_form(event)
    nodes, _ = bind(form.fields, fv.blank(form.fields), [])
    shown = [n for top in nodes for n in top.walk()]

    ids = [n.id for n in shown]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*(-[a-z0-9_]+)*", i) for i in ids), ids
    assert all(_located(COMMAND_BODIES[event], i.split("-")) for i in ids)
    assert {f.name for f in form.fields} == set(COMMAND_BODIES[event].model_fields)
    assert all(f.label for f in every_field(form.fields))
    # A reference's choices are the intervention's items, which each page fills in.
    assert all(f.choices for f in every_field(form.fields)
               if f.control.asks_to_choose and f.control is not Control.REFERENCE)


def test_no_form_asks_who_sends_it() -> None:
    names = {f.name for event in COMMANDS for f in every_field(command_form(event).fields)}

    assert not names & {"actor", "actor_email", "coordinator"}
    assert "role" not in {f.name for f in command_form(Event.approve_closure).fields}


def test_each_kind_of_field_gets_its_component_and_the_clis_wording() -> None:
    convene = {f.name: f for f in command_form(Event.convene_panel).fields}
    member = {f.name: f for f in convene["members"].each.fields}
    meeting = {f.name: f for f in command_form(Event.record_meeting).fields}
    report = {f.name: f for f in command_form(Event.issue_report).fields}

    assert convene["members"].control is Control.REPEATED
    assert convene["members"].item_label == "Member"
    assert member["roles"].control is Control.CHECKBOXES
    assert member["interests_declared"].control is Control.YES_NO
    assert member["conflict"].control is Control.RADIOS
    assert member["email"].hint == "An e-mail address. For example, name@example.nhs.uk"
    assert meeting["held_on"].control is Control.DATE
    assert meeting["held_on"].label == "Date held"
    assert "DD/MM/YYYY" in meeting["held_on"].hint
    assert meeting["attendance"].control is Control.GROUP
    assert meeting["attendance"].fields[0].control is Control.NUMBER
    assert "from 0 to 10000" in meeting["attendance"].fields[0].hint
    assert meeting["immediate_mandatory_requirements"].each.control is Control.TEXTAREA
    assert meeting["reason"].shown_label == "Reason (optional)"
    assert report["findings"].each.fields[0].control is Control.SELECT  # none may be chosen
    assert list(command_form(Event.convene_panel).fields)[-1].name == "reason"


class _Measured(BaseModel):
    score: float


class _Keyed(BaseModel):
    tags: dict[str, str]


class _Paired(BaseModel):
    pair: tuple[int, int]


class _Unbounded(BaseModel):
    count: int = Field(ge=0)


class _Posting(BaseModel):
    form_key: str


@pytest.mark.parametrize("model", [_Measured, _Keyed, _Paired, _Unbounded, _Posting])
def test_a_field_no_component_can_show_stops_the_form_being_built(
        model: type[BaseModel]) -> None:
    with pytest.raises(UnknownFormat):
        form_fields(model)


def _posted(**values: Any) -> ImmutableMultiDict[str, str]:
    pairs: list[tuple[str, str]] = []
    for name, value in values.items():
        pairs += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
    return ImmutableMultiDict(pairs)


def test_blank_items_are_ignored_and_problems_point_at_the_items_shown() -> None:
    fields = command_form(Event.convene_panel).fields
    posted = _posted(**{
        "members-count": "3",
        "members-0-name": "Dr Ada Senior", "members-0-email": "ada@panel.example.nhs.uk",
        "members-0-roles": ["senior_panel_member", "subject_expert"],
        "members-0-interests_declared": "yes", "members-0-conflict": "none",
        "members-1-name": " ", "members-1-email": "", "members-1-interests_declared": "no",
        "members-1-conflict": "none",
        "members-2-name": "Dr Cai External", "members-2-email": "cai@panel.example.nhs.uk",
        "members-2-interests_declared": "yes", "members-2-conflict": "none",
        "chair": "Dr Ada Senior",
    })

    values = fv.compact(fields, fv.read(fields, posted))
    payload, unread = fv.payload(fields, values)
    errors = from_validation(fields, [dict(e) for e in _errors(Event.convene_panel, payload)])
    nodes, general = bind(fields, fv.padded(fields, values), errors)

    assert unread == []
    assert [m["name"] for m in payload["members"]] == ["Dr Ada Senior", "Dr Cai External"]
    assert payload["members"][0]["roles"] == ["senior_panel_member", "subject_expert"]
    assert payload["members"][0]["interests_declared"] is True
    assert "reason" not in payload
    member_2 = nodes[0].children[1]
    assert member_2.label == "Member 2"
    assert member_2.children[0].value == "Dr Cai External"
    assert member_2.children[2].errors == ["Select at least one of the roles for member 2"]
    assert len(nodes[0].children) == 3  # padded back to the few a blank form shows
    assert general == []


def _errors(event: Event, payload: dict[str, Any]) -> list[Any]:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as refused:
        COMMAND_BODIES[event].model_validate(payload)
    return list(refused.value.errors())


def test_a_date_is_read_day_first_and_a_wrong_one_names_its_field() -> None:
    fields = command_form(Event.record_meeting).fields
    typed = _posted(**{"held_on": "03/12/2026", "format": "virtual",
                             "attendance-learners": "12",
                             "immediate_mandatory_requirements-count": "1"})
    wrong = _posted(**{"held_on": "31/02/2026", "format": "virtual"})

    payload, unread = fv.payload(fields, fv.compact(fields, fv.read(fields, typed)))
    _, not_read = fv.payload(fields, fv.compact(fields, fv.read(fields, wrong)))

    assert unread == []
    assert payload["held_on"] == "2026-12-03"
    assert payload["attendance"] == {"learners": "12"}  # the others left to their default
    assert payload["immediate_mandatory_requirements"] == []
    assert [(e.path, e.text) for e in from_validation(fields, not_read)] == [
        (("held_on",), "Date held must be a date: YYYY-MM-DD, today, or DD/MM/YYYY (UK order)")]


def test_add_another_adds_one_blank_item_up_to_the_most_a_field_takes() -> None:
    fields = command_form(Event.record_meeting).fields
    values = fv.blank(fields)

    more = fv.with_another(fields, values, "immediate_mandatory_requirements")
    assert more is not None
    assert more["immediate_mandatory_requirements"] == ["", ""]
    assert fv.with_another(fields, values, "attendance") is None
    full: fv.Values = {**values, "immediate_mandatory_requirements": ["x"] * 20}
    assert fv.with_another(fields, full, "immediate_mandatory_requirements") is None


# -- the pages, over a real service ------------------------------------------------------------


async def test_every_commands_form_shows_for_a_coordinator(live_site: LiveSite) -> None:
    _, reference = await started(live_site)

    async with live_site.signed_in(COORDINATOR) as browser:
        for event in COMMANDS:
            page = await browser.get(command_page(reference, event))

            assert page.status_code == 200, (event, page.text)
            assert title_of(page) == titled(f"{words(event)}, {reference}")
            assert f'action="{command_page(reference, event)}"' in page.text
            assert csrf_of(page)
            assert len(hidden(page, "form_key")) >= 20
            for field in command_form(event).fields:
                assert f'id="{field.name}' in page.text, (event, field.name)


async def test_a_panel_member_may_hold_meetings_but_not_convene_the_panel(
        live_site: LiveSite) -> None:
    intervention_id, reference = await convened(live_site)

    async with live_site.signed_in(PANEL) as browser:
        meetings = [await browser.get(command_page(reference, event)) for event in (
            Event.schedule_meeting, Event.reschedule_meeting, Event.record_meeting)]
        convene = await browser.get(command_page(reference, Event.convene_panel))
        cancel = await browser.post(command_page(reference, Event.cancel), data={
            "csrf_token": csrf_of(meetings[0]), "form_key": hidden(meetings[0], "form_key"),
            "reason": "No longer needed"})

    assert [page.status_code for page in meetings] == [200, 200, 200]
    assert convene.status_code == 403
    assert title_of(convene) == titled("You cannot do this")
    assert "panel member" in convene.text
    assert cancel.status_code == 403
    assert (await live_site.service.status(intervention_id)).data.state is State.panel_convened


async def test_another_providers_lead_finds_no_such_intervention(live_site: LiveSite) -> None:
    _, reference = await started(live_site)
    progress = command_page(reference, Event.record_action_progress)

    async with live_site.signed_in(OTHER_LEAD) as other:
        shown = await other.get(progress)
        sent = await other.post(progress, data={"csrf_token": csrf_of(shown),
                                                "note": "Rota drafted", "action_id": "A1"})
    async with live_site.signed_in(LEAD) as own:
        own_page = await own.get(progress)
    async with live_site.signed_in(COORDINATOR) as coordinator:
        unknown = await coordinator.get(command_page("QI-1999-9999", Event.cancel))

    assert shown.status_code == 404
    assert title_of(shown) == titled("Page not found")
    assert sent.status_code == 404
    assert own_page.status_code == 200
    assert unknown.status_code == 404


async def test_a_panel_is_convened_through_the_form(live_site: LiveSite) -> None:
    intervention_id, reference = await started(live_site)
    path = command_page(reference, Event.convene_panel)

    async with live_site.signed_in(COORDINATOR) as browser:
        blank = await browser.get(path)
        more = await browser.post(path, data=form_of(blank, **{"members-count": "3",
                                                             "add": "members"}))
        done = await browser.post(path, data=form_of(
            more, **{"members-count": "4"},
            **member_fields(0, "Dr Ada Senior", "senior_panel_member", "subject_expert"),
            **member_fields(2, "Dr Cai External", "external_member"),
            **member_fields(3, "Lee Lay", "lay_representative"),
            chair="Dr Ada Senior", reason="Panel agreed at the quality meeting"))

    assert 'id="members-2-name"' in blank.text
    assert 'id="members-3-name"' not in blank.text
    assert more.status_code == 200
    assert 'id="members-3-name"' in more.text
    assert done.status_code == 303, done.text
    assert done.headers["location"] == intervention_page(reference)
    status = await live_site.service.status(intervention_id)
    assert status.data.state is State.panel_convened
    assert [(m.name, [r.value for r in m.roles]) for m in status.data.panel] == [
        ("Dr Ada Senior", ["senior_panel_member", "subject_expert"]),
        ("Dr Cai External", ["external_member"]),
        ("Lee Lay", ["lay_representative"]),
    ]
    assert status.data.chair == "Dr Ada Senior"
    last = status.data.audit[-1]
    assert (last.command, last.actor, last.reason) == (
        "convene_panel", COORDINATOR, "Panel agreed at the quality meeting")


async def test_a_form_without_its_csrf_token_changes_nothing(live_site: LiveSite) -> None:
    intervention_id, reference = await started(live_site)
    path = command_page(reference, Event.cancel)

    async with live_site.signed_in(COORDINATOR) as browser:
        page = await browser.get(path)
        posted = form_of(page, reason="No longer needed")
        missing = await browser.post(path, data={k: v for k, v in posted.items()
                                                 if k != "csrf_token"})
        wrong = await browser.post(path, data={**posted, "csrf_token": "x" * 43})
        keyless = await browser.post(path, data={k: v for k, v in posted.items()
                                                 if k != "form_key"})

    assert [r.status_code for r in (missing, wrong, keyless)] == [403, 403, 403]
    assert title_of(missing) == titled("That page had expired")
    assert (await live_site.service.status(intervention_id)).data.state is State.planned


async def test_a_refused_panel_says_why_beside_the_members_and_keeps_what_was_typed(
        live_site: LiveSite) -> None:
    intervention_id, reference = await started(live_site)
    path = command_page(reference, Event.convene_panel)

    async with live_site.signed_in(COORDINATOR) as browser:
        blank = await browser.get(path)
        refused = await browser.post(path, data=form_of(
            blank, **{"members-count": "3"},
            **member_fields(0, "Dr Ada Senior", "senior_panel_member"),
            **member_fields(1, "Dr Cai External", "external_member"),
            chair="Dr Ada Senior"))

    assert refused.status_code == 409
    assert title_of(refused).startswith("Error: ")
    reason = ("The panel needs a member in the role subject expert (required for Urgent Risk "
              "Review)")
    assert errors_on(refused) == [("#members-0-name", reason)]
    assert beside(refused, "members") == reason
    assert value_of(refused, "members-0-name") == "Dr Ada Senior"
    assert value_of(refused, "members-1-email") == "cai.external@panel.example.nhs.uk"
    assert value_of(refused, "chair") == "Dr Ada Senior"
    assert 'value="senior_panel_member" checked' in refused.text
    assert hidden(refused, "form_key") != hidden(blank, "form_key")
    assert (await live_site.service.status(intervention_id)).data.state is State.planned


async def test_a_meeting_dated_in_the_future_is_refused_beside_its_date(
        live_site: LiveSite) -> None:
    intervention_id, reference = await convened(live_site)
    path = command_page(reference, Event.record_meeting)
    tomorrow = (scenario.today() + timedelta(days=1)).isoformat()

    async with live_site.signed_in(COORDINATOR) as browser:
        blank = await browser.get(path)
        refused = await browser.post(path, data=form_of(
            blank, held_on=tomorrow, format="virtual", **{"attendance-learners": "9"}))

    assert refused.status_code == 409
    [(href, text)] = errors_on(refused)
    assert href == "#held_on"
    assert text.startswith("A meeting is recorded as held on a day between the start")
    assert beside(refused, "held_on") == text
    assert value_of(refused, "held_on") == tomorrow
    assert value_of(refused, "attendance-learners") == "9"
    assert 'value="virtual" checked' in refused.text
    status = await live_site.service.status(intervention_id)
    assert status.data.state is State.panel_convened
    assert status.data.meetings == []


async def test_what_cannot_be_read_is_named_beside_its_field(live_site: LiveSite) -> None:
    intervention_id, reference = await convened(live_site)
    path = command_page(reference, Event.record_meeting)

    async with live_site.signed_in(COORDINATOR) as browser:
        blank = await browser.get(path)
        refused = await browser.post(path, data=form_of(
            blank, held_on="31/02/2026", **{"attendance-learners": "a dozen"}))

    assert refused.status_code == 422
    assert title_of(refused).startswith("Error: ")
    assert errors_on(refused) == [
        ("#held_on", "Date held must be a date: YYYY-MM-DD, today, or DD/MM/YYYY (UK order)"),
        ("#format", "Select the format"),
        ("#attendance-learners", "Learners must be a whole number from 0 to 10000"),
    ]
    assert value_of(refused, "attendance-learners") == "a dozen"
    assert (await live_site.service.status(intervention_id)).data.meetings == []


async def test_a_date_typed_day_first_is_accepted(live_site: LiveSite) -> None:
    intervention_id, reference = await convened(live_site)
    path = command_page(reference, Event.record_meeting)
    today = scenario.today()

    async with live_site.signed_in(COORDINATOR) as browser:
        blank = await browser.get(path)
        done = await browser.post(path, data=form_of(
            blank, held_on=f"{today:%d/%m/%Y}", format="face_to_face",
            **{"attendance-learners": "12", "attendance-supervisors": "4"}))

    assert done.status_code == 303, done.text
    status = await live_site.service.status(intervention_id)
    assert status.data.state is State.meetings_held
    [meeting] = status.data.meetings
    assert meeting.held_on == today
    assert meeting.attendance is not None
    assert (meeting.attendance.learners, meeting.attendance.supervisors) == (12, 4)


async def test_a_refusal_about_no_field_is_in_the_summary_linking_to_the_form(
        live_site: LiveSite) -> None:
    intervention_id, reference = await started(live_site)
    path = command_page(reference, Event.approve_closure)

    async with live_site.signed_in(COORDINATOR) as browser:
        refused = await browser.post(path, data=form_of(await browser.get(path)))

    assert refused.status_code == 403
    [(href, text)] = errors_on(refused)
    assert href == "#command-form"
    assert text.startswith("Closure of this Urgent Risk Review is approved by dean")
    assert (await live_site.service.status(intervention_id)).data.closure_approval is None


def test_what_a_refusal_quotes_is_shown_as_text() -> None:
    fields = command_form(Event.convene_panel).fields
    refusal = from_problems([Problem(field="chair", rule="the chair '<b>x</b>' must be a "
                                     "panel member")])

    nodes, _ = bind(fields, fv.blank(fields), refusal)

    chair = next(n for n in nodes if n.id == "chair")
    assert str(chair.error_html) == (
        "The chair &#39;&lt;b&gt;x&lt;/b&gt;&#39; must be a panel member")


async def test_a_form_posted_twice_does_its_command_once(live_site: LiveSite) -> None:
    intervention_id, reference = await convened(live_site)
    path = command_page(reference, Event.schedule_meeting)
    day = f"{scenario.today() + timedelta(days=7):%d/%m/%Y}"

    async with live_site.signed_in(COORDINATOR) as browser:
        page = await browser.get(path)
        form = form_of(page, scheduled_on=day, format="virtual")
        first = await browser.post(path, data=form)
        again = await browser.post(path, data=form)
        booked_once = len((await live_site.service.status(intervention_id)).data.meetings)
        another = await browser.post(path, data=form_of(await browser.get(path),
                                                      scheduled_on=day, format="virtual"))

    assert [first.status_code, again.status_code, another.status_code] == [303, 303, 303]
    assert booked_once == 1
    assert len((await live_site.service.status(intervention_id)).data.meetings) == 2


# -- in a browser ------------------------------------------------------------------------------


@pytest.fixture
async def served(live_site: LiveSite) -> AsyncIterator[str]:
    async with serving(live_site.app) as url:
        yield url


async def test_a_coordinator_convenes_a_panel_in_a_browser(live_site: LiveSite,
                                                          served: str) -> None:
    require_browser()
    from playwright.async_api import expect

    intervention_id, reference = await started(live_site)
    requested: list[str] = []
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda request: requested.append(request.url))
        await sign_in_to(page, served, COORDINATOR)

        await page.goto(f"{served}{command_page(reference, Event.convene_panel)}")
        await looked_at(page, "convene-panel", titled(f"Convene panel, {reference}"))

        await fill_member(page, 1, "Dr Ada Senior", "Senior panel member")
        await fill_member(page, 2, "Dr Cai External", "External member")
        await page.get_by_label("Chair", exact=True).fill("Dr Ada Senior")
        await page.get_by_role("button", name="Convene panel").click()
        summary = page.locator(".nhsuk-error-summary")
        await expect(summary).to_be_focused()  # the design system moves the focus to it
        await expect(summary).to_contain_text("in the role subject expert")
        await looked_at(page, "convene-panel-error",
                         titled(f"Convene panel, {reference}", error=True))

        await page.get_by_role("button", name="Add another member").click()
        await expect(page.get_by_role("group", name="Member 4", exact=True)).to_be_visible()
        await fill_member(page, 4, "Dr Ben Expert", "Subject expert")
        await page.get_by_role("button", name="Convene panel").click()
        await page.wait_for_url(f"{served}{intervention_page(reference)}")

    assert (await live_site.service.status(intervention_id)).data.state is State.panel_convened
    assert {urlsplit(url).netloc for url in requested} == {urlsplit(served).netloc}
