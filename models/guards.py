"""Guards: pure predicates over an intervention's data (after a command's change) and today.

Each returns the problems it finds, so a refusal can say exactly which rule is broken; an empty
list means the guard holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from models.commands import (
    AcceptAction,
    ApproveClosure,
    Command,
    ConvenePanel,
    StartIntervention,
)
from models.errors import Problem
from models.intervention import InterventionData
from models.vocabulary import ActionStatus, ApproverRole, ConflictStatus, FindingCategory

__all__ = ["Guard", "IndependenceRule", "Person", "start_problems"]

Guard = Callable[[InterventionData, date], list[Problem]]
# Asked with the command too (the data after its change, and the command of the type the rule
# names): who sends a command is not in the intervention's data.
IndependenceRule = Callable[[InterventionData, Any], list[Problem]]


def start_problems(start: StartIntervention) -> list[Problem]:
    """Risk rule for starting: a high score, or an override with a written justification."""
    score = start.concern.score
    band = start.risk_bands.band(score)
    if score >= start.risk_bands.high_from or start.concern.override_justification:
        return []
    return [
        Problem(
            field="concern.override_justification",
            rule=(
                f"risk score {score} is {band}; below the high band "
                f"({start.risk_bands.high_from}+) an intervention needs a written justification"
            ),
        )
    ]


# -- panel -------------------------------------------------------------------------------------


def chair_named(data: InterventionData, today: date) -> list[Problem]:
    if data.chair is None:
        return [Problem(field="chair", rule="a chair must be named")]
    if data.member(data.chair) is None:
        return [Problem(field="chair", rule=f"the chair {data.chair!r} must be a panel member")]
    return []


def panel_has_required_roles(data: InterventionData, today: date) -> list[Problem]:
    held = {r for m in data.panel if m.conflict is not ConflictStatus.CONFLICTED for r in m.roles}
    return [
        Problem(field="members",
                rule=f"the panel needs a member in the role {role} (required for {data.type.name})")
        for role in data.type.required_roles
        if role not in held
    ]


def chair_holds_lead_role(data: InterventionData, today: date) -> list[Problem]:
    chair = data.member(data.chair) if data.chair else None
    if not data.type.chair_roles or chair is None:
        return []
    if set(chair.roles) & set(data.type.chair_roles):
        return []
    wanted = " or ".join(data.type.chair_roles)
    return [Problem(field="chair", rule=f"a {data.type.name} is led by a {wanted}")]


def interests_declared(data: InterventionData, today: date) -> list[Problem]:
    return [
        Problem(field="members", rule=f"{m.name} has not declared interests")
        for m in data.panel
        if not m.interests_declared
    ]


def chair_not_conflicted(data: InterventionData, today: date) -> list[Problem]:
    chair = data.member(data.chair) if data.chair else None
    if chair is None or chair.conflict is ConflictStatus.NONE:
        return []
    what = ("is conflicted" if chair.conflict is ConflictStatus.CONFLICTED
            else f"has a {chair.conflict} conflict of interest")
    return [Problem(field="chair",
                    rule=f"the chair {chair.name} {what}; choose an unconflicted chair")]


def conflicted_members_excluded(data: InterventionData, today: date) -> list[Problem]:
    return [
        Problem(field="members", rule=f"{m.name} is conflicted and must be left off the panel")
        for m in data.panel
        if m.conflict is ConflictStatus.CONFLICTED
    ]


# -- meetings ----------------------------------------------------------------------------------


def meetings_scheduled_ahead(data: InterventionData, today: date) -> list[Problem]:
    # Only bookings made today (by this command): an earlier booking that lapsed without being
    # held must not stop the coordinator booking or moving another meeting.
    return [
        Problem(field="scheduled_on", rule=f"meeting {m.id} cannot be scheduled in the past")
        for m in data.meetings
        if m.held_on is None and m.booked_on == today
        and m.scheduled_on is not None and m.scheduled_on < today
    ]


def held_meetings_complete(data: InterventionData, today: date) -> list[Problem]:
    problems: list[Problem] = []
    started = data.started_at.date()
    for m in data.meetings:
        if m.held_on is None:
            continue
        if not started <= m.held_on <= today:
            # Named by its date: a meeting recorded without a booking has no ID for the user yet.
            problems.append(Problem(field="held_on", rule=f"a meeting is recorded as held on a "
                                    f"day between the start ({started}) and today ({today}), "
                                    f"not {m.held_on}"))
        if m.attendance is None or m.attendance.total == 0:
            problems.append(Problem(field="attendance", rule=f"the meeting held on {m.held_on} "
                                    "needs attendance counts (learners, supervisors, leaders); "
                                    "none were given"))
    if not any(m.held_on for m in data.meetings):
        problems.append(Problem(field="held_on", rule="at least one meeting must be held"))
    return problems


# -- report ------------------------------------------------------------------------------------


def report_final(data: InterventionData, today: date) -> list[Problem]:
    if data.report is None or not data.report.final:
        return [Problem(field="final", rule="only a final report can be issued")]
    return []


def findings_classified(data: InterventionData, today: date) -> list[Problem]:
    if not data.findings:
        return [Problem(field="findings", rule="a report needs at least one finding")]
    return [
        Problem(field="findings", rule=f"finding {f.id} must be classed "
                f"({', '.join(FindingCategory)})")
        for f in data.findings
        if f.category is None
    ]


def factual_accuracy_closed(data: InterventionData, today: date) -> list[Problem]:
    closed = data.report.factual_accuracy_closed_on if data.report else None
    if closed is None or closed > today:
        return [Problem(field="factual_accuracy_closed_on",
                        rule="the factual-accuracy window must have closed (a date on or before "
                        "today)")]
    return []


# -- actions -----------------------------------------------------------------------------------


def actions_fit_their_findings(data: InterventionData, today: date) -> list[Problem]:
    problems: list[Problem] = []
    for a in data.actions:
        finding = data.finding(a.finding_id)
        if finding is None:
            continue
        immediate = finding.category is FindingCategory.IMMEDIATE_MANDATORY_REQUIREMENT
        if data.report is None and not immediate:
            problems.append(Problem(field="finding_id", rule="before the report is issued, "
                                    "actions can only answer immediate mandatory requirements"))
        if (data.report is not None and not immediate and a.status is ActionStatus.OPEN
                and a.due_on <= data.report.issued_on):
            problems.append(Problem(field="due_on", rule=f"action {a.id} must be due after the "
                                    f"report was issued ({data.report.issued_on})"))
        elif a.due_on < finding.raised_on:
            problems.append(Problem(field="due_on", rule=f"action {a.id} cannot be due before "
                                    f"its requirement was raised ({finding.raised_on})"))
    return problems


def every_requirement_has_action(data: InterventionData, today: date) -> list[Problem]:
    answered = {a.finding_id for a in data.actions}
    return [
        Problem(field="actions",
                rule=f"requirement {f.id} has no action with an owner and due date")
        for f in data.findings
        if f.category is not None and f.category.is_requirement and f.id not in answered
    ]


def every_requirement_resolved(data: InterventionData, today: date) -> list[Problem]:
    problems = every_requirement_has_action(data, today)
    for a in data.actions:
        if a.status is ActionStatus.OPEN:
            problems.append(Problem(field="actions", rule=f"action {a.id} is still open: accept "
                                    "it with evidence or transfer it with a reason"))
    return problems


def closure_approver_allowed(data: InterventionData, today: date) -> list[Problem]:
    approval = data.closure_approval
    allowed = data.type.closure_approver_roles
    if approval is not None and approval.role not in allowed:
        article = "an" if data.type.name[:1].lower() in "aeiou" else "a"
        return [Problem(field="role", rule=f"closure of {article} {data.type.name} is approved by "
                        f"{' or '.join(allowed)}, not {approval.role}")]
    return []


def closure_approved(data: InterventionData, today: date) -> list[Problem]:
    if data.closure_approval is None:
        roles = " or ".join(data.type.closure_approver_roles)
        return [Problem(field="closure_approval",
                        rule=f"closure must first be approved by {roles}")]
    return []


# -- cancel ------------------------------------------------------------------------------------


def no_meeting_held(data: InterventionData, today: date) -> list[Problem]:
    if any(m.held_on for m in data.meetings):
        return [Problem(field="state", rule="an intervention cannot be cancelled once a meeting "
                        "has been held")]
    return []


# -- independence: rules that compare people ---------------------------------------------------
#
# A person is the same as another when their user names match (only people who sign in have
# one: the sender and the coordinator) or their e-mails match, whatever their case. Names typed
# into a field (a panel member's, an action owner's) say who in a refusal; they decide nothing,
# but for the one check acceptances had before (a user name that is the owner's e-mail or
# name). A comparison with the sender's e-mail is made only when the command carries it, and
# only ever adds a refusal: a command with an e-mail is held to everything one without is.


@dataclass(frozen=True)
class Person:
    """Someone a rule compares, as the intervention or the command knows them."""

    name: str  # how a refusal names them
    email: str | None = None
    user: str | None = None  # their user name, for those who sign in

    @classmethod
    def sender(cls, command: Command) -> Person:
        return cls(name=command.actor, email=command.actor_email, user=command.actor)

    def matched_by(self, other: Person) -> str | None:
        """What makes `other` the same person ("user name", "e-mail"); None if nothing does."""
        if self.user is not None and self.user == other.user:
            return "user name"
        if self.email and other.email and self.email.casefold() == other.email.casefold():
            return "e-mail"
        return None

    def __str__(self) -> str:
        return f"{self.name} ({self.email})" if self.email else self.name


def _signed_in(sender: Person, match: str) -> str:
    return f"you are signed in as {sender.name}" + (" with that e-mail" if match == "e-mail"
                                                     else "")


def _provider_lead(data: InterventionData) -> Person:
    return Person(name=data.provider.lead_name, email=data.provider.lead_email)


def panel_independent_of_provider(data: InterventionData, command: ConvenePanel) -> list[Problem]:
    """The provider's own lead (by e-mail) neither chairs its review nor sits on its panel
    without a declared conflict, and does not convene it."""
    lead = _provider_lead(data)
    problems: list[Problem] = []
    sender = Person.sender(command)
    if lead.matched_by(sender):
        problems.append(Problem(field="actor", rule=f"you are signed in as {sender.name} with "
                                f"the e-mail of the provider's lead, {lead}: someone other "
                                "than the provider's lead must convene the panel reviewing it"))
    chair = data.member(data.chair) if data.chair else None
    for m in data.panel:
        if not lead.matched_by(Person(name=m.name, email=m.email)):
            continue
        if m is chair:
            problems.append(Problem(field="chair", rule=f"the chair {m.name} has the e-mail of "
                                    f"the provider's lead, {lead}: the provider's lead is "
                                    "conflicted and cannot chair its review; choose another "
                                    "chair"))
        elif m.conflict is ConflictStatus.NONE:
            problems.append(Problem(field="members", rule=f"{m.name} has the e-mail of the "
                                    f"provider's lead, {lead}: declare the conflict of "
                                    "interest (conflict=managed, or conflicted and left off "
                                    "the panel), not none"))
    return problems


def accepted_by_someone_else(data: InterventionData, command: AcceptAction) -> list[Problem]:
    """An action is accepted by someone other than its owner: not from an account with the
    owner's e-mail, nor (as before there were accounts' e-mails) by a user name that is the
    owner's e-mail or name."""
    action = data.action(command.action_id)
    if action is None:  # the change refuses an unknown action first
        return []
    owner = Person(name=action.owner_name, email=action.owner_email)
    sender = Person.sender(command)
    refusal = "someone other than its owner must accept it"
    match = owner.matched_by(sender)
    if match is not None:
        return [Problem(field="actor", rule=f"action {action.id} is owned by {owner}, and "
                        f"{_signed_in(sender, match)}: {refusal}")]
    typed = {action.owner_email.casefold(): "e-mail", action.owner_name.casefold(): "name"}
    what = typed.get(command.actor.casefold())
    if what is not None:
        return [Problem(field="actor", rule=f"action {action.id} is owned by {owner}, and it "
                        f"is sent as {command.actor}, its owner's {what}: {refusal}")]
    return []


def closure_approved_by_someone_else(
    data: InterventionData, command: ApproveClosure
) -> list[Problem]:
    """Closure is approved by someone other than the coordinator, by user name or e-mail,
    unless the type lets coordinators approve."""
    if ApproverRole.COORDINATOR in data.type.closure_approver_roles:
        return []
    coordinator = Person(name=data.coordinator, email=data.coordinator_email,
                         user=data.coordinator)
    sender = Person.sender(command)
    match = coordinator.matched_by(sender)
    if match is None:
        return []
    return [Problem(field="actor", rule=f"this {data.type.name} is coordinated by "
                    f"{coordinator}, and {_signed_in(sender, match)}: someone other than its "
                    "coordinator must approve its closure")]
