"""The read model: one projection of each intervention's workflow state, for listing and search.

The workflow is the source of truth; these tables are rebuilt from its snapshots and may lag.
Families follow `XBase` (shared columns) / `X(table=True)` / `XPublic` (what queries return),
so no caller ever holds a table object outside a session. `datetime` fields map to sqlmodel's
`UTCDateTime` (`DateTime(timezone=True)`): aware UTC in, aware UTC out, on SQLite too.
Enum-valued columns are plain strings so a new state or category needs no database enum change.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import model_validator
from sqlalchemy import JSON, Index, PrimaryKeyConstraint, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models import intervention as domain
from models.catalogue import RiskBand
from models.intervention import RecordedState
from models.vocabulary import (
    CODE_LENGTH,
    EMAIL_LENGTH,
    PERSON_LENGTH,
    SHORT_LENGTH,
    ActorId,
    Code,
    Email,
    Role,
)

__all__ = [
    "NOTICE_LENGTH",
    "AccountAction",
    "AccountEvent",
    "AccountEventPublic",
    "Action",
    "ActionPublic",
    "ApiToken",
    "ApiTokenPublic",
    "ApiUser",
    "ApiUserCreate",
    "ApiUserPublic",
    "ApiUserRole",
    "AuditEntry",
    "AuditEntryPublic",
    "Deadline",
    "DeadlinePublic",
    "Finding",
    "FindingPublic",
    "Intervention",
    "InterventionDetail",
    "InterventionPublic",
    "InterventionReference",
    "Meeting",
    "MeetingPublic",
    "Notification",
    "NotificationStatus",
    "PanelMember",
    "PanelMemberPublic",
    "ReferenceCounter",
    "WebSession",
]

_ID = 200  # workflow ids and idempotency keys are built from them
_CODE = CODE_LENGTH
_SHORT = SHORT_LENGTH
_PERSON = PERSON_LENGTH
_EMAIL = EMAIL_LENGTH
_SUBJECT = 300  # models.effects.Message.subject
_REASON = 300
_REFERENCE = 32  # QI-2027-0042
_INTERVENTION_FK = "intervention.id"


class InterventionBase(SQLModel):
    id: str = Field(primary_key=True, max_length=_ID)
    reference: str | None = Field(default=None, max_length=_REFERENCE, index=True)
    type_code: str = Field(max_length=_CODE, index=True)
    type_name: str = Field(max_length=_SHORT)
    provider_code: str = Field(max_length=_CODE, index=True)
    provider_name: str = Field(max_length=_SHORT)
    site: str = Field(max_length=_SHORT)
    # A lifecycle state, or `ended_outside` once Temporal ended the workflow outside the service.
    state: RecordedState = Field(sa_type=String(32), index=True)
    likelihood: int
    impact: int
    score: int
    risk_band: RiskBand = Field(sa_type=String(16))
    coordinator: str = Field(max_length=_PERSON, index=True)  # a coordinator's own list
    started_at: datetime = Field(index=True)  # the default listing order
    updated_at: datetime
    closed_at: datetime | None = None
    next_deadline: date | None = Field(default=None, index=True)
    open_actions: int = 0
    overdue_actions: int = 0
    escalated: bool = False
    # The newest audit entry's number in the snapshot written (see InterventionData.last_seq);
    # a smaller one arriving late must not roll back.
    version: int


class Intervention(InterventionBase, table=True):
    __tablename__ = "intervention"


class InterventionPublic(InterventionBase):
    pass


# The child rows derive from the domain values (models.intervention), adding only what a row
# needs besides: the intervention it belongs to, and a position where the value has no ID.


class PanelMemberPublic(domain.PanelMember):
    seq: int  # position on the panel: members have no id of their own
    chair: bool = False


class PanelMember(PanelMemberPublic, table=True):
    __tablename__ = "panel_member"
    # intervention_id leads the key so "replace this intervention's rows" uses the index.
    __table_args__ = (PrimaryKeyConstraint("intervention_id", "seq"),)
    intervention_id: str = Field(foreign_key=_INTERVENTION_FK, ondelete="CASCADE", max_length=_ID)


class MeetingPublic(domain.MeetingBase):
    # The meeting's attendance, one column a group; all null until it is recorded as held.
    learners: int | None = None
    supervisors: int | None = None
    leaders: int | None = None


class Meeting(MeetingPublic, table=True):
    __tablename__ = "meeting"
    __table_args__ = (PrimaryKeyConstraint("intervention_id", "id"),)
    intervention_id: str = Field(foreign_key=_INTERVENTION_FK, ondelete="CASCADE", max_length=_ID)


class FindingPublic(domain.Finding):
    pass


class Finding(FindingPublic, table=True):
    __tablename__ = "finding"
    __table_args__ = (PrimaryKeyConstraint("intervention_id", "id"),)
    intervention_id: str = Field(foreign_key=_INTERVENTION_FK, ondelete="CASCADE", max_length=_ID)


class ActionPublic(domain.ActionBase):
    pass


class Action(ActionPublic, table=True):
    __tablename__ = "action"
    __table_args__ = (PrimaryKeyConstraint("intervention_id", "id"),)
    intervention_id: str = Field(foreign_key=_INTERVENTION_FK, ondelete="CASCADE", max_length=_ID)


class DeadlinePublic(domain.Deadline):
    seq: int  # position in the intervention's list: a kind can recur (one IMR deadline each)


class Deadline(DeadlinePublic, table=True):
    __tablename__ = "deadline"
    __table_args__ = (PrimaryKeyConstraint("intervention_id", "seq"),)
    intervention_id: str = Field(foreign_key=_INTERVENTION_FK, ondelete="CASCADE", max_length=_ID)


class AuditEntryPublic(domain.AuditEntry):
    intervention_id: str


class AuditEntry(domain.AuditEntry, table=True):
    """Append-only: rows are inserted if absent and never updated or deleted by the app."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        PrimaryKeyConstraint("intervention_id", "seq"),
        UniqueConstraint("idempotency_key", name="uq_audit_entry_idempotency_key"),
    )
    intervention_id: str = Field(foreign_key=_INTERVENTION_FK, ondelete="CASCADE", max_length=_ID)
    idempotency_key: str = Field(max_length=2 * _ID)


class NotificationStatus(StrEnum):
    QUEUED = "queued"  # waiting for its (next) attempt
    SENDING = "sending"  # claimed by a delivery loop until `claimed_until`
    SENT = "sent"
    UNKNOWN = "unknown"  # cut off after the data was sent: it may have arrived; sent again
    DEAD = "dead"  # refused for good (5xx); never retried by itself


class Notification(SQLModel, table=True):
    """The outbox: one row per idempotency key, written with the change that causes it.

    No foreign key to `intervention`: a message may be queued before the first snapshot lands.
    """

    __tablename__ = "notification"
    # The delivery loop's question: what is due, in order.
    __table_args__ = (Index("ix_notification_status", "status", "next_attempt_at"),)
    idempotency_key: str = Field(primary_key=True, max_length=2 * _ID)
    intervention_id: str = Field(max_length=_ID, index=True)
    recipients: list[str] = Field(sa_type=JSON)
    subject: str = Field(max_length=_SUBJECT)
    body: str | None = Field(default=None, sa_type=Text)
    status: NotificationStatus = Field(sa_type=String(16))
    attempts: int = 0
    created_at: datetime
    next_attempt_at: datetime | None = None
    claimed_until: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=_REASON)


class InterventionDetail(InterventionPublic):
    """One intervention with its child rows, for a coordinator's "show" view."""

    panel: list[PanelMemberPublic] = Field(default_factory=list)
    meetings: list[MeetingPublic] = Field(default_factory=list)
    findings: list[FindingPublic] = Field(default_factory=list)
    actions: list[ActionPublic] = Field(default_factory=list)
    deadlines: list[DeadlinePublic] = Field(default_factory=list)


# -- References (not part of the projection: written when an intervention starts) --------------


class ReferenceCounter(SQLModel, table=True):
    """The last number given out in a year; incremented in the transaction that gives one."""

    __tablename__ = "reference_counter"
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int


class InterventionReference(SQLModel, table=True):
    """Which intervention a reference names. Written before the workflow starts, so a
    reference resolves at once, and kept per intervention ID so a retried start keeps it."""

    __tablename__ = "intervention_reference"
    intervention_id: str = Field(primary_key=True, max_length=_ID)
    reference: str = Field(max_length=_REFERENCE, unique=True)
    issued_at: datetime


# -- API users, their bearer tokens and the account audit (not part of the projection) ---------

_TOKEN_PREFIX = 16
_SHA256_HEX = 64
NOTICE_LENGTH = 100
_PASSWORD_HASH = 200  # an argon2id PHC string is about 100 characters
_ACCOUNT_DETAIL = 300


def _check_provider(role: Role, provider_code: str | None) -> None:
    if (role is Role.provider_lead) != (provider_code is not None):
        raise ValueError("provider_code is required for provider leads and only for them")


class ApiUserBase(SQLModel):
    name: str = Field(max_length=_PERSON, unique=True)  # the `actor` of the user's commands
    role: Role = Field(sa_type=String(16))
    provider_code: str | None = Field(default=None, max_length=_CODE)  # provider leads only
    email: str | None = Field(default=None, max_length=_EMAIL)


class ApiUserCreate(ApiUserBase):
    name: ActorId
    provider_code: Code | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _provider_for_provider_leads(self) -> ApiUserCreate:
        _check_provider(self.role, self.provider_code)
        return self


class ApiUserRole(SQLModel):
    """A user's new role, and the provider that goes with it (provider leads only)."""

    role: Role
    provider_code: Code | None = None

    @model_validator(mode="after")
    def _provider_for_provider_leads(self) -> ApiUserRole:
        _check_provider(self.role, self.provider_code)
        return self


class ApiUser(ApiUserBase, table=True):
    __tablename__ = "api_user"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime
    # set: none of the user's tokens is accepted, nor their password, nor their sessions
    disabled_at: datetime | None = None
    # argon2id, for signing in to the pages (`qi users set-password`); None: no password yet.
    password_hash: str | None = Field(default=None, max_length=_PASSWORD_HASH)


class ApiUserPublic(ApiUserBase):
    id: int
    disabled_at: datetime | None = None


class ApiTokenBase(SQLModel):
    prefix: str = Field(max_length=_TOKEN_PREFIX, index=True)  # shown to identify the token
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


class ApiToken(ApiTokenBase, table=True):
    """Only the SHA-256 of a token is kept; the token itself is shown once, when issued."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="api_user.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=_SHA256_HEX, unique=True)


class ApiTokenPublic(ApiTokenBase):
    user_name: str


class WebSession(SQLModel, table=True):
    """A browser signed in to the pages. Only the SHA-256 of the random ID in its cookie is kept.
    It ends at `expires_at` (its absolute lifetime), after a pause longer than the idle limit
    since `last_seen_at`, or when revoked (signing out, a new password). `notice` is what its
    next page says once (that a command was done), kept here rather than in an address."""

    __tablename__ = "web_session"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="api_user.id", ondelete="CASCADE", index=True)
    id_hash: str = Field(max_length=_SHA256_HEX, unique=True)
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    notice: str | None = Field(default=None, max_length=NOTICE_LENGTH)


class AccountAction(StrEnum):
    USER_ADDED = "user_added"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    ROLE_CHANGED = "role_changed"
    TOKEN_ISSUED = "token_issued"
    TOKEN_ROTATED = "token_rotated"
    TOKEN_REVOKED = "token_revoked"
    PASSWORD_SET = "password_set"
    SIGNED_IN = "signed_in"
    SIGNED_OUT = "signed_out"


class AccountEventBase(SQLModel):
    at: datetime
    operator: str = Field(max_length=_PERSON)  # the OS user who ran the `qi` command
    action: AccountAction = Field(sa_type=String(24))
    user_name: str = Field(max_length=_PERSON, index=True)  # whose account changed
    detail: str = Field(max_length=_ACCOUNT_DETAIL)  # roles, token prefixes, dates: no secret


class AccountEvent(AccountEventBase, table=True):
    """Append-only: one row per account change, written in the change's own transaction. No
    foreign key: the history of a user outlives anything done to their row."""

    __tablename__ = "account_event"
    id: int | None = Field(default=None, primary_key=True)


class AccountEventPublic(AccountEventBase):
    id: int
