"""A field that names an item of the intervention (a meeting, a finding, an action) is a choice
among the intervention's own items that the command can take, each labelled as a person knows
it, or a sentence when there is none; what is posted is still the lifecycle's to refuse. Hints
and refusals read as a page says them, not as `qi` does."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import httpx

from api.pages.form_view import from_problems
from api.pages.forms import Control, Refers, command_form
from api.pages.hints import SPEAKS_OF_THE_CLI
from api.pages.rendering import long_date
from api.pages.urls import command_page
from models.commands import ConvenePanel, Event
from models.errors import Problem
from models.formats import describe_field
from models.intervention import State
from models.registry import COMMANDS
from models.vocabulary import ActionStatus
from tests import scenario
from tests.browser import chromium, require_browser
from tests.pages.command_pages import (
    beside,
    convened,
    errors_on,
    every_field,
    form_of,
    looked_at,
    serving,
    sign_in_to,
    started,
)
from tests.pages.conftest import titled
from tests.pages.stack import COORDINATOR, LiveSite

DASH = "\u2013"


def _choices(page: httpx.Response, name: str) -> list[tuple[str, str]]:
    """The radios named `name` on the page: (value, label)."""
    found = re.findall(rf'<input class="nhsuk-radios__input"[^>]*name="{name}" type="radio" '
                       r'value="([^"]*)"[^>]*>\s*<label[^>]*>(.*?)</label>', page.text, re.S)
    return [(value, html.unescape(" ".join(label.split()))) for value, label in found]


def _text(page: httpx.Response) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page.text).split()))


# -- the forms ---------------------------------------------------------------------------------


def test_every_field_naming_an_item_is_chosen_not_typed() -> None:
    fields = [f for event in COMMANDS for f in every_field(command_form(event).fields)]
    naming = [f for f in fields if f.name.endswith("_id")]

    assert {f.name for f in naming} == {"meeting_id", "finding_id", "action_id"}
    assert all(f.control is Control.REFERENCE and f.refers is not None for f in naming)
    assert {f.refers for f in naming} == set(Refers)
    assert all(f.control is not Control.REFERENCE for f in fields if f not in naming)
    assert [f.label for f in command_form(Event.accept_action).fields][:1] == ["Action"]


def test_no_hint_on_any_form_speaks_of_the_cli_and_the_cli_keeps_its_words() -> None:
    hints = {(event, f.name or f.label): f.hint for event in COMMANDS
             for f in every_field(command_form(event).fields)}
    members = describe_field(ConvenePanel.model_fields["members"])

    assert {k: h for k, h in hints.items() if SPEAKS_OF_THE_CLI.search(h)} == {}
    # What `qi` prints is the contract's description, as it was.
    assert SPEAKS_OF_THE_CLI.search(members)
    assert "`qi types TYPE`" in members
    assert "interests_declared=yes" in members
    assert "“Conflict: Managed”" in hints[(Event.convene_panel, "members")]


def test_a_refusal_reads_its_codes_and_settings_as_words() -> None:
    [refusal] = from_problems([Problem(field="members", rule=(
        "Dr M. Hale has the e-mail of the provider's lead: declare the conflict of interest "
        "(conflict=managed, or conflicted and left off the panel), not none; the panel needs "
        "a member in the role subject_expert"))])

    assert refusal.text == (
        "Dr M. Hale has the e-mail of the provider's lead: declare the conflict of interest "
        "(“Conflict: Managed”, or conflicted and left off the panel), not none; the panel "
        "needs a member in the role subject expert")


# -- the pages, over a real service ------------------------------------------------------------


async def test_the_panel_form_says_what_the_type_asks_and_its_rules_in_words(
        live_site: LiveSite) -> None:
    _, urgent = await started(live_site)
    programme = await live_site.service.start(scenario.start_request("programme_review"))

    async with live_site.signed_in(COORDINATOR) as browser:
        urgent_page = await browser.get(command_page(urgent, Event.convene_panel))
        programme_page = await browser.get(command_page(
            programme.data.reference or "", Event.convene_panel))

    text = _text(urgent_page)
    assert ("The panel of an Urgent Risk Review needs a senior panel member, a subject expert "
            "and an external member.") in text
    assert "“Interests declared" not in text  # the panel's hint is the page's own
    assert "qi types" not in text
    needs = text.split("To be accepted, this needs:", 1)[1].split("Members", 1)[0]
    assert "A chair must be named" in needs
    assert "_" not in needs  # codes are in words
    assert ("The chair of a Programme Review must be a clinical faculty."
            in _text(programme_page))


async def test_a_booked_meeting_is_chosen_by_its_day_and_format_to_be_moved(
        live_site: LiveSite) -> None:
    intervention_id, reference = await convened(live_site)
    first, second = (scenario.today() + timedelta(days=n) for n in (7, 14))
    for day, kind in ((first, "face_to_face"), (second, "virtual")):
        await live_site.service.command(intervention_id, Event.schedule_meeting, {
            "actor": COORDINATOR, "scheduled_on": day.isoformat(), "format": kind})
    await live_site.service.command(intervention_id, Event.record_meeting,
                                    scenario.meeting(meeting_id="M1"))
    path = command_page(reference, Event.reschedule_meeting)
    moved_to = scenario.today() + timedelta(days=21)

    async with live_site.signed_in(COORDINATOR) as browser:
        page = await browser.get(path)
        done = await browser.post(path, data=form_of(
            page, meeting_id="M2", scheduled_on=f"{moved_to:%d/%m/%Y}"))

    # M1 has been held: only M2 is booked and waiting.
    assert _choices(page, "meeting_id") == [
        ("M2", f"M2 {DASH} booked for {long_date(second)}, virtual")]
    assert 'name="meeting_id" type="text"' not in page.text
    assert done.status_code == 303, done.text
    meeting = (await live_site.service.status(intervention_id)).data.meeting("M2")
    assert meeting is not None
    assert meeting.scheduled_on == moved_to


async def test_a_meeting_held_is_one_booked_or_one_that_was_not(live_site: LiveSite) -> None:
    intervention_id, reference = await convened(live_site)
    path = command_page(reference, Event.record_meeting)
    day = scenario.today() + timedelta(days=3)

    async with live_site.signed_in(COORDINATOR) as browser:
        unbooked = await browser.get(path)
        await live_site.service.command(intervention_id, Event.schedule_meeting, {
            "actor": COORDINATOR, "scheduled_on": day.isoformat(), "format": "face_to_face"})
        booked = await browser.get(path)
        done = await browser.post(path, data=form_of(
            booked, meeting_id="M1", held_on="today", format="face_to_face",
            **{"attendance-learners": "8"}))

    assert _choices(unbooked, "meeting_id") == []
    assert ("No meeting is booked and waiting to be held, so this records a meeting that was "
            "not booked.") in _text(unbooked)
    assert _choices(booked, "meeting_id") == [
        ("M1", f"M1 {DASH} booked for {long_date(day)}, in person"), ("", "It was not booked")]
    assert done.status_code == 303, done.text
    meetings = (await live_site.service.status(intervention_id)).data.meetings
    assert [(m.id, m.held_on) for m in meetings] == [("M1", scenario.today())]


async def test_an_action_answers_a_finding_chosen_by_its_class_and_words(
        live_site: LiveSite) -> None:
    intervention_id, reference = await convened(live_site)
    long_text = ("Supervision gaps on every night shift in the emergency department, reported "
                 "by learners and supervisors alike")
    await live_site.service.command(intervention_id, Event.record_meeting, scenario.meeting(
        immediate_mandatory_requirements=[long_text]))
    path = command_page(reference, Event.add_action)

    async with live_site.signed_in(COORDINATOR) as browser:
        before_report = await browser.get(path)
        await live_site.service.command(intervention_id, Event.issue_report, scenario.report())
        after_report = await browser.get(path)

    imr = (f"F1 {DASH} Immediate mandatory requirement: Supervision gaps on every night shift "
           "in the emergency…")
    assert _choices(before_report, "finding_id") == [("F1", imr)]
    # After the report, any finding but good practice (F3) may be answered.
    assert _choices(after_report, "finding_id") == [
        ("F1", imr), ("F2", f"F2 {DASH} Mandatory requirement: Night-time supervision rota")]


async def _tracking(live_site: LiveSite) -> tuple[str, str, date]:
    """An Urgent Risk Review tracking two open actions, A1 and A2, due on the day returned."""
    intervention_id, reference = await started(live_site)
    due = scenario.today() + timedelta(days=30)
    for event, payload in scenario.tracking_path(on=scenario.today(), due_on=due, actions=2):
        await live_site.service.command(intervention_id, event, payload)
    return intervention_id, reference, due


async def test_only_open_actions_are_offered_and_none_is_said_in_a_sentence(
        live_site: LiveSite) -> None:
    intervention_id, reference, due = await _tracking(live_site)
    accept = command_page(reference, Event.accept_action)
    progress = command_page(reference, Event.record_action_progress)
    owner = "owner Dr Morgan Hale"
    what = "Publish a rota with a named senior on every night shift"

    async with live_site.signed_in(COORDINATOR) as browser:
        both = await browser.get(accept)
        done = await browser.post(accept, data=form_of(both, action_id="A1",
                                                       evidence="March rota published"))
        one = await browser.get(accept)
        await live_site.service.command(intervention_id, Event.transfer_action, {
            "actor": COORDINATOR, "action_id": "A2", "transferred_to": "Trust board log",
            "reason": "Owned by the trust board"})
        none = await browser.get(progress)

    dated = long_date(due)
    assert _choices(both, "action_id") == [
        ("A1", f"A1 {DASH} {what}, {owner}, due {dated}"),
        ("A2", f"A2 {DASH} {what}, {owner}, due {dated}")]
    assert done.status_code == 303, done.text
    assert _choices(one, "action_id") == [("A2", f"A2 {DASH} {what}, {owner}, due {dated}")]
    assert _choices(none, "action_id") == []
    assert 'name="action_id"' not in none.text
    assert "There is no open action." in _text(none)


async def test_an_item_not_offered_is_still_the_lifecycles_to_refuse(
        live_site: LiveSite) -> None:
    intervention_id, reference, _ = await _tracking(live_site)
    await live_site.service.command(intervention_id, Event.accept_action, {
        "actor": COORDINATOR, "action_id": "A1", "evidence": "March rota published"})
    path = command_page(reference, Event.accept_action)

    async with live_site.signed_in(COORDINATOR) as browser:
        page = await browser.get(path)
        settled = await browser.post(path, data=form_of(page, action_id="A1",
                                                        evidence="Again"))
        unknown = await browser.post(path, data=form_of(settled, action_id="A9",
                                                        evidence="Made up"))
        unchosen = await browser.post(path, data=form_of(unknown, evidence="Nothing chosen"))

    assert _choices(page, "action_id") == [("A2", _choices(page, "action_id")[0][1])]
    assert settled.status_code == 409
    assert errors_on(settled) == [("#action_id", "Action A1 is already accepted")]
    assert beside(settled, "action_id") == "Action A1 is already accepted"
    assert unknown.status_code == 422
    assert errors_on(unknown) == [
        ("#action_id", "No action 'A9' in this intervention (known: A1, A2)")]
    assert unchosen.status_code == 422
    assert errors_on(unchosen) == [("#action_id", "Select the action")]
    data = (await live_site.service.status(intervention_id)).data
    assert data.state is State.actions_tracked
    assert [(a.id, a.status, a.evidence) for a in data.actions] == [
        ("A1", ActionStatus.ACCEPTED, "March rota published"), ("A2", ActionStatus.OPEN, None)]


async def test_the_choices_and_the_sentence_in_chromium_have_no_accessibility_violation(
        live_site: LiveSite) -> None:
    require_browser()
    from playwright.async_api import expect

    intervention_id, reference, _ = await _tracking(live_site)
    async with serving(live_site.app) as served, chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in_to(page, served, COORDINATOR)
        await page.goto(f"{served}{command_page(reference, Event.accept_action)}")
        await expect(page.get_by_role("group", name="Action")).to_be_visible()
        await looked_at(page, "accept-action", titled(f"Accept action, {reference}"))
        for action_id in ("A1", "A2"):
            await live_site.service.command(intervention_id, Event.accept_action, {
                "actor": COORDINATOR, "action_id": action_id, "evidence": "Done"})
        await page.goto(f"{served}{command_page(reference, Event.transfer_action)}")
        await expect(page.get_by_text("There is no open action.")).to_be_visible()
        await looked_at(page, "transfer-action-none",
                        titled(f"Transfer action, {reference}"))
