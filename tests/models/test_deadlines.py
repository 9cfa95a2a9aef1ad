"""Which deadlines each command starts and meets, and when they fall due in working days.

Due dates are worked out by hand on the England and Wales bank-holiday calendar (Easter 2026:
3 and 6 April; early May: 4 May; spring: 25 May).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from models.calendar import ENGLAND_AND_WALES
from models.commands import (
    AddAction,
    AgreeActionPlan,
    Close,
    ConvenePanel,
    Escalate,
    Event,
    IssueReport,
    RecordMeeting,
)
from models.deadlines import (
    DeadlineRequest,
    apply_deadlines,
    plan,
)
from models.intervention import (
    Attendance,
    Deadline,
    Finding,
    InterventionData,
    Meeting,
    PanelMember,
    Report,
    State,
)
from models.registry import deadlines_met, deadlines_started
from models.vocabulary import EscalationLevel, FindingCategory, MeetingFormat, PanelRole

K = Event  # commands
Build = Callable[..., InterventionData]
IMR = FindingCategory.IMMEDIATE_MANDATORY_REQUIREMENT

CONVENE = ConvenePanel(
    actor="qt.officer",
    members=[
        PanelMember(
            name="Chris Chair",
            email="chair@panel.example.nhs.uk",
            roles=(PanelRole.SENIOR_PANEL_MEMBER,),
            interests_declared=True,
        )
    ],
    chair="Chris Chair",
)


def _held(meeting_id: str, on: date) -> Meeting:
    return Meeting(
        id=meeting_id, format=MeetingFormat.VIRTUAL, held_on=on, attendance=Attendance(learners=4)
    )


def _imr(finding_id: str, on: date) -> Finding:
    return Finding(id=finding_id, category=IMR, text="Senior cover at night.", raised_on=on)


def _open(kind: str, due_on: date, set_on: date, subject: str = "") -> Deadline:
    return Deadline.model_validate(
        {"kind": kind, "subject": subject, "due_on": due_on, "set_on": set_on}
    )


def _record(held_on: date) -> RecordMeeting:
    return RecordMeeting(
        actor="qt.officer",
        held_on=held_on,
        format=MeetingFormat.VIRTUAL,
        attendance=Attendance(learners=4),
    )


def _add_action(finding_id: str) -> AddAction:
    return AddAction(
        actor="qt.officer",
        finding_id=finding_id,
        description="Put a named senior on call every night.",
        owner_name="Dana Okafor",
        owner_email="dme@provider.example.nhs.uk",
        due_on=date(2026, 4, 20),
    )


@pytest.mark.parametrize(
    ("type_code", "working_days", "due_on"),
    [("urgent_risk_review", 5, date(2026, 3, 9)), ("programme_review", 10, date(2026, 3, 16))],
)
def test_start_plans_convene_panel_from_the_start_date(
    intervention: Build, type_code: str, working_days: int, due_on: date
) -> None:
    data = intervention(type_code)
    started = date(2026, 3, 2)

    requests = deadlines_started(None, data, None, started)

    assert requests == [
        DeadlineRequest(kind="convene_panel", anchor=started, working_days=working_days)
    ]
    assert plan(requests, started, ENGLAND_AND_WALES) == [_open("convene_panel", due_on, started)]


@pytest.mark.parametrize(
    ("type_code", "due_on"),
    [("urgent_risk_review", date(2026, 4, 16)), ("programme_review", date(2026, 4, 30))],
)
def test_convene_panel_meets_its_deadline_and_plans_the_first_meeting(
    intervention: Build, type_code: str, due_on: date
) -> None:
    convened = date(2026, 3, 31)  # the Tuesday before Easter
    before = intervention(type_code, deadlines=[_open("convene_panel", convened, date(2026, 3, 2))])
    after = before.model_copy(deep=True, update={"state": State.panel_convened})

    requests = deadlines_started(before, after, K.convene_panel, convened)
    planned = plan(requests, convened, ENGLAND_AND_WALES)
    met = deadlines_met(K.convene_panel, CONVENE, after)
    apply_deadlines(after, met, planned, convened)

    assert met == {("convene_panel", "")}
    assert after.deadlines == [
        _open("convene_panel", convened, date(2026, 3, 2)).model_copy(update={"met_on": convened}),
        _open("first_meeting", due_on, convened),
    ]


def test_first_meeting_plans_draft_and_final_report_and_each_imr_response(
    intervention: Build,
) -> None:
    held = date(2026, 4, 15)
    first_meeting = _open("first_meeting", date(2026, 4, 16), date(2026, 3, 31))
    before = intervention(state=State.panel_convened, deadlines=[first_meeting])
    after = before.model_copy(
        deep=True,
        update={
            "state": State.meetings_held,
            "meetings": [_held("M1", held)],
            "findings": [_imr("F1", held), _imr("F2", held)],
        },
    )

    requests = deadlines_started(before, after, K.record_meeting, held)
    planned = plan(requests, held, ENGLAND_AND_WALES)
    apply_deadlines(after, deadlines_met(K.record_meeting, _record(held), after), planned, held)

    assert [(r.kind, r.subject, r.working_days) for r in requests] == [
        ("draft_report", "", 15),
        ("final_report", "", 35),
        ("imr_response", "F1", 5),
        ("imr_response", "F2", 5),
    ]
    assert after.deadlines == [
        first_meeting.model_copy(update={"met_on": held}),
        _open("draft_report", date(2026, 5, 7), held),
        _open("final_report", date(2026, 6, 5), held),
        _open("imr_response", date(2026, 4, 22), held, subject="F1"),
        _open("imr_response", date(2026, 4, 22), held, subject="F2"),
    ]


def test_a_later_meeting_moves_the_draft_report_and_keeps_the_final_report(
    intervention: Build,
) -> None:
    first, second = date(2026, 4, 15), date(2026, 5, 6)
    final_report = _open("final_report", date(2026, 6, 5), first)
    before = intervention(
        state=State.meetings_held,
        meetings=[_held("M1", first)],
        deadlines=[_open("draft_report", date(2026, 5, 7), first), final_report],
    )
    meetings = [_held("M1", first), _held("M2", second)]
    after = before.model_copy(deep=True, update={"meetings": meetings})

    requests = deadlines_started(before, after, K.record_meeting, second)
    met = deadlines_met(K.record_meeting, _record(second), after)
    apply_deadlines(after, met, plan(requests, second, ENGLAND_AND_WALES), second)

    assert [r.kind for r in requests] == ["draft_report"]
    assert after.deadlines == [final_report, _open("draft_report", date(2026, 5, 28), second)]


def test_adding_an_action_for_an_imr_meets_that_imr_deadline_only(intervention: Build) -> None:
    raised, today = date(2026, 4, 15), date(2026, 4, 17)
    f1 = _open("imr_response", date(2026, 4, 22), raised, subject="F1")
    f2 = _open("imr_response", date(2026, 4, 22), raised, subject="F2")
    after = intervention(state=State.meetings_held, deadlines=[f1, f2])

    requests = deadlines_started(after, after, K.add_action, today)
    met = deadlines_met(K.add_action, _add_action("F1"), after)
    apply_deadlines(after, met, plan(requests, today, ENGLAND_AND_WALES), today)

    assert requests == []
    assert met == {("imr_response", "F1")}
    assert after.deadlines == [f1.model_copy(update={"met_on": today}), f2]


def test_issue_report_meets_the_report_deadlines_and_plans_the_action_plan(
    intervention: Build,
) -> None:
    issued = date(2026, 6, 1)
    draft = _open("draft_report", date(2026, 5, 28), date(2026, 5, 6))
    final = _open("final_report", date(2026, 6, 5), date(2026, 4, 15))
    before = intervention(state=State.meetings_held, deadlines=[draft, final])
    after = before.model_copy(
        deep=True,
        update={
            "state": State.report_issued,
            "report": Report(final=True, factual_accuracy_closed_on=issued, issued_on=issued),
        },
    )

    requests = deadlines_started(before, after, K.issue_report, issued)
    issue = IssueReport(actor="qt.officer", final=True, factual_accuracy_closed_on=issued)
    met = deadlines_met(K.issue_report, issue, after)
    apply_deadlines(after, met, plan(requests, issued, ENGLAND_AND_WALES), issued)

    assert requests == [DeadlineRequest(kind="action_plan", anchor=issued, working_days=20)]
    assert after.deadlines == [
        draft.model_copy(update={"met_on": issued}),
        final.model_copy(update={"met_on": issued}),
        _open("action_plan", date(2026, 6, 29), issued),
    ]


def test_agree_action_plan_meets_the_action_plan_deadline(intervention: Build) -> None:
    agreed = date(2026, 6, 20)
    after = intervention(
        state=State.actions_tracked, deadlines=[_open("action_plan", date(2026, 6, 29), agreed)]
    )

    assert deadlines_met(K.agree_action_plan, AgreeActionPlan(actor="qt.officer"), after) == {
        ("action_plan", "")
    }


@pytest.mark.parametrize("state", [State.closed, State.cancelled], ids=str)
def test_a_terminal_state_meets_every_open_deadline(intervention: Build, state: State) -> None:
    today = date(2026, 7, 1)
    done = _open("convene_panel", date(2026, 3, 9), date(2026, 3, 2)).model_copy(
        update={"met_on": date(2026, 3, 5)}
    )
    still_open = [
        _open("first_meeting", date(2026, 3, 19), date(2026, 3, 5)),
        _open("imr_response", date(2026, 4, 22), date(2026, 4, 15), subject="F2"),
    ]
    after = intervention(state=state, deadlines=[done, *still_open])

    met = deadlines_met(K.close, Close(actor="qt.officer"), after)
    apply_deadlines(after, met, [], today)

    assert met == {("first_meeting", ""), ("imr_response", "F2")}
    assert after.deadlines == [done, *(d.model_copy(update={"met_on": today}) for d in still_open)]
    assert after.open_deadlines == []


def test_a_command_without_deadlines_starts_and_meets_none(intervention: Build) -> None:
    data = intervention(state=State.meetings_held)
    escalate = Escalate(actor="qt.officer", level=EscalationLevel.DEAN, reason="No reply.")

    assert deadlines_started(data, data, K.escalate, date(2026, 4, 20)) == []
    assert deadlines_met(K.escalate, escalate, data) == set()
