"""The rules comparing people: a person is the same as another when their user names match or
their e-mails do (whatever the case), never because a typed name looks alike. Each refusal says
who, and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from models.commands import AcceptAction, ApproveClosure, ConvenePanel, Event
from models.errors import Problem
from models.intervention import PanelMember, State
from models.vocabulary import ApproverRole, ConflictStatus, PanelRole

if TYPE_CHECKING:
    from tests.lifecycle.conftest import Journey

Member = Callable[..., PanelMember]
R = PanelRole
# The provider of every lifecycle test (tests/lifecycle/conftest.py): its lead is Sam Patel.
LEAD_EMAIL = "sam.patel@provider.example.nhs.uk"
OWNER_EMAIL = "dme@provider.example.nhs.uk"  # every action's owner, Dana Okafor
COORDINATOR_EMAIL = "qt.officer@quality.example.nhs.uk"  # the coordinator, qt.officer


def _lead_on_panel(conflict: ConflictStatus = ConflictStatus.NONE) -> PanelMember:
    """The provider's lead, as a coordinator might type them: another spelling of the name, the
    e-mail in other capitals."""
    return PanelMember(name="Dr S. Patel", email="Sam.Patel@Provider.Example.NHS.uk",
                       roles=(R.PROVIDER_EXECUTIVE,), interests_declared=True, conflict=conflict)


def _panel(panel_member: Member, *extra: PanelMember) -> list[PanelMember]:
    return [
        panel_member("Chris Chair", R.SENIOR_PANEL_MEMBER),
        panel_member("Kim Expert", R.SUBJECT_EXPERT, R.EXTERNAL_MEMBER),
        *extra,
    ]


def _convene(
    members: list[PanelMember], chair: str = "Chris Chair", *, actor: str = "qt.officer",
    actor_email: str | None = None,
) -> ConvenePanel:
    return ConvenePanel(actor=actor, actor_email=actor_email, members=members, chair=chair)


# -- convene_panel: the provider's lead --------------------------------------------------------


def test_convene_refused_when_the_chair_has_the_provider_leads_email(
    urgent: Journey, panel_member: Member
) -> None:
    chair = PanelMember(name="Dr Sam Okoro", email="SAM.PATEL@provider.example.nhs.uk",
                        roles=(R.SENIOR_PANEL_MEMBER,), interests_declared=True)
    members = [chair, panel_member("Kim Expert", R.SUBJECT_EXPERT, R.EXTERNAL_MEMBER)]

    problems = urgent.refused(Event.convene_panel, _convene(members, "Dr Sam Okoro"))

    assert problems == [
        Problem(field="chair", rule="the chair Dr Sam Okoro has the e-mail of the provider's "
                "lead, Sam Patel (sam.patel@provider.example.nhs.uk): the provider's lead is "
                "conflicted and cannot chair its review; choose another chair")
    ]


def test_convene_refused_when_the_provider_lead_sits_undeclared(
    urgent: Journey, panel_member: Member
) -> None:
    members = _panel(panel_member, _lead_on_panel())

    problems = urgent.refused(Event.convene_panel, _convene(members))

    assert problems == [
        Problem(field="members", rule="Dr S. Patel has the e-mail of the provider's lead, Sam "
                "Patel (sam.patel@provider.example.nhs.uk): declare the conflict of interest "
                "(conflict=managed, or conflicted and left off the panel), not none")
    ]


def test_convene_accepted_with_the_provider_lead_as_a_managed_conflict(
    urgent: Journey, panel_member: Member
) -> None:
    members = _panel(panel_member, _lead_on_panel(conflict=ConflictStatus.MANAGED))

    assert urgent.do(Event.convene_panel, _convene(members)) is State.panel_convened
    assert urgent.data.panel[-1].conflict is ConflictStatus.MANAGED


def test_a_provider_lead_declared_conflicted_is_told_only_to_leave(
    urgent: Journey, panel_member: Member
) -> None:
    members = _panel(panel_member, _lead_on_panel(conflict=ConflictStatus.CONFLICTED))

    problems = urgent.refused(Event.convene_panel, _convene(members))

    assert problems == [
        Problem(field="members", rule="Dr S. Patel is conflicted and must be left off the panel")
    ]


def test_convene_accepted_with_the_provider_leads_name_but_another_email(
    urgent: Journey, panel_member: Member
) -> None:
    namesake = PanelMember(name="Sam Patel", email="sam.patel@panel.example.nhs.uk",
                           roles=(R.LAY_REPRESENTATIVE,), interests_declared=True)

    assert urgent.do(Event.convene_panel, _convene(_panel(panel_member, namesake))) is (
        State.panel_convened)


def test_convene_refused_from_the_provider_leads_own_account(
    urgent: Journey, panel_member: Member
) -> None:
    command = _convene(_panel(panel_member), actor="s.patel", actor_email=LEAD_EMAIL.upper())

    problems = urgent.refused(Event.convene_panel, command)

    assert problems == [
        Problem(field="actor", rule="you are signed in as s.patel with the e-mail of the "
                "provider's lead, Sam Patel (sam.patel@provider.example.nhs.uk): someone other "
                "than the provider's lead must convene the panel reviewing it")
    ]


def test_convene_accepted_from_the_coordinators_account(
    urgent: Journey, panel_member: Member
) -> None:
    command = _convene(_panel(panel_member), actor_email=COORDINATOR_EMAIL)

    assert urgent.do(Event.convene_panel, command) is State.panel_convened


def test_refusals_comparing_people_come_with_the_guards_own(
    urgent: Journey, panel_member: Member
) -> None:
    members = [panel_member("Chris Chair", R.SENIOR_PANEL_MEMBER), _lead_on_panel()]

    problems = urgent.refused(Event.convene_panel, _convene(members))

    assert [p.field for p in problems] == ["members", "members", "members"]
    assert problems[0].rule.startswith("Dr S. Patel has the e-mail of the provider's lead")
    assert [p.rule for p in problems[1:]] == [
        "the panel needs a member in the role subject_expert (required for Urgent Risk Review)",
        "the panel needs a member in the role external_member (required for Urgent Risk Review)",
    ]


# -- accept_action: its owner ------------------------------------------------------------------


def test_accept_refused_from_the_account_with_the_owners_email(urgent: Journey) -> None:
    urgent.reach(State.actions_tracked)
    command = AcceptAction(actor="d.okafor", actor_email="DME@Provider.Example.NHS.uk",
                           action_id="A1", evidence="Rotas show named cover.")

    problems = urgent.refused(Event.accept_action, command)

    assert problems == [
        Problem(field="actor", rule="action A1 is owned by Dana Okafor "
                "(dme@provider.example.nhs.uk), and you are signed in as d.okafor with that "
                "e-mail: someone other than its owner must accept it")
    ]


def test_accept_allowed_from_another_account(urgent: Journey) -> None:
    urgent.reach(State.actions_tracked)
    command = AcceptAction(actor="quality.lead", actor_email="quality.lead@quality.example.nhs.uk",
                           action_id="A1", evidence="Rotas show named cover.")

    urgent.do(Event.accept_action, command)

    action = urgent.data.action("A1")
    assert action is not None
    assert (action.status, action.accepted_by) == ("accepted", "quality.lead")


def test_accept_refused_from_a_user_name_that_is_the_owners_email_whatever_the_accounts(
    urgent: Journey,
) -> None:
    urgent.reach(State.actions_tracked)
    command = AcceptAction(actor=OWNER_EMAIL, actor_email="quality.lead@quality.example.nhs.uk",
                           action_id="A1", evidence="Rotas show named cover.")

    problems = urgent.refused(Event.accept_action, command)

    assert problems == [
        Problem(field="actor", rule="action A1 is owned by Dana Okafor "
                "(dme@provider.example.nhs.uk), and it is sent as dme@provider.example.nhs.uk, "
                "its owner's e-mail: someone other than its owner must accept it")
    ]


@pytest.mark.parametrize("owner", [OWNER_EMAIL, "DME@Provider.Example.NHS.uk"])
def test_accept_without_an_email_is_refused_when_sent_as_the_owners_email(
    urgent: Journey, owner: str
) -> None:
    urgent.reach(State.actions_tracked)
    command = AcceptAction(actor=owner, action_id="A1", evidence="Rotas show named cover.")

    problems = urgent.refused(Event.accept_action, command)

    assert problems == [
        Problem(field="actor", rule="action A1 is owned by Dana Okafor "
                f"(dme@provider.example.nhs.uk), and it is sent as {owner}, its owner's e-mail: "
                "someone other than its owner must accept it")
    ]


# -- approve_closure: the coordinator ----------------------------------------------------------


def test_closure_refused_from_the_coordinators_user_name(urgent: Journey) -> None:
    urgent.reach(State.actions_tracked)
    command = ApproveClosure(actor="qt.officer", role=ApproverRole.DEAN)

    problems = urgent.refused(Event.approve_closure, command)

    assert problems == [
        Problem(field="actor", rule="this Urgent Risk Review is coordinated by qt.officer "
                "(qt.officer@quality.example.nhs.uk), and you are signed in as qt.officer: "
                "someone other than its coordinator must approve its closure")
    ]


def test_closure_refused_from_another_account_with_the_coordinators_email(
    urgent: Journey,
) -> None:
    urgent.reach(State.actions_tracked)
    command = ApproveClosure(actor="acting.dean", actor_email=COORDINATOR_EMAIL.upper(),
                             role=ApproverRole.DEAN)

    problems = urgent.refused(Event.approve_closure, command)

    assert problems == [
        Problem(field="actor", rule="this Urgent Risk Review is coordinated by qt.officer "
                "(qt.officer@quality.example.nhs.uk), and you are signed in as acting.dean "
                "with that e-mail: someone other than its coordinator must approve its closure")
    ]


def test_closure_allowed_from_the_dean(urgent: Journey) -> None:
    urgent.reach(State.actions_tracked)
    command = ApproveClosure(actor="postgraduate.dean",
                             actor_email="postgraduate.dean@quality.example.nhs.uk",
                             role=ApproverRole.DEAN)

    urgent.do(Event.approve_closure, command)

    assert urgent.data.closure_approval is not None
    assert urgent.data.closure_approval.approver == "postgraduate.dean"


def test_closure_refused_from_a_coordinator_approving_as_quality_lead(
    journey: Callable[[str], Journey],
) -> None:
    review = journey("programme_review").reach(State.actions_tracked)
    command = ApproveClosure(actor="qt.officer", actor_email=COORDINATOR_EMAIL,
                             role=ApproverRole.QUALITY_LEAD)

    problems = review.refused(Event.approve_closure, command)

    assert problems == [
        Problem(field="actor", rule="this Programme Review is coordinated by qt.officer "
                "(qt.officer@quality.example.nhs.uk), and you are signed in as qt.officer: "
                "someone other than its coordinator must approve its closure")
    ]


def test_closure_allowed_from_the_coordinator_where_the_type_lets_coordinators_approve(
    journey: Callable[[str], Journey],
) -> None:
    review = journey("sharing_good_practice").reach(State.actions_tracked)
    assert ApproverRole.COORDINATOR in review.data.type.closure_approver_roles
    command = ApproveClosure(actor="qt.officer", actor_email=COORDINATOR_EMAIL,
                             role=ApproverRole.COORDINATOR)

    review.do(Event.approve_closure, command)

    assert review.data.closure_approval is not None
    assert review.data.closure_approval.approver == "qt.officer"
