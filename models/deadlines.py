"""Which deadlines a command starts and which it meets, from the type's SLA profile."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from models.calendar import Calendar
from models.catalogue import SlaProfile
from models.intervention import Deadline, DeadlineKind, InterventionData, State
from models.vocabulary import FindingCategory

__all__ = [
    "DeadlineRequest",
    "after_convening",
    "after_meeting",
    "after_report",
    "apply_deadlines",
    "at_start",
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


def at_start(after: InterventionData) -> list[DeadlineRequest]:
    return [_request(after.type.sla, DeadlineKind.convene_panel, after.started_at.date())]


def after_convening(
    before: InterventionData, after: InterventionData, today: date
) -> list[DeadlineRequest]:
    return [_request(after.type.sla, DeadlineKind.first_meeting, today)]


def after_meeting(
    before: InterventionData, after: InterventionData, today: date
) -> list[DeadlineRequest]:
    sla = after.type.sla
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


def after_report(
    before: InterventionData, after: InterventionData, today: date
) -> list[DeadlineRequest]:
    if after.report is None:
        return []
    return [_request(after.type.sla, DeadlineKind.action_plan, after.report.issued_on)]


def plan(requests: list[DeadlineRequest], today: date, cal: Calendar) -> list[Deadline]:
    return [
        Deadline(
            kind=r.kind,
            subject=r.subject,
            due_on=cal.add_working_days(r.anchor, r.working_days),
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

