"""What each accepted command changes in an intervention's data (pure; changes the copy given).

Reference errors (an unknown action or meeting) are raised here; whether the resulting data is
acceptable is the guards' question, asked by the lifecycle afterwards.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.commands import (
    AcceptAction,
    AddAction,
    ApproveClosure,
    Cancel,
    Command,
    ConvenePanel,
    Escalate,
    IssueReport,
    PauseClock,
    RecordActionProgress,
    RecordMeeting,
    RescheduleMeeting,
    ScheduleMeeting,
    TransferAction,
)
from models.errors import ErrorType, Problem, ProblemError
from models.intervention import (
    Action,
    ClosureApproval,
    Escalation,
    Finding,
    InterventionData,
    Meeting,
    Pause,
    ProgressNote,
    Report,
)
from models.vocabulary import ActionStatus, FindingCategory

__all__ = [
    "accept",
    "add_action",
    "agree",
    "approve",
    "cancel",
    "convene",
    "escalate",
    "issue_report",
    "nothing",
    "pause",
    "progress",
    "record_meeting",
    "reschedule",
    "resume",
    "schedule",
    "transfer",
]


def _unknown(field: str, rule: str) -> ProblemError:
    return ProblemError([Problem(field=field, rule=rule)], ErrorType.UNKNOWN_REFERENCE)


def _open_action(data: InterventionData, action_id: str) -> Action:
    action = data.action(action_id)
    if action is None:
        known = ", ".join(a.id for a in data.actions) or "none yet"
        raise _unknown(
            "action_id", f"no action {action_id!r} in this intervention (known: {known})"
        )
    if action.status is not ActionStatus.OPEN:
        raise ProblemError(
            [Problem(field="action_id", rule=f"action {action_id} is already {action.status}")],
            ErrorType.COMMAND_REFUSED,
        )
    return action


def _update_open_action(data: InterventionData, action_id: str, **update: Any) -> None:
    """Change an open action (refusing an unknown or settled one) in place in the list."""
    changed = _open_action(data, action_id).model_copy(update=update)
    data.actions = [changed if a.id == changed.id else a for a in data.actions]


def convene(data: InterventionData, cmd: ConvenePanel, now: datetime) -> None:
    data.panel = list(cmd.members)
    data.chair = cmd.chair


def schedule(data: InterventionData, cmd: ScheduleMeeting, now: datetime) -> None:
    meeting_id = f"M{len(data.meetings) + 1}"
    data.meetings.append(
        Meeting(id=meeting_id, format=cmd.format, scheduled_on=cmd.scheduled_on,
                booked_on=now.date())
    )


def reschedule(data: InterventionData, cmd: RescheduleMeeting, now: datetime) -> None:
    meeting = data.meeting(cmd.meeting_id)
    if meeting is None:
        raise _unknown("meeting_id", f"no meeting {cmd.meeting_id!r} in this intervention")
    if meeting.held_on is not None:
        raise ProblemError(
            [Problem(field="meeting_id", rule=f"meeting {meeting.id} has already been held")],
            ErrorType.COMMAND_REFUSED,
        )
    moved = meeting.model_copy(update={"scheduled_on": cmd.scheduled_on, "booked_on": now.date()})
    data.meetings = [moved if m.id == moved.id else m for m in data.meetings]


def record_meeting(data: InterventionData, cmd: RecordMeeting, now: datetime) -> None:
    if cmd.meeting_id is None:
        data.meetings.append(
            Meeting(
                id=f"M{len(data.meetings) + 1}",
                format=cmd.format,
                held_on=cmd.held_on,
                attendance=cmd.attendance,
            )
        )
    else:
        meeting = data.meeting(cmd.meeting_id)
        if meeting is None:
            raise _unknown("meeting_id", f"no meeting {cmd.meeting_id!r} in this intervention")
        if meeting.held_on is not None:
            raise ProblemError(
                [Problem(field="meeting_id", rule=f"meeting {meeting.id} is already recorded")],
                ErrorType.COMMAND_REFUSED,
            )
        held = meeting.model_copy(
            update={"held_on": cmd.held_on, "format": cmd.format, "attendance": cmd.attendance}
        )
        data.meetings = [held if m.id == held.id else m for m in data.meetings]
    for text in cmd.immediate_mandatory_requirements:
        data.findings.append(
            Finding(
                id=f"F{len(data.findings) + 1}",
                category=FindingCategory.IMMEDIATE_MANDATORY_REQUIREMENT,
                text=text,
                raised_on=cmd.held_on,
            )
        )


def issue_report(data: InterventionData, cmd: IssueReport, now: datetime) -> None:
    for finding in cmd.findings:
        data.findings.append(
            Finding(
                id=f"F{len(data.findings) + 1}",
                category=finding.category,
                text=finding.text,
                raised_on=now.date(),
            )
        )
    data.report = Report(
        final=cmd.final,
        factual_accuracy_closed_on=cmd.factual_accuracy_closed_on,
        issued_on=now.date(),
    )


def add_action(data: InterventionData, cmd: AddAction, now: datetime) -> None:
    if data.finding(cmd.finding_id) is None:
        known = ", ".join(f.id for f in data.findings) or "none yet"
        raise _unknown("finding_id", f"no finding {cmd.finding_id!r} (known: {known})")
    data.actions.append(
        Action(
            id=f"A{len(data.actions) + 1}",
            finding_id=cmd.finding_id,
            description=cmd.description,
            owner_name=cmd.owner_name,
            owner_email=cmd.owner_email,
            due_on=cmd.due_on,
            added_on=now.date(),
        )
    )


def agree(data: InterventionData, cmd: Command, now: datetime) -> None:
    data.tracking_since = now.date()


def progress(data: InterventionData, cmd: RecordActionProgress, now: datetime) -> None:
    note = ProgressNote(on=now.date(), by=cmd.actor, note=cmd.note, evidence=cmd.evidence)
    action = _open_action(data, cmd.action_id)
    _update_open_action(data, cmd.action_id, progress=[*action.progress, note])


def accept(data: InterventionData, cmd: AcceptAction, now: datetime) -> None:
    _update_open_action(data, cmd.action_id, status=ActionStatus.ACCEPTED,
                        evidence=cmd.evidence, accepted_by=cmd.actor)


def transfer(data: InterventionData, cmd: TransferAction, now: datetime) -> None:
    _update_open_action(data, cmd.action_id, status=ActionStatus.TRANSFERRED,
                        transfer_reason=cmd.reason, transferred_to=cmd.transferred_to)


def approve(data: InterventionData, cmd: ApproveClosure, now: datetime) -> None:
    data.closure_approval = ClosureApproval(approver=cmd.actor, role=cmd.role, on=now.date())


def cancel(data: InterventionData, cmd: Cancel, now: datetime) -> None:
    data.cancellation_reason = cmd.reason


def escalate(data: InterventionData, cmd: Escalate, now: datetime) -> None:
    data.escalations.append(
        Escalation(level=cmd.level, reason=cmd.reason, by=cmd.actor, at=now)
    )


def pause(data: InterventionData, cmd: PauseClock, now: datetime) -> None:
    if data.paused_since is not None:
        raise ProblemError(
            [Problem(field="command", rule=f"the clock is already paused (since "
                     f"{data.paused_since})")],
            ErrorType.COMMAND_REFUSED,
        )
    data.pauses.append(Pause(since=now.date(), reason=cmd.reason))


def resume(data: InterventionData, cmd: Command, now: datetime) -> None:
    if data.paused_since is None:
        raise ProblemError(
            [Problem(field="command", rule="the clock is not paused")], ErrorType.COMMAND_REFUSED
        )
    data.pauses[-1] = data.pauses[-1].model_copy(update={"until": now.date()})


def nothing(data: InterventionData, cmd: Command, now: datetime) -> None:
    return None
