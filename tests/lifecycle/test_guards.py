"""Each guard refuses with the field at fault and the rule, in a coordinator's words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from models.catalogue import Catalogue
from models.commands import (
    ApproveClosure,
    ConvenePanel,
    Event,
    FindingInput,
    IssueReport,
    RescheduleMeeting,
    ScheduleMeeting,
    StartIntervention,
)
from models.errors import ErrorType, Problem, ProblemError
from models.guards import start_problems
from models.intervention import Attendance, Concern, Meeting, PanelMember, State
from models.lifecycle import Lifecycle
from models.vocabulary import (
    ActionStatus,
    ApproverRole,
    ConflictStatus,
    FindingCategory,
    MeetingFormat,
    PanelRole,
)

if TYPE_CHECKING:
    from tests.lifecycle.conftest import Journey

Member = Callable[..., PanelMember]
R = PanelRole


def _convene(members: list[PanelMember], chair: str) -> ConvenePanel:
    return ConvenePanel(actor="qt.officer", members=members, chair=chair)


# -- convene_panel -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "missing", [R.SENIOR_PANEL_MEMBER, R.SUBJECT_EXPERT, R.EXTERNAL_MEMBER], ids=str
)
def test_convene_refused_when_urgent_panel_lacks_a_required_role(
    urgent: Journey, panel_member: Member, missing: PanelRole
) -> None:
    roles = [R.SENIOR_PANEL_MEMBER, R.SUBJECT_EXPERT, R.EXTERNAL_MEMBER]
    roles.remove(missing)
    panel = [panel_member("Chris Chair", roles[0]), panel_member("Kim Other", roles[1])]

    problems = urgent.refused(Event.convene_panel, _convene(panel, "Chris Chair"))

    assert problems == [
        Problem(field="members", rule=f"the panel needs a member in the role {missing} "
                "(required for Urgent Risk Review)")
    ]


def test_convene_accepted_when_urgent_panel_has_every_required_role(
    urgent: Journey, panel_member: Member
) -> None:
    panel = [
        panel_member("Chris Chair", R.SENIOR_PANEL_MEMBER),
        panel_member("Kim Expert", R.SUBJECT_EXPERT, R.EXTERNAL_MEMBER),
    ]
    assert urgent.do(Event.convene_panel, _convene(panel, "Chris Chair")) is State.panel_convened


def test_convene_refused_when_programme_review_chair_is_not_clinical_faculty(
    journey: Callable[[str], Journey], panel_member: Member
) -> None:
    review = journey("programme_review")
    panel = [
        panel_member("Chris Chair", R.SENIOR_PANEL_MEMBER),
        panel_member("Fay Faculty", R.CLINICAL_FACULTY),
    ]

    problems = review.refused(Event.convene_panel, _convene(panel, "Chris Chair"))

    assert problems == [
        Problem(field="chair", rule="a Programme Review is led by a clinical_faculty")
    ]


def test_convene_accepted_when_programme_review_is_chaired_by_clinical_faculty(
    journey: Callable[[str], Journey], panel_member: Member
) -> None:
    review = journey("programme_review")
    panel = [
        panel_member("Chris Chair", R.SENIOR_PANEL_MEMBER),
        panel_member("Fay Faculty", R.CLINICAL_FACULTY),
    ]
    assert review.do(Event.convene_panel, _convene(panel, "Fay Faculty")) is State.panel_convened


def test_convene_refused_when_learner_educator_panel_lacks_lay_representative(
    journey: Callable[[str], Journey], panel_member: Member
) -> None:
    review = journey("learner_educator_review")
    panel = [panel_member("Chris Chair", R.SENIOR_PANEL_MEMBER, R.LEARNER_REPRESENTATIVE)]

    problems = review.refused(Event.convene_panel, _convene(panel, "Chris Chair"))

    assert problems == [
        Problem(field="members", rule="the panel needs a member in the role lay_representative "
                "(required for Learner/Educator Review)")
    ]


def test_convene_refused_when_chair_is_conflicted(urgent: Journey, panel_member: Member) -> None:
    panel = [
        panel_member("Chris Chair", R.SUBJECT_EXPERT, conflict=ConflictStatus.CONFLICTED),
        panel_member("Sol Senior", R.SENIOR_PANEL_MEMBER, R.SUBJECT_EXPERT, R.EXTERNAL_MEMBER),
    ]

    problems = urgent.refused(Event.convene_panel, _convene(panel, "Chris Chair"))

    assert Problem(
        field="chair",
        rule="the chair Chris Chair is conflicted; choose an unconflicted chair",
    ) in problems


def test_convene_refused_when_chair_has_a_managed_conflict(
    urgent: Journey, panel_member: Member
) -> None:
    panel = [
        panel_member("Chris Chair", R.SENIOR_PANEL_MEMBER, conflict=ConflictStatus.MANAGED),
        panel_member("Sol Senior", R.SUBJECT_EXPERT, R.EXTERNAL_MEMBER),
    ]

    problems = urgent.refused(Event.convene_panel, _convene(panel, "Chris Chair"))

    assert problems == [
        Problem(
            field="chair",
            rule="the chair Chris Chair has a managed conflict of interest; "
            "choose an unconflicted chair",
        )
    ]


def test_convene_refused_when_a_conflicted_member_is_included(
    urgent: Journey, panel_member: Member
) -> None:
    panel = [
        panel_member("Chris Chair", R.SENIOR_PANEL_MEMBER, R.SUBJECT_EXPERT, R.EXTERNAL_MEMBER),
        panel_member("Con Flicted", R.NOTE_TAKER, conflict=ConflictStatus.CONFLICTED),
    ]

    problems = urgent.refused(Event.convene_panel, _convene(panel, "Chris Chair"))

    assert problems == [
        Problem(field="members", rule="Con Flicted is conflicted and must be left off the panel")
    ]


def test_convene_ignores_roles_of_conflicted_members(urgent: Journey, panel_member: Member) -> None:
    panel = [
        panel_member("Chris Chair", R.SENIOR_PANEL_MEMBER, R.SUBJECT_EXPERT),
        panel_member("Con Flicted", R.EXTERNAL_MEMBER, conflict=ConflictStatus.CONFLICTED),
    ]

    problems = urgent.refused(Event.convene_panel, _convene(panel, "Chris Chair"))

    assert Problem(
        field="members", rule="the panel needs a member in the role external_member "
        "(required for Urgent Risk Review)"
    ) in problems


def test_convene_accepted_with_a_managed_conflict_on_a_member(
    urgent: Journey, panel_member: Member
) -> None:
    panel = [
        panel_member("Chris Chair", R.SENIOR_PANEL_MEMBER, R.EXTERNAL_MEMBER),
        panel_member("Mo Managed", R.SUBJECT_EXPERT, conflict=ConflictStatus.MANAGED),
    ]
    assert urgent.do(Event.convene_panel, _convene(panel, "Chris Chair")) is State.panel_convened


def test_convene_refused_when_interests_not_declared(urgent: Journey, panel_member: Member) -> None:
    panel = [
        panel_member("Chris Chair", R.SENIOR_PANEL_MEMBER, R.SUBJECT_EXPERT),
        panel_member("Ext Ernal", R.EXTERNAL_MEMBER, declared=False),
    ]

    problems = urgent.refused(Event.convene_panel, _convene(panel, "Chris Chair"))

    assert problems == [Problem(field="members", rule="Ext Ernal has not declared interests")]


def test_convene_refused_when_chair_is_not_a_member(urgent: Journey, panel_member: Member) -> None:
    panel = [
        panel_member("Chris Chair", R.SENIOR_PANEL_MEMBER, R.SUBJECT_EXPERT, R.EXTERNAL_MEMBER)
    ]

    problems = urgent.refused(Event.convene_panel, _convene(panel, "Zoe Outsider"))

    assert problems == [
        Problem(field="chair", rule="the chair 'Zoe Outsider' must be a panel member")
    ]


# -- meetings ----------------------------------------------------------------------------------


def test_record_meeting_refused_without_attendance(urgent: Journey) -> None:
    urgent.reach(State.panel_convened)
    command = urgent.command(Event.record_meeting).model_copy(update={"attendance": Attendance()})

    problems = urgent.refused(Event.record_meeting, command)

    assert problems == [
        Problem(
            field="attendance",
            rule=f"the meeting held on {command.held_on} needs attendance counts (learners, "
            "supervisors, leaders); none were given",
        )
    ]


def test_record_meeting_refused_when_held_in_the_future(urgent: Journey) -> None:
    urgent.reach(State.panel_convened)
    tomorrow = urgent.today + timedelta(days=1)
    command = urgent.command(Event.record_meeting).model_copy(update={"held_on": tomorrow})

    problems = urgent.refused(Event.record_meeting, command)

    assert problems == [
        Problem(
            field="held_on",
            rule=f"a meeting is recorded as held on a day between the start (2026-03-02) and "
            f"today ({urgent.today}), not {tomorrow}",
        )
    ]


def test_record_meeting_refused_when_held_before_the_start(urgent: Journey) -> None:
    urgent.reach(State.panel_convened)
    command = urgent.command(Event.record_meeting).model_copy(
        update={"held_on": urgent.data.started_at.date() - timedelta(days=1)}
    )

    problems = urgent.refused(Event.record_meeting, command)

    assert [p.field for p in problems] == ["held_on"]


def test_schedule_meeting_refused_in_the_past(urgent: Journey) -> None:
    urgent.reach(State.panel_convened)
    command = ScheduleMeeting(
        actor="qt.officer",
        scheduled_on=urgent.today - timedelta(days=1),
        format=MeetingFormat.VIRTUAL,
    )

    problems = urgent.refused(Event.schedule_meeting, command)

    assert problems == [
        Problem(field="scheduled_on", rule="meeting M1 cannot be scheduled in the past")
    ]


def test_schedule_meeting_not_blocked_by_an_earlier_meeting_that_did_not_happen(
    urgent: Journey,
) -> None:
    urgent.reach(State.panel_convened)
    lapsed = urgent.today + timedelta(days=7)
    urgent.do(Event.schedule_meeting)
    urgent.wait(14)  # the meeting was postponed and never recorded as held
    rebooked = urgent.today + timedelta(days=7)

    assert urgent.do(Event.schedule_meeting) is State.panel_convened
    assert [m.scheduled_on for m in urgent.data.meetings] == [lapsed, rebooked]


def test_reschedule_meeting_refused_into_the_past(urgent: Journey) -> None:
    urgent.reach(State.panel_convened)
    urgent.do(Event.schedule_meeting)  # M1
    urgent.do(Event.schedule_meeting)  # M2
    command = RescheduleMeeting(
        actor="qt.officer", meeting_id="M1", scheduled_on=urgent.today - timedelta(days=1)
    )

    problems = urgent.refused(Event.reschedule_meeting, command)

    assert problems == [
        Problem(field="scheduled_on", rule="meeting M1 cannot be scheduled in the past")
    ]


def test_reschedule_moves_the_meeting_and_notes_when_it_was_rebooked(urgent: Journey) -> None:
    urgent.reach(State.panel_convened)
    urgent.do(Event.schedule_meeting)
    urgent.wait(3)
    rebooked_on, new_date = urgent.today, urgent.today + timedelta(days=21)
    command = RescheduleMeeting(actor="qt.officer", meeting_id="M1", scheduled_on=new_date)

    assert urgent.do(Event.reschedule_meeting, command) is State.panel_convened
    meeting = urgent.data.meetings[0]
    assert (meeting.scheduled_on, meeting.booked_on) == (new_date, rebooked_on)


def test_reschedule_refused_for_a_meeting_already_held(urgent: Journey) -> None:
    urgent.reach(State.meetings_held)
    command = RescheduleMeeting(
        actor="qt.officer", meeting_id="M1", scheduled_on=urgent.today + timedelta(days=7)
    )

    problems = urgent.refused(Event.reschedule_meeting, command)

    assert problems == [Problem(field="meeting_id", rule="meeting M1 has already been held")]


def test_reschedule_of_an_unknown_meeting_names_the_reference(urgent: Journey) -> None:
    urgent.reach(State.panel_convened)
    command = RescheduleMeeting(
        actor="qt.officer", meeting_id="M7", scheduled_on=urgent.today + timedelta(days=7)
    )

    with pytest.raises(ProblemError) as caught:
        urgent.do(Event.reschedule_meeting, command)

    assert caught.value.error_type is ErrorType.UNKNOWN_REFERENCE
    assert caught.value.problems == [
        Problem(field="meeting_id", rule="no meeting 'M7' in this intervention")
    ]


# -- clock -------------------------------------------------------------------------------------


def test_pause_refused_while_already_paused(urgent: Journey) -> None:
    paused_on = urgent.today
    urgent.do(Event.pause_clock)

    problems = urgent.refused(Event.pause_clock, urgent.command(Event.pause_clock))

    assert problems == [
        Problem(field="command", rule=f"the clock is already paused (since {paused_on})")
    ]


def test_resume_refused_when_the_clock_is_not_paused(urgent: Journey) -> None:
    problems = urgent.refused(Event.resume_clock, urgent.command(Event.resume_clock))

    assert problems == [Problem(field="command", rule="the clock is not paused")]


def test_resume_ends_the_open_pause(urgent: Journey) -> None:
    paused_on = urgent.today
    urgent.do(Event.pause_clock)
    urgent.wait(9)
    resumed_on = urgent.today

    urgent.do(Event.resume_clock)

    assert urgent.data.paused_since is None
    assert [(p.since, p.until) for p in urgent.data.pauses] == [(paused_on, resumed_on)]


# -- report ------------------------------------------------------------------------------------


def _report(journey: Journey, **changes: object) -> IssueReport:
    return journey.command(Event.issue_report).model_copy(update=changes)


def test_issue_report_refused_when_not_final(urgent: Journey) -> None:
    urgent.reach(State.meetings_held)

    problems = urgent.refused(Event.issue_report, _report(urgent, final=False))

    assert problems == [Problem(field="final", rule="only a final report can be issued")]


def test_issue_report_refused_with_an_unclassified_finding(urgent: Journey) -> None:
    urgent.reach(State.meetings_held)
    findings = [FindingInput(category=None, text="Rota gaps at weekends.")]

    problems = urgent.refused(Event.issue_report, _report(urgent, findings=findings))

    assert problems == [
        Problem(
            field="findings",
            rule="finding F2 must be classed (good_practice, concern, "
            "immediate_mandatory_requirement, mandatory_requirement, recommendation)",
        )
    ]


def test_issue_report_refused_without_any_finding(
    journey: Callable[[str], Journey],
) -> None:
    review = journey("sharing_good_practice").reach(State.panel_convened)
    meeting = review.command(Event.record_meeting).model_copy(
        update={"immediate_mandatory_requirements": []}
    )
    review.do(Event.record_meeting, meeting)

    problems = review.refused(Event.issue_report, _report(review, findings=[]))

    assert problems == [Problem(field="findings", rule="a report needs at least one finding")]


@pytest.mark.parametrize("days_ahead", [1, None], ids=["closes-tomorrow", "no-date"])
def test_issue_report_refused_while_factual_accuracy_window_open(
    urgent: Journey, days_ahead: int | None
) -> None:
    urgent.reach(State.meetings_held)
    closes = None if days_ahead is None else urgent.today + timedelta(days=days_ahead)

    problems = urgent.refused(
        Event.issue_report, _report(urgent, factual_accuracy_closed_on=closes)
    )

    assert problems == [
        Problem(
            field="factual_accuracy_closed_on",
            rule="the factual-accuracy window must have closed (a date on or before today)",
        )
    ]


def test_issued_report_adds_its_findings_after_those_raised_at_meetings(urgent: Journey) -> None:
    urgent.reach(State.meetings_held)
    urgent.do(Event.issue_report)
    assert [(f.id, f.category) for f in urgent.data.findings] == [
        ("F1", FindingCategory.IMMEDIATE_MANDATORY_REQUIREMENT),
        ("F2", FindingCategory.MANDATORY_REQUIREMENT),
        ("F3", FindingCategory.RECOMMENDATION),
        ("F4", FindingCategory.GOOD_PRACTICE),
    ]


# -- actions -----------------------------------------------------------------------------------


def test_agree_action_plan_refused_when_a_requirement_has_no_action(urgent: Journey) -> None:
    urgent.reach(State.meetings_held)
    urgent.do(Event.issue_report)  # F1 (from the meeting) and F2 are requirements
    urgent.do(Event.add_action, urgent.add_action("F1"))

    problems = urgent.refused(Event.agree_action_plan, urgent.command(Event.agree_action_plan))

    assert problems == [
        Problem(field="actions", rule="requirement F2 has no action with an owner and due date")
    ]


def test_add_action_refused_when_due_before_the_report(urgent: Journey) -> None:
    urgent.reach(State.meetings_held)
    urgent.do(Event.issue_report)
    issued = urgent.data.report.issued_on if urgent.data.report else None
    assert issued is not None

    problems = urgent.refused(
        Event.add_action, urgent.add_action("F2", due_on=issued - timedelta(days=1))
    )

    assert problems == [
        Problem(
            field="due_on", rule=f"action A1 must be due after the report was issued ({issued})"
        )
    ]


def test_add_action_refused_when_due_before_its_requirement_was_raised(urgent: Journey) -> None:
    urgent.reach(State.meetings_held)
    raised = urgent.data.findings[0].raised_on

    problems = urgent.refused(
        Event.add_action, urgent.add_action("F1", due_on=raised - timedelta(days=1))
    )

    assert problems == [
        Problem(
            field="due_on",
            rule=f"action A1 cannot be due before its requirement was raised ({raised})",
        )
    ]


def test_after_the_report_an_imr_action_still_cannot_predate_its_requirement(
    urgent: Journey,
) -> None:
    urgent.reach(State.meetings_held)
    urgent.do(Event.issue_report)
    imr = urgent.data.findings[0]
    assert imr.category is FindingCategory.IMMEDIATE_MANDATORY_REQUIREMENT

    problems = urgent.refused(
        Event.add_action, urgent.add_action(imr.id, due_on=imr.raised_on - timedelta(days=1))
    )

    assert problems == [
        Problem(
            field="due_on",
            rule=f"action A1 cannot be due before its requirement was raised ({imr.raised_on})",
        )
    ]


def test_close_refused_while_action_open(urgent: Journey) -> None:
    urgent.reach(State.actions_tracked)
    urgent.do(Event.accept_action)  # A1 accepted, A2 still open
    urgent.do(Event.approve_closure)

    problems = urgent.refused(Event.close, urgent.command(Event.close))

    assert problems == [
        Problem(
            field="actions",
            rule="action A2 is still open: accept it with evidence or transfer it with a reason",
        )
    ]


def test_close_allowed_when_open_actions_are_transferred(urgent: Journey) -> None:
    urgent.reach(State.actions_tracked)
    urgent.do(Event.accept_action)
    urgent.do(Event.transfer_action)
    urgent.do(Event.approve_closure)

    assert urgent.do(Event.close) is State.closed
    assert [a.status for a in urgent.data.actions] == [
        ActionStatus.ACCEPTED,
        ActionStatus.TRANSFERRED,
    ]


def test_close_refused_without_approval(urgent: Journey) -> None:
    urgent.reach(State.actions_tracked)
    while urgent.data.open_actions():
        urgent.do(Event.accept_action)

    problems = urgent.refused(Event.close, urgent.command(Event.close))

    assert problems == [
        Problem(
            field="closure_approval", rule="closure must first be approved by dean or dean_delegate"
        )
    ]


def test_urgent_closure_approval_refused_from_a_quality_lead(urgent: Journey) -> None:
    urgent.reach(State.actions_tracked)
    command = ApproveClosure(actor="quality.lead", role=ApproverRole.QUALITY_LEAD)

    problems = urgent.refused(Event.approve_closure, command)

    assert problems == [
        Problem(
            field="role",
            rule="closure of an Urgent Risk Review is approved by dean or dean_delegate, "
            "not quality_lead",
        )
    ]


def test_urgent_closure_approval_accepted_from_a_dean_delegate(urgent: Journey) -> None:
    urgent.reach(State.actions_tracked)
    command = ApproveClosure(actor="deputy.dean", role=ApproverRole.DEAN_DELEGATE)

    urgent.do(Event.approve_closure, command)

    approval = urgent.data.closure_approval
    assert approval is not None
    assert (approval.approver, approval.role) == ("deputy.dean", ApproverRole.DEAN_DELEGATE)


def test_programme_review_closure_approval_accepted_from_a_quality_lead(
    journey: Callable[[str], Journey],
) -> None:
    review = journey("programme_review").reach(State.actions_tracked)
    command = ApproveClosure(actor="quality.lead", role=ApproverRole.QUALITY_LEAD)

    assert review.do(Event.approve_closure, command) is State.actions_tracked


# -- cancel ------------------------------------------------------------------------------------


def test_cancel_refused_after_a_meeting(urgent: Journey) -> None:
    urgent.reach(State.meetings_held)

    problems = urgent.refused(Event.cancel, urgent.command(Event.cancel))

    assert problems == [
        Problem(
            field="command",
            rule="cancel is not allowed while the intervention is meetings_held; allowed now: "
            "schedule_meeting, reschedule_meeting, record_meeting, issue_report, add_action, "
            "escalate, pause_clock, resume_clock",
        )
    ]


def test_cancel_guard_refuses_when_a_meeting_was_held(urgent: Journey) -> None:
    urgent.reach(State.panel_convened)
    held = Meeting(
        id="M1",
        format=MeetingFormat.VIRTUAL,
        held_on=urgent.today,
        attendance=Attendance(learners=3),
    )
    data = urgent.data.model_copy(update={"meetings": [held]})

    problems = Lifecycle(State.panel_convened).refusals(Event.cancel, data, urgent.today)

    assert problems == [
        Problem(
            field="state", rule="an intervention cannot be cancelled once a meeting has been held"
        )
    ]


def test_cancel_allowed_with_a_meeting_only_scheduled(urgent: Journey) -> None:
    urgent.reach(State.panel_convened)
    urgent.do(Event.schedule_meeting)

    assert urgent.do(Event.cancel) is State.cancelled
    assert urgent.data.cancellation_reason == "Concern resolved before review."


# -- start -------------------------------------------------------------------------------------


def _start(catalogue: Catalogue, concern: Concern) -> StartIntervention:
    fields = {
        "intervention_id": "QI-2026-0002",
        "type": catalogue.get("urgent_risk_review"),
        "risk_bands": catalogue.risk_bands,
        "provider": {
            "code": "RXX",
            "name": "Example Hospitals NHS Foundation Trust",
            "site": "City General",
            "lead_name": "Sam Patel",
            "lead_email": "sam.patel@provider.example.nhs.uk",
        },
        "concern": concern,
        "coordinator": "qt.officer",
        "coordinator_email": "qt.officer@quality.example.nhs.uk",
    }
    return StartIntervention.model_validate(fields)


@pytest.mark.parametrize(
    ("likelihood", "impact", "described"), [(2, 3, "6 is moderate"), (1, 3, "3 is low")]
)
def test_start_refused_below_high_band_without_justification(
    catalogue: Catalogue, likelihood: int, impact: int, described: str
) -> None:
    concern = Concern(likelihood=likelihood, impact=impact, summary="Missed teaching")

    problems = start_problems(_start(catalogue, concern))

    assert problems == [
        Problem(
            field="concern.override_justification",
            rule=f"risk score {described}; below the high band (8+) an intervention needs a "
            "written justification",
        )
    ]


def test_start_accepted_below_high_band_with_justification(catalogue: Catalogue) -> None:
    concern = Concern(
        likelihood=1,
        impact=3,
        summary="Occasional missed teaching",
        override_justification="Third report this year from the same unit; dean asked for review.",
    )
    assert start_problems(_start(catalogue, concern)) == []


@pytest.mark.parametrize(("likelihood", "impact"), [(2, 4), (4, 3), (5, 5)])
def test_start_accepted_at_high_score_without_justification(
    catalogue: Catalogue, likelihood: int, impact: int
) -> None:
    concern = Concern(likelihood=likelihood, impact=impact, summary="Unsupervised night shifts")
    assert start_problems(_start(catalogue, concern)) == []

