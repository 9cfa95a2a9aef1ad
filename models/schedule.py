"""The reminder, escalation and nudge schedule of an intervention (pure).

The workflow sleeps until the earliest unsent notice; `qi preview` shows the same list. A
notice's key is stable while what it is about is unchanged, so it is sent at most once, and a
moved date (a rescheduled meeting, a paused clock) gives new keys and drops the old notices.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, computed_field

from models.calendar import Calendar
from models.catalogue import Recipient, SlaProfile
from models.intervention import DeadlineKind, InterventionData, State
from models.outside import OUTSIDE_COMMANDS

__all__ = [
    "RESEND",
    "SYSTEM_ACTOR",
    "Notice",
    "NoticeKind",
    "add_months",
    "notices_for_due",
    "plan_notices",
]

_MAX_PROGRESS_REMINDERS = 36


class NoticeKind(StrEnum):
    reminder = "reminder"
    escalation = "escalation"
    meeting_reminder = "meeting_reminder"
    progress = "progress"
    stall = "stall"


class Notice(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    kind: NoticeKind
    on: date
    about: str  # readable: "first meeting", "action A1"
    due_on: date | None
    recipient: Recipient
    step: int = 0
    action_id: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> str:
        """What the notice says, in a line (carried in the JSON the API answers)."""
        due = f" due {self.due_on.isoformat()}" if self.due_on else ""
        if self.kind is NoticeKind.escalation:
            return f"escalation {self.step + 1} to {self.recipient}: {self.about}{due} missed"
        return f"{self.kind.replace('_', ' ')} to {self.recipient}: {self.about}{due}"


DEADLINE_OWNER: dict[DeadlineKind, Recipient] = {
    DeadlineKind.convene_panel: Recipient.coordinator,
    DeadlineKind.first_meeting: Recipient.coordinator,
    DeadlineKind.imr_response: Recipient.provider_lead,
    DeadlineKind.draft_report: Recipient.coordinator,
    DeadlineKind.final_report: Recipient.coordinator,
    DeadlineKind.action_plan: Recipient.provider_lead,
}


def add_months(day: date, months: int) -> date:
    """Same day of the month `months` later, clamped to the month's end (31 Jan + 1 = 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has at least 28 days")


def notices_for_due(
    sla: SlaProfile,
    key: str,
    about: str,
    due_on: date,
    owner: Recipient,
    set_on: date,
    cal: Calendar,
) -> list[Notice]:
    """Reminders before `due_on` (none before the day it was set) and the escalation chain."""
    notices = [
        Notice(
            key=f"{key}@{due_on}:remind:{offset}",
            kind=NoticeKind.reminder,
            about=about,
            on=cal.subtract_working_days(due_on, offset),
            due_on=due_on,
            recipient=owner,
        )
        for offset in sla.reminder_offsets
        if cal.subtract_working_days(due_on, offset) > set_on
    ]
    for step, rung in enumerate(sla.escalation_chain):
        notices.append(
            Notice(
                key=f"{key}@{due_on}:escalate:{step}",
                kind=NoticeKind.escalation,
                about=about,
                on=cal.add_working_days(due_on, rung.after_days),
                due_on=due_on,
                recipient=owner if rung.to is Recipient.owner else rung.to,
                step=step,
            )
        )
    return notices


def _deadline_notices(data: InterventionData, cal: Calendar) -> list[Notice]:
    sla = data.type.sla
    notices: list[Notice] = []
    for d in data.open_deadlines:
        about = d.kind.replace("_", " ") + (f" for {d.subject}" if d.subject else "")
        key = f"deadline:{d.kind}:{d.subject}"
        notices += notices_for_due(
            sla, key, about, d.due_on, DEADLINE_OWNER[d.kind], d.set_on, cal
        )
    for a in data.open_actions():
        notices += [
            n.model_copy(update={"action_id": a.id})
            for n in notices_for_due(
                sla,
                f"action:{a.id}",
                f"action {a.id}",
                a.due_on,
                Recipient.action_owner,
                a.added_on or a.due_on,
                cal,
            )
        ]
    return notices


def _meeting_notices(data: InterventionData, today: date, cal: Calendar) -> list[Notice]:
    return [
        Notice(
            key=f"meeting:{m.id}@{m.scheduled_on}:remind:{offset}",
            kind=NoticeKind.meeting_reminder,
            about=f"meeting {m.id}",
            on=cal.subtract_working_days(m.scheduled_on, offset),
            due_on=m.scheduled_on,
            recipient=Recipient.panel,
        )
        for m in data.meetings
        if m.held_on is None and m.scheduled_on is not None
        for offset in data.type.sla.reminder_offsets
        if cal.subtract_working_days(m.scheduled_on, offset) > (m.booked_on or today)
    ]


def _progress_notices(data: InterventionData, today: date, cal: Calendar) -> list[Notice]:
    if data.state is not State.actions_tracked or not data.open_actions():
        return []
    since = data.tracking_since or today
    months = data.type.sla.progress_reminder_months
    notices = []
    for n in range(1, _MAX_PROGRESS_REMINDERS + 1):
        on = cal.previous_working_day(add_months(since, n * months))
        notices.append(
            Notice(
                key=f"progress:{since}:{n}",
                kind=NoticeKind.progress,
                about=f"progress update {n}",
                on=on,
                due_on=None,
                recipient=Recipient.action_owner,
                step=n,
            )
        )
        if on > today and len(notices) >= 3:
            break  # the next few are enough to plan by; more appear as these are sent
    return notices


def _stall_notice(data: InterventionData, cal: Calendar) -> list[Notice]:
    last = max(
        (a for a in data.audit if a.actor != SYSTEM_ACTOR and a.command not in _NOT_ACTIVITY),
        key=lambda a: a.seq, default=None,
    )
    if last is None:
        return []
    on = cal.add_working_days(last.at.date(), data.type.sla.stall_days)
    return [
        Notice(
            key=f"stall:{last.seq}",
            kind=NoticeKind.stall,
            on=on,
            due_on=None,
            about=f"no command since {last.at.date().isoformat()}",
            recipient=Recipient.coordinator,
        )
    ]


SYSTEM_ACTOR = "system"
# Audit entries an operator makes about mail, and notes of what was done in Temporal outside the
# service, are not about the intervention's work: no stall ends there.
RESEND = "resend_message"
_NOT_ACTIVITY = frozenset({RESEND, *OUTSIDE_COMMANDS})


def plan_notices(data: InterventionData, today: date, cal: Calendar) -> list[Notice]:
    """Every notice still to come, in date order; nothing once ended or while paused."""
    if data.state.terminal or data.paused_since is not None:
        return []
    notices = (
        _deadline_notices(data, cal)
        + _meeting_notices(data, today, cal)
        + _progress_notices(data, today, cal)
        + _stall_notice(data, cal)
    )
    return sorted(notices, key=lambda n: (n.on, n.key))
