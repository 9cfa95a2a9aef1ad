"""Which deadlines a command starts and which it meets, from the type's SLA profile."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from models.calendar import add_working_days
from models.catalogue import SlaProfile
from models.commands import AddAction, Command, Event
from models.intervention import Deadline, DeadlineKind, InterventionData, State
from models.vocabulary import FindingCategory

__all__ = [
    "DeadlineRequest",
    "apply_deadlines",
    "deadlines_met",
    "deadlines_started",
    "plan",
    "working_days_for",
]

_SLA_FIELD: dict[DeadlineKind, str] = {
    DeadlineKind.convene_panel: "convene_panel_days",
    DeadlineKind.first_meeting: "first_meeting_days",
    DeadlineKind.imr_response: "imr_response_days",
    DeadlineKind.draft_report: "draft_report_days",
    DeadlineKind.final_report: "final_report_days",
    DeadlineKind.action_plan: "action_plan_days",
}

_MET_BY: dict[Event, tuple[DeadlineKind, ...]] = {
    Event.convene_panel: (DeadlineKind.convene_panel,),
    Event.record_meeting: (DeadlineKind.first_meeting,),
    Event.issue_report: (DeadlineKind.draft_report, DeadlineKind.final_report),
    Event.agree_action_plan: (DeadlineKind.action_plan,),
}


class DeadlineRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: DeadlineKind
    subject: str = ""
    anchor: date
    working_days: int


def working_days_for(sla: SlaProfile, kind: DeadlineKind) -> int:
    days: int = getattr(sla, _SLA_FIELD[kind])
    return days


def _request(
    sla: SlaProfile, kind: DeadlineKind, anchor: date, subject: str = ""
) -> DeadlineRequest:
    return DeadlineRequest(
        kind=kind, subject=subject, anchor=anchor, working_days=working_days_for(sla, kind)
    )


def deadlines_started(
    before: InterventionData | None, after: InterventionData, event: Event | None, today: date
) -> list[DeadlineRequest]:
    """Deadlines to (re)compute after `event` took `before` to `after` (None: the start)."""
    sla = after.type.sla
    if event is None:
        return [_request(sla, DeadlineKind.convene_panel, after.started_at.date())]
    if event is Event.convene_panel:
        return [_request(sla, DeadlineKind.first_meeting, today)]
    if event is Event.record_meeting and before is not None:
        held = [m.held_on for m in after.meetings if m.held_on]
        requests = [_request(sla, DeadlineKind.draft_report, max(held))]
        if before.state is State.panel_convened:
            requests.append(_request(sla, DeadlineKind.final_report, min(held)))
        known = {f.id for f in before.findings}
        requests += [
            _request(sla, DeadlineKind.imr_response, f.raised_on, subject=f.id)
            for f in after.findings
            if f.id not in known and f.category is FindingCategory.IMMEDIATE_MANDATORY_REQUIREMENT
        ]
        return requests
    if event is Event.issue_report and after.report is not None:
        return [_request(sla, DeadlineKind.action_plan, after.report.issued_on)]
    return []


def deadlines_met(
    event: Event, command: Command, after: InterventionData
) -> set[tuple[DeadlineKind, str]]:
    met = {(kind, "") for kind in _MET_BY.get(event, ())}
    if isinstance(command, AddAction):
        met.add((DeadlineKind.imr_response, command.finding_id))
    if after.state.terminal:
        met |= {(d.kind, d.subject) for d in after.open_deadlines}
    return met


def plan(requests: list[DeadlineRequest], today: date) -> list[Deadline]:
    return [
        Deadline(
            kind=r.kind,
            subject=r.subject,
            due_on=add_working_days(r.anchor, r.working_days),
            set_on=today,
        )
        for r in requests
    ]


def apply_deadlines(
    data: InterventionData, met: set[tuple[DeadlineKind, str]], planned: list[Deadline], today: date
) -> None:
    """Mark met deadlines and put newly planned ones in place of any open one they supersede."""
    replaced = {(d.kind, d.subject) for d in planned}
    kept = []
    for d in data.deadlines:
        key = (d.kind, d.subject)
        if d.met_on is None and key in replaced:
            continue
        if d.met_on is None and key in met:
            d = d.model_copy(update={"met_on": today})
        kept.append(d)
    data.deadlines = kept + [d for d in planned if (d.kind, d.subject) not in met]
