"""The notifications each step sends. Published facts only: never learner data or concern text."""

from __future__ import annotations

from models.commands import Event
from models.effects import Message
from models.intervention import InterventionData

__all__ = ["messages_for"]


def _heading(data: InterventionData) -> str:
    return f"{data.type.name} at {data.provider.name}, {data.provider.site}"


def _footer(data: InterventionData) -> str:
    deadline = data.next_deadline()
    lines = [
        "",
        f"Intervention: {data.intervention_id}",
        f"State: {data.state}",
        f"Next deadline: {deadline.isoformat() if deadline else 'none'}",
        f"Coordinator: {data.coordinator} <{data.coordinator_email}>",
    ]
    return "\n".join(lines)


def messages_for(event: Event | None, data: InterventionData) -> dict[str, Message]:
    """Messages keyed by a stable name (part of each message's idempotency key)."""
    heading = _heading(data)
    if event is None:
        return {"provider-lead": Message(
            to=[data.provider.lead_email],
            subject=f"Quality intervention started: {heading}",
            body=f"Dear {data.provider.lead_name},\n\nThe regional quality team has started a "
            f"{data.type.name}. {data.type.why}\n{_footer(data)}",
        )}
    if event is Event.convene_panel:
        return {"panel": Message(
            to=[m.email for m in data.panel],
            subject=f"Panel convened: {heading}",
            body=f"You are on the panel, chaired by {data.chair}.\n{_footer(data)}",
        )}
    if event is Event.issue_report:
        return {"provider-lead": Message(
            to=[data.provider.lead_email, data.coordinator_email],
            subject=f"Report issued: {heading}",
            body=f"The final report has been issued with {len(data.findings)} findings. "
            f"An action plan is due.\n{_footer(data)}",
        )}
    if event is Event.close:
        return {"provider-lead": Message(
            to=[data.provider.lead_email, data.coordinator_email],
            subject=f"Intervention closed: {heading}",
            body=f"Every requirement has been resolved and closure was approved.\n{_footer(data)}",
        )}
    return {}
