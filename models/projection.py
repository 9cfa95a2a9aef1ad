"""What the read model needs to catch up with an intervention: only what changed (pure).

The workflow keeps the data it last projected and, after replying to a command, sends the
difference: the intervention's summary row, the child rows that are new or changed, the new
audit entries, and the messages the change announces (written to the outbox in the same
transaction). A projection is identified by its version, the number of the newest audit entry
it brings the read model to, so a repeated or late attempt changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from pydantic import BaseModel, Field

from models.effects import Message
from models.intervention import (
    Action,
    AuditEntry,
    Deadline,
    Finding,
    InterventionData,
    Meeting,
    PanelMember,
)
from models.tables import InterventionPublic

__all__ = ["OutboxMessage", "ProjectChanges", "Recorded", "changes_since", "summarize"]


class OutboxMessage(BaseModel):
    """A message to deliver, under the idempotency key that names it for good."""

    key: str
    message: Message


class ProjectChanges(BaseModel):
    """Everything that changed since the last projection, and the messages it announces."""

    idempotency_key: str
    summary: InterventionPublic  # the intervention's own row
    chair: str | None = None
    panel: list[PanelMember] | None = None  # None: unchanged; else the whole panel
    deadlines: list[Deadline] | None = None  # None: unchanged; else the whole list
    meetings: list[Meeting] = Field(default_factory=list)  # new or changed
    findings: list[Finding] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    audit: list[AuditEntry] = Field(default_factory=list)  # new entries
    messages: list[OutboxMessage] = Field(default_factory=list)
    # After a reset outside the service: the child rows given are all there are (those the
    # reset discarded go), not only the new or changed ones.
    replace: bool = False

    @property
    def intervention_id(self) -> str:
        return self.summary.id

    @property
    def version(self) -> int:
        return self.summary.version


@dataclass(frozen=True)
class Recorded:
    """What the read model was last given, as much as a difference needs. The lists are
    copies, their items shared: items are replaced when they change, never changed in place."""

    chair: str | None
    panel: tuple[PanelMember, ...]
    deadlines: tuple[Deadline, ...]
    meetings: tuple[Meeting, ...]
    findings: tuple[Finding, ...]
    actions: tuple[Action, ...]
    audit_length: int

    @classmethod
    def of(cls, data: InterventionData) -> Recorded:
        return cls(
            chair=data.chair,
            panel=tuple(data.panel),
            deadlines=tuple(data.deadlines),
            meetings=tuple(data.meetings),
            findings=tuple(data.findings),
            actions=tuple(data.actions),
            audit_length=len(data.audit),
        )


def _closed_at(data: InterventionData) -> datetime | None:
    if not data.state.terminal:
        return None
    entries = [e for e in data.audit if e.to_state is data.state]
    newest = max(entries, key=lambda e: e.seq, default=None)
    return newest.at if newest else data.started_at


def summarize(data: InterventionData, today: date) -> InterventionPublic:
    newest = max(data.audit, key=lambda e: e.seq, default=None)
    return InterventionPublic(
        id=data.intervention_id,
        reference=data.reference,
        type_code=data.type.code,
        type_name=data.type.name,
        provider_code=data.provider.code,
        provider_name=data.provider.name,
        site=data.provider.site,
        state=data.state,
        likelihood=data.concern.likelihood,
        impact=data.concern.impact,
        score=data.concern.score,
        risk_band=data.risk_band,
        coordinator=data.coordinator,
        started_at=data.started_at,
        # From the data, not a clock, so a repeated projection stores the same value.
        updated_at=newest.at if newest else data.started_at,
        closed_at=_closed_at(data),
        next_deadline=data.next_deadline(),
        open_actions=len(data.open_actions()),
        overdue_actions=len(data.overdue_actions(today)),
        escalated=bool(data.escalations),
        version=data.last_seq,
    )


_Row = TypeVar("_Row", Meeting, Finding, Action)


def _changed(before: Sequence[_Row], after: list[_Row]) -> list[_Row]:
    known = {row.id: row for row in before}
    return [row for row in after if known.get(row.id) != row]


def _without_progress(actions: Sequence[Action]) -> list[Action]:
    # Progress notes are part of the audit, not of the action's row.
    return [a.model_copy(update={"progress": []}) for a in actions]


def changes_since(
    before: Recorded | None,
    after: InterventionData,
    today: date,
    key: str,
    messages: list[OutboxMessage],
    *,
    replace: bool = False,
) -> ProjectChanges:
    """The projection taking the read model from `before` (None: nothing yet) to `after`;
    with `replace`, every child row (see `ProjectChanges.replace`)."""
    seen = before.audit_length if before else 0
    panel_changed = before is None or (before.panel, before.chair) != (
        tuple(after.panel), after.chair
    )
    return ProjectChanges(
        idempotency_key=key,
        summary=summarize(after, today),
        chair=after.chair,
        panel=list(after.panel) if panel_changed else None,
        deadlines=(
            list(after.deadlines)
            if before is None or before.deadlines != tuple(after.deadlines)
            else None
        ),
        meetings=_changed(before.meetings if before else [], after.meetings),
        findings=_changed(before.findings if before else [], after.findings),
        actions=_changed(
            _without_progress(before.actions) if before else [], _without_progress(after.actions)
        ),
        audit=after.audit[seen:],
        messages=messages,
        replace=replace,
    )
