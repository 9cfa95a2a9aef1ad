"""Boundary contracts: what a coordinator sends to start and drive an intervention."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.calendar import BankHolidays
from models.catalogue import InterventionType, RiskBands
from models.intervention import (
    Attendance,
    Concern,
    Contacts,
    InterventionData,
    PanelMember,
    Provider,
)
from models.sealing import START_RULE, Inbound
from models.vocabulary import (
    ActorId,
    ApproverRole,
    Email,
    EscalationLevel,
    FindingCategory,
    LongText,
    MeetingFormat,
    PersonName,
    ShortText,
)

__all__ = [
    "AcceptAction",
    "AddAction",
    "AgreeActionPlan",
    "ApproveClosure",
    "Cancel",
    "Close",
    "Command",
    "ConvenePanel",
    "Escalate",
    "Event",
    "FindingInput",
    "IssueReport",
    "PauseClock",
    "RecordActionProgress",
    "RecordMeeting",
    "RescheduleMeeting",
    "ResumeClock",
    "ScheduleMeeting",
    "StartIntervention",
    "StartRequest",
    "TransferAction",
]


class Event(StrEnum):
    """Coordinator commands; each is one workflow update of the same name."""

    convene_panel = "convene_panel"
    schedule_meeting = "schedule_meeting"
    reschedule_meeting = "reschedule_meeting"
    record_meeting = "record_meeting"
    issue_report = "issue_report"
    add_action = "add_action"
    agree_action_plan = "agree_action_plan"
    record_action_progress = "record_action_progress"
    accept_action = "accept_action"
    transfer_action = "transfer_action"
    approve_closure = "approve_closure"
    close = "close"
    cancel = "cancel"
    escalate = "escalate"
    pause_clock = "pause_clock"
    resume_clock = "resume_clock"


class StartRequest(BaseModel):
    """Start an intervention: what a coordinator gives to start one."""

    model_config = ConfigDict(extra="forbid")

    type: ShortText = Field(description="Type code, name or alias from the catalogue")
    provider: Provider
    concern: Concern
    coordinator: ActorId
    coordinator_email: Email = Field(
        description="Where the intervention's mail to its coordinator goes; sent through the "
        "service, your account's e-mail (give it only if your account has none)")


class StartIntervention(Inbound):
    """Workflow input. The type and risk bands are copied in so a catalogue edit never changes
    an intervention that is already running."""

    model_config = ConfigDict(extra="forbid")
    sent_through: ClassVar[str] = START_RULE

    intervention_id: str
    # Allocated by the client facade from the read model's database (QI-2027-0042); None in
    # interventions started before references.
    reference: str | None = Field(None, max_length=32)
    type: InterventionType
    risk_bands: RiskBands
    provider: Provider
    concern: Concern
    coordinator: ActorId
    coordinator_email: Email
    contacts: Contacts | None = None
    # Working days count on these; None in interventions started before workflows carried them.
    bank_holidays: BankHolidays | None = None
    # How long recording may be held up (e.g. the database is down) before the intervention
    # says so in its ReadModelBehind search attribute.
    read_model_patience_seconds: int = Field(30, ge=1, le=3600)
    # Continue-as-new once history has this many events (None: when the server suggests it).
    continue_as_new_after_events: int | None = Field(None, ge=20)
    # Set only when a run continues as new: the state it hands over, and the seals of the
    # commands taken so far (each is taken once: `models.sealing`).
    resume_from: InterventionData | None = None
    seals_taken: list[str] = Field(default_factory=list)

    def initial_data(self, started_at: datetime) -> InterventionData:
        """The data an intervention starts with (or resumes with, after continue-as-new)."""
        if self.resume_from is not None:
            return self.resume_from
        return InterventionData(
            intervention_id=self.intervention_id,
            reference=self.reference,
            type=self.type,
            risk_bands=self.risk_bands,
            provider=self.provider,
            concern=self.concern,
            coordinator=self.coordinator,
            coordinator_email=self.coordinator_email,
            contacts=self.contacts,
            started_at=started_at,
        )


class Command(Inbound):
    """Common to every command: who asks, and optionally why."""

    model_config = ConfigDict(extra="forbid")

    actor: ActorId = Field(description="Who sends the command: their user name, e.g. c.okafor")
    # With `actor`, who the sender is for the rules that compare people (`models.guards`).
    # Commands in histories from before it have none, and replay as they were accepted. Left
    # out of the payload when unset, so such a command is the bytes it always was, and a worker
    # from before the field still reads it.
    actor_email: Email | None = Field(
        None, exclude_if=lambda email: email is None,
        description="The sender's e-mail, from their account; filled in by the service, never "
        "typed")
    reason: LongText | None = Field(None, description="Why, kept in the audit trail")


class ConvenePanel(Command):
    """Name the chair and panel; every member declares interests first."""

    members: list[PanelMember] = Field(
        min_length=1, max_length=30,
        description="Every member must have declared interests (interests_declared=yes) and "
        "not be conflicted (the provider's lead, by e-mail, sits only as conflict=managed and "
        "never chairs); together they must hold the roles the type needs (`qi types TYPE` "
        "lists them, and who may chair)",
    )
    chair: PersonName = Field(description="One of the members, by name, e.g. \"Dr Ada Senior\"")

    # A field validator, so the error is located at `members` (a model validator has no field).
    @field_validator("members")
    @classmethod
    def _unique_names(cls, members: list[PanelMember]) -> list[PanelMember]:
        names = [m.name.casefold() for m in members]
        if len(names) != len(set(names)):
            raise ValueError("each member's name must be unique")
        return members


class ScheduleMeeting(Command):
    """Book a review meeting."""

    scheduled_on: date = Field(description="The day of the meeting: today or later, e.g. "
                               "2027-01-20")
    format: MeetingFormat


class RescheduleMeeting(Command):
    """Move a booked meeting; its reminders move with it."""

    meeting_id: ShortText = Field(description="A booked meeting, as `qi show` lists it, e.g. M1")
    scheduled_on: date = Field(description="The new day: today or later")


class RecordMeeting(Command):
    """Record a meeting as held, with attendance by group."""

    meeting_id: str | None = Field(
        None, description="A booked meeting, as `qi show` lists it; omit for one not booked, "
        "e.g. M1")
    held_on: date = Field(description="Between the intervention's start and today, e.g. today")
    format: MeetingFormat
    attendance: Attendance
    immediate_mandatory_requirements: list[LongText] = Field(
        default_factory=list, max_length=20,
        description="Each becomes a finding needing a response within days")


class FindingInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: FindingCategory | None = Field(
        description="Requirements need actions; every finding of a final report is classed")
    text: LongText = Field(description="As the report words it, e.g. \"Night-time supervision "
                           "rota\"")


class IssueReport(Command):
    """Issue the final report with its classified findings."""

    final: bool = Field(description="Only a final report can be issued")
    factual_accuracy_closed_on: date | None = Field(
        description="When the providers' factual-accuracy window closed: on or before today, "
        "e.g. today")
    findings: list[FindingInput] = Field(
        default_factory=list, max_length=100,
        description="Each classed; a report needs at least one")


class AddAction(Command):
    """Add an action, with owner and due date, answering a finding."""

    finding_id: ShortText = Field(description="The finding answered, as `qi show` lists it, "
                                  "e.g. F1")
    description: LongText = Field(description="What will be done, e.g. \"Named senior on every "
                                  "night shift\"")
    owner_name: PersonName = Field(description="Who owns it at the provider")
    owner_email: Email
    due_on: date = Field(description="After the report was issued (for an immediate mandatory "
                         "requirement: after it was raised)")


class AgreeActionPlan(Command):
    """Agree the action plan and start tracking actions."""


class RecordActionProgress(Command):
    """Note progress on an open action."""

    action_id: ShortText = Field(description="An open action, as `qi show` lists it, e.g. A1")
    note: LongText = Field(description="What has happened, e.g. \"Rota drafted\"")
    evidence: LongText | None = Field(None, description="What shows it, for whoever accepts the "
                                      "action, e.g. \"March rota attached\"")


class AcceptAction(Command):
    """Accept an action as done, on evidence, by someone other than its owner."""

    action_id: ShortText = Field(description="An open action, as `qi show` lists it, e.g. A1")
    evidence: LongText = Field(description="What shows it is done, e.g. \"March rota "
                               "published\"")


class TransferAction(Command):
    """Transfer an action elsewhere (e.g. to another review), with a reason."""

    action_id: ShortText = Field(description="An open action, as `qi show` lists it, e.g. A1")
    transferred_to: ShortText = Field(description="Where it goes, e.g. \"Trust board "
                                      "action log\"")
    reason: LongText = Field(description="Why it is transferred")


class ApproveClosure(Command):
    """Approve closure (urgent reviews: the dean or a delegate)."""

    role: ApproverRole = Field(description="The approver's role; the type says which may "
                               "approve (`qi types TYPE`)")


class Close(Command):
    """Close the intervention once every requirement is resolved."""


class Cancel(Command):
    """Cancel before any meeting has been held, with a reason."""

    reason: LongText = Field(description="Why it is cancelled, kept in the audit trail")


class Escalate(Command):
    """Record an escalation (a flag and a record, not a state)."""

    level: EscalationLevel
    reason: LongText = Field(description="Why it is escalated, kept in the audit trail")


class PauseClock(Command):
    """Stop the deadline clock (e.g. provider in special measures); a reason is required."""

    reason: LongText = Field(description="Why the clock stops, e.g. \"Provider placed in "
                             "special measures\"")


class ResumeClock(Command):
    """Restart the clock; every open deadline moves by the working days it was paused."""
