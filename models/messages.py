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
    "unaddressed",
]


def _heading(data: InterventionData) -> str:
    return f"{data.type.name} at {data.provider.name}, {data.provider.site}"


def _subject(data: InterventionData, text: str) -> str:
    """Every subject leads with the reference people quote back (interventions started before
    references have none)."""
    return f"[{data.reference}] {text}" if data.reference else text


def _footer(data: InterventionData) -> str:
    deadline = data.next_deadline()
    lines = [
        "",
        *([f"Reference: {data.reference}"] if data.reference else []),
        f"Intervention: {data.intervention_id}",
        f"State: {data.state}",
        f"Next deadline: {deadline.isoformat() if deadline else 'none'}",
        f"Coordinator: {data.coordinator} <{data.coordinator_email}>",
    ]
    return "\n".join(lines)


def started(data: InterventionData) -> dict[str, Message]:
    return {"provider-lead": Message(
        to=[data.provider.lead_email],
        subject=_subject(data, f"Quality intervention started: {_heading(data)}"),
        body=f"Dear {data.provider.lead_name},\n\nThe regional quality team has started a "
        f"{data.type.name}. {data.type.why}\n{_footer(data)}",
    )}


def panel_convened(data: InterventionData) -> dict[str, Message]:
    return {"panel": Message(
        to=[m.email for m in data.panel],
        subject=_subject(data, f"Panel convened: {_heading(data)}"),
        body=f"You are on the panel, chaired by {data.chair}.\n{_footer(data)}",
    )}


def report_issued(data: InterventionData) -> dict[str, Message]:
    return {"provider-lead": Message(
        to=[data.provider.lead_email, data.coordinator_email],
        subject=_subject(data, f"Report issued: {_heading(data)}"),
        body=f"The final report has been issued with {len(data.findings)} findings. "
        f"An action plan is due.\n{_footer(data)}",
    )}


def closed(data: InterventionData) -> dict[str, Message]:
    return {"provider-lead": Message(
        to=[data.provider.lead_email, data.coordinator_email],
        subject=_subject(data, f"Intervention closed: {_heading(data)}"),
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


_SUBJECT = {
    NoticeKind.reminder: "Reminder: {about} due on {due}",
    NoticeKind.meeting_reminder: "Meeting reminder: {about} booked for {due}",
    NoticeKind.progress: "Progress update requested: {about}",
    NoticeKind.stall: "Stalled intervention: {about}",
}
_OPENING = {
    NoticeKind.reminder: "Reminder: {about} is due on {due}.",
    NoticeKind.meeting_reminder: "Reminder: {about} is booked for {due}.",
    NoticeKind.escalation: "Escalation: {about} was due on {due} and has not been met.",
    NoticeKind.progress: "Please send a progress update on the open actions.",
    NoticeKind.stall: "Nothing has been recorded on this intervention since a coordinator's "
    "last command ({about}).",
}
_ESCALATED_TO = {
    Recipient.quality_lead: "the quality lead",
    Recipient.dean: "the Postgraduate Dean",
}


def _escalation_subject(notice: Notice, data: InterventionData) -> str:
    """The rung says who it goes to; the chain's last rung says it is the last."""
    last = notice.step + 1 >= len(data.type.sla.escalation_chain)
    to = _ESCALATED_TO.get(notice.recipient)
    level = ("Final escalation" if last else f"Escalation {notice.step + 1}") + (
        f" to {to}" if to else "")
    return f"{level}: {notice.about} overdue since {notice.due_on}"


def unaddressed(notice: Notice, data: InterventionData) -> str | None:
    """Why an escalation cannot go where its rung says (no quality lead or dean address is
    configured), or None. Such a notice is noted in the audit, not sent to the coordinator
    again under another name."""
    contacts = data.contacts
    if notice.kind is not NoticeKind.escalation:
        return None
    if notice.recipient is Recipient.quality_lead and not (
        contacts and contacts.quality_lead_email
    ):
        return "no quality lead address is configured (QI_QUALITY_LEAD_EMAIL)"
    if notice.recipient is Recipient.dean and not (contacts and contacts.dean_email):
        return "no Postgraduate Dean address is configured (QI_DEAN_EMAIL)"
    return None


def notice_message(notice: Notice, data: InterventionData) -> Message:
    due = notice.due_on.isoformat() if notice.due_on else ""
    opening = _OPENING[notice.kind].format(about=notice.about, due=due)
    if notice.kind is NoticeKind.escalation:
        subject = _escalation_subject(notice, data)
    else:
        subject = _SUBJECT[notice.kind].format(about=notice.about, due=due)
    return Message(
        to=recipients(data, notice.recipient, notice.action_id),
        subject=_subject(data, f"{subject} - {_heading(data)}"),
        body=f"{opening}\n{_footer(data)}",
    )
