"""The notifications each step sends. Published facts only: never learner data or concern text."""

from __future__ import annotations

from models.catalogue import Recipient
from models.effects import Message
from models.intervention import InterventionData
from models.schedule import Notice, NoticeKind

__all__ = [
    "closed",
    "notice_message",
    "panel_convened",
    "recipients",
    "report_issued",
    "started",
]


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


def started(data: InterventionData) -> dict[str, Message]:
    return {"provider-lead": Message(
        to=[data.provider.lead_email],
        subject=f"Quality intervention started: {_heading(data)}",
        body=f"Dear {data.provider.lead_name},\n\nThe regional quality team has started a "
        f"{data.type.name}. {data.type.why}\n{_footer(data)}",
    )}


def panel_convened(data: InterventionData) -> dict[str, Message]:
    return {"panel": Message(
        to=[m.email for m in data.panel],
        subject=f"Panel convened: {_heading(data)}",
        body=f"You are on the panel, chaired by {data.chair}.\n{_footer(data)}",
    )}


def report_issued(data: InterventionData) -> dict[str, Message]:
    return {"provider-lead": Message(
        to=[data.provider.lead_email, data.coordinator_email],
        subject=f"Report issued: {_heading(data)}",
        body=f"The final report has been issued with {len(data.findings)} findings. "
        f"An action plan is due.\n{_footer(data)}",
    )}


def closed(data: InterventionData) -> dict[str, Message]:
    return {"provider-lead": Message(
        to=[data.provider.lead_email, data.coordinator_email],
        subject=f"Intervention closed: {_heading(data)}",
        body=f"Every requirement has been resolved and closure was approved.\n{_footer(data)}",
    )}


def recipients(data: InterventionData, who: Recipient, action_id: str | None = None) -> list[str]:
    """E-mail addresses for a recipient role; escalations without a configured quality lead
    or dean go to the coordinator rather than nowhere."""
    if who is Recipient.provider_lead:
        return [data.provider.lead_email]
    if who is Recipient.action_owner:
        owners = [a for a in data.open_actions() if action_id in (None, a.id)]
        return sorted({a.owner_email for a in owners}) or [data.provider.lead_email]
    if who is Recipient.panel:
        return [m.email for m in data.panel] or [data.coordinator_email]
    contacts = data.contacts
    if who is Recipient.quality_lead and contacts and contacts.quality_lead_email:
        return [contacts.quality_lead_email]
    if who is Recipient.dean and contacts and contacts.dean_email:
        return [contacts.dean_email]
    return [data.coordinator_email]


_OPENING = {
    NoticeKind.reminder: "Reminder: {about} is due on {due}.",
    NoticeKind.meeting_reminder: "Reminder: {about} is booked for {due}.",
    NoticeKind.escalation: "Escalation: {about} was due on {due} and has not been met.",
    NoticeKind.progress: "Please send a progress update on the open actions.",
    NoticeKind.stall: "Nothing has happened on this intervention ({about}).",
}


def notice_message(notice: Notice, data: InterventionData) -> Message:
    due = notice.due_on.isoformat() if notice.due_on else ""
    opening = _OPENING[notice.kind].format(about=notice.about, due=due)
    return Message(
        to=recipients(data, notice.recipient, notice.action_id),
        subject=f"{opening.split(':')[0]}: {notice.about} - {_heading(data)}",
        body=f"{opening}\n{_footer(data)}",
    )
