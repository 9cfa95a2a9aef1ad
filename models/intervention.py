"""The intervention's own data: what the workflow holds and the guards read."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlmodel
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, String, Text
from sqlmodel import SQLModel

from models.catalogue import InterventionType, RiskBand, RiskBands
from models.vocabulary import (
    CODE_LENGTH,
    EMAIL_LENGTH,
    PERSON_LENGTH,
    SHORT_LENGTH,
    ActionStatus,
    ActorId,
    ApproverRole,
    Code,
    ConcernSource,
    ConflictStatus,
    Email,
    EscalationLevel,
    FindingCategory,
    LongText,
    MeetingFormat,
    PanelRole,
    PersonName,
    ShortText,
)

__all__ = [
    "Action",
    "Attendance",
    "AuditEntry",
    "ClosureApproval",
    "Concern",
    "Contacts",
    "Deadline",
    "DeadlineKind",
    "Ended",
    "Escalation",
    "Finding",
    "InterventionData",
    "Meeting",
    "PanelMember",
    "Pause",
    "ProgressNote",
    "Provider",
    "RecordedState",
    "Report",
    "SentNotice",
    "State",
    "recorded_state",
]


class State(StrEnum):
    """Lifecycle states; member names equal values so diagrams read the same as the API."""

    planned = "planned"
    panel_convened = "panel_convened"
    meetings_held = "meetings_held"
    report_issued = "report_issued"
    actions_tracked = "actions_tracked"
    closed = "closed"
    cancelled = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (State.closed, State.cancelled)


class Ended(StrEnum):
    """Where the read model leaves an intervention whose workflow Temporal ended outside the
    service (terminated, cancelled or timed out there): not a lifecycle state, for no command
    reaches or leaves it. The audit entry that records it says how, when, and from which state."""

    outside = "ended_outside"

    @property
    def terminal(self) -> bool:
        return True


# What the read model's `state` columns hold: a lifecycle state, or how it ended outside.
RecordedState = State | Ended
# The same values as one enum, for a filter that takes any of them (one set of allowed values
# in its error and its schema, not one per member of the union).
StateFilter = StrEnum(  # type: ignore[misc]
    "StateFilter", {str(s): str(s) for s in (*State, *Ended)})


def recorded_state(value: str) -> RecordedState:
    """A read-model state from its stored text; ValueError if it is none of them."""
    try:
        return State(value)
    except ValueError:
        return Ended(value)


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Provider(_Value):
    code: Code = Field(description="Provider (trust) code, e.g. an ODS code")
    name: ShortText
    site: ShortText
    lead_name: PersonName
    lead_email: Email


class Concern(_Value):
    """The trigger concern. `summary` is published-safe text: no learner names or quotes."""

    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    source: ConcernSource = ConcernSource.OTHER
    summary: ShortText
    override_justification: LongText | None = None

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class _Row(SQLModel):
    """A value the read model stores as a row: its SQL table derives from it (`models.tables`),
    so the columns are these fields, with the lengths and types they declare here."""

    # SQLModel types its config as its own TypedDict, a superset of pydantic's.
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]


class PanelMember(_Row):
    name: PersonName = sqlmodel.Field(max_length=PERSON_LENGTH)
    email: Email = sqlmodel.Field(max_length=EMAIL_LENGTH)
    roles: tuple[PanelRole, ...] = sqlmodel.Field(min_length=1, sa_type=JSON)
    interests_declared: bool = False
    conflict: ConflictStatus = sqlmodel.Field(default=ConflictStatus.NONE, sa_type=String(16))


class Attendance(_Value):
    learners: int = Field(0, ge=0, le=10_000)
    supervisors: int = Field(0, ge=0, le=10_000)
    leaders: int = Field(0, ge=0, le=10_000)

    @property
    def total(self) -> int:
        return self.learners + self.supervisors + self.leaders


class MeetingBase(_Row):
    id: str = sqlmodel.Field(max_length=CODE_LENGTH)
    format: MeetingFormat = sqlmodel.Field(sa_type=String(16))
    scheduled_on: date | None = None
    held_on: date | None = None


class Meeting(MeetingBase):
    booked_on: date | None = None
    attendance: Attendance | None = None  # stored as its counts, one column each


class Finding(_Row):
    id: str = sqlmodel.Field(max_length=CODE_LENGTH)
    # None while unclassified; a final report needs every one.
    category: FindingCategory | None = sqlmodel.Field(sa_type=String(48))
    text: LongText = sqlmodel.Field(sa_type=Text)
    raised_on: date


class Report(_Value):
    final: bool
    factual_accuracy_closed_on: date | None
    issued_on: date


class ProgressNote(_Value):
    on: date
    by: ActorId
    note: LongText
    evidence: LongText | None = None  # noted before evidence could be given with progress: None


class ActionBase(_Row):
    id: str = sqlmodel.Field(max_length=CODE_LENGTH)
    finding_id: str = sqlmodel.Field(max_length=CODE_LENGTH)
    description: LongText = sqlmodel.Field(sa_type=Text)
    owner_name: PersonName = sqlmodel.Field(max_length=PERSON_LENGTH)
    owner_email: Email = sqlmodel.Field(max_length=EMAIL_LENGTH)
    due_on: date
    status: ActionStatus = sqlmodel.Field(default=ActionStatus.OPEN, sa_type=String(16))
    evidence: LongText | None = sqlmodel.Field(default=None, sa_type=Text)
    accepted_by: ActorId | None = sqlmodel.Field(default=None, max_length=PERSON_LENGTH)
    transfer_reason: LongText | None = sqlmodel.Field(default=None, sa_type=Text)
    transferred_to: ShortText | None = sqlmodel.Field(default=None, max_length=SHORT_LENGTH)


class Action(ActionBase):
    added_on: date | None = None
    progress: list[ProgressNote] = Field(default_factory=list)  # in the audit, not the row


class ClosureApproval(_Value):
    approver: ActorId
    role: ApproverRole
    on: date


class Escalation(_Value):
    level: EscalationLevel
    reason: LongText
    by: ActorId
    at: datetime


class DeadlineKind(StrEnum):
    convene_panel = "convene_panel"
    first_meeting = "first_meeting"
    imr_response = "imr_response"
    draft_report = "draft_report"
    final_report = "final_report"
    action_plan = "action_plan"


class Deadline(_Row):
    kind: DeadlineKind = sqlmodel.Field(sa_type=String(32))
    # e.g. the finding an IMR deadline is for
    subject: str = sqlmodel.Field(default="", max_length=SHORT_LENGTH)
    due_on: date
    set_on: date
    met_on: date | None = None


class Contacts(_Value):
    """Where escalations go beyond the owner: the deployment's quality lead and dean."""

    quality_lead_email: Email | None = None
    dean_email: Email | None = None


class Pause(_Value):
    since: date
    until: date | None = None
    reason: LongText
    working_days: int = 0


class SentNotice(_Value):
    key: str
    kind: str
    on: date
    recipient: str
    about: str
    sent: bool = True  # False: noted but not sent, e.g. a reminder that came too late


class AuditEntry(_Row):
    seq: int
    at: datetime
    actor: ActorId = sqlmodel.Field(max_length=PERSON_LENGTH)
    command: str = sqlmodel.Field(max_length=CODE_LENGTH)
    # The workflow only ever records lifecycle states; entries the service writes after
    # Temporal ended a workflow outside it may name `Ended.outside`.
    from_state: RecordedState = sqlmodel.Field(sa_type=String(32))
    to_state: RecordedState = sqlmodel.Field(sa_type=String(32))
    summary: str = sqlmodel.Field(sa_type=Text)
    reason: str | None = sqlmodel.Field(default=None, sa_type=Text)


class InterventionData(_Value):
    """Everything an intervention knows. Only ever replaced, never mutated in place."""

    intervention_id: str
    # The short reference people use (QI-2027-0042); None for interventions started before.
    reference: str | None = None
    type: InterventionType
    risk_bands: RiskBands
    provider: Provider
    concern: Concern
    coordinator: ActorId
    coordinator_email: Email
    contacts: Contacts | None = None
    started_at: datetime
    state: State = State.planned
    panel: list[PanelMember] = Field(default_factory=list)
    chair: PersonName | None = None
    meetings: list[Meeting] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    report: Report | None = None
    actions: list[Action] = Field(default_factory=list)
    closure_approval: ClosureApproval | None = None
    cancellation_reason: LongText | None = None
    escalations: list[Escalation] = Field(default_factory=list)
    deadlines: list[Deadline] = Field(default_factory=list)
    tracking_since: date | None = None
    pauses: list[Pause] = Field(default_factory=list)
    notices_sent: list[SentNotice] = Field(default_factory=list)
    audit: list[AuditEntry] = Field(default_factory=list)

    @property
    def paused_since(self) -> date | None:
        return self.pauses[-1].since if self.pauses and self.pauses[-1].until is None else None

    @property
    def last_seq(self) -> int:
        """The number of the newest audit entry (0 before any): the version the read model is
        brought to. Equal to the audit's length unless a reset outside the service made the
        workflow number its entries after those the read model already held."""
        return max((e.seq for e in self.audit), default=0)

    @property
    def risk_band(self) -> RiskBand:
        return self.risk_bands.band(self.concern.score)

    @property
    def open_deadlines(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.met_on is None]

    def open_actions(self) -> list[Action]:
        return [a for a in self.actions if a.status is ActionStatus.OPEN]

    def overdue_actions(self, today: date) -> list[Action]:
        return [a for a in self.open_actions() if a.due_on < today]

    def next_deadline(self) -> date | None:
        dates = [d.due_on for d in self.open_deadlines] + [a.due_on for a in self.open_actions()]
        return min(dates, default=None)

    def member(self, name: str) -> PanelMember | None:
        return next((m for m in self.panel if m.name.casefold() == name.casefold()), None)

    def finding(self, finding_id: str) -> Finding | None:
        return next((f for f in self.findings if f.id == finding_id), None)

    def action(self, action_id: str) -> Action | None:
        return next((a for a in self.actions if a.id == action_id), None)

    def meeting(self, meeting_id: str) -> Meeting | None:
        return next((m for m in self.meetings if m.id == meeting_id), None)
