"""What an intervention's page shows, worked out from its status and its audit trail (pure).

Where the intervention is among the six lifecycle states (or how it ended instead), what is
needed next and whether the signed-in user's role may do it, the planned deadlines, reminders
and escalations, and the audit trail: each in words a person reads (`api.pages.wording`), for
the templates to lay out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from api.pages.rendering import long_date, words
from api.pages.urls import command_page
from api.pages.wording import UK, clock, plain, uk_day
from models.access import approver_role, reach
from models.commands import Event
from models.intervention import AuditEntry, InterventionData, RecordedState, State
from models.outside import CANCEL_REQUESTED, OUTSIDE_ACTOR, RESET, HowEnded
from models.preview import preview_intervention
from models.registry import COMMANDS
from models.schedule import RESEND, SYSTEM_ACTOR, Notice, NoticeKind
from models.status import InterventionStatus, NextStep
from models.vocabulary import Role

__all__ = [
    "LIFECYCLE",
    "AuditRow",
    "Ending",
    "LifecycleStep",
    "NextCommand",
    "PlannedRow",
    "audit_rows",
    "ending",
    "lifecycle",
    "next_commands",
    "schedule",
]

# The six states an intervention passes through, in order (the enum's order); `cancelled` is
# a way out of it, not a step.
LIFECYCLE: tuple[State, ...] = tuple(s for s in State if s is not State.cancelled)
_OPEN = frozenset(s for s in State if not s.terminal)


# -- where it is ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LifecycleStep:
    state: State
    done: bool
    current: bool
    reached_on: date | None


def lifecycle(data: InterventionData, audit: Sequence[AuditEntry]) -> list[LifecycleStep]:
    """The six states, each done, current or still to come, with the day it was (last)
    reached. Only for an intervention on its way through them (not cancelled)."""
    reached: dict[str, date] = {str(State.planned): uk_day(data.started_at)}
    for entry in audit:  # oldest first: the last time it moved into each state wins
        if entry.to_state != entry.from_state:
            reached[str(entry.to_state)] = uk_day(entry.at)
    position = LIFECYCLE.index(data.state)
    return [
        LifecycleStep(state=state, done=i < position or data.state is State.closed,
                      current=i == position,
                      reached_on=reached.get(str(state)) if i <= position else None)
        for i, state in enumerate(LIFECYCLE)
    ]


@dataclass(frozen=True)
class Ending:
    """How an intervention left the lifecycle: cancelled, or ended outside the service."""

    title: str
    on: date | None
    by: str | None
    last_state: RecordedState
    reason: str | None
    outside: bool


_HOW_ENDED = {
    HowEnded.terminated: "Ended in Temporal (terminated)",
    HowEnded.cancelled: "Ended in Temporal (cancelled there)",
    HowEnded.timed_out: "Ended in Temporal (timed out)",
    HowEnded.failed: "Ended in Temporal (failed)",
}


def ending(status: InterventionStatus, audit: Sequence[AuditEntry]) -> Ending | None:
    """How the intervention ended outside its lifecycle, if it did; None otherwise."""
    if status.ended_outside is not None:
        ended = status.ended_outside
        return Ending(title=_HOW_ENDED[ended.how], on=uk_day(ended.at), by=None,
                      last_state=ended.last_state, reason=None, outside=True)
    if status.data.state is not State.cancelled:
        return None
    entry = next((e for e in reversed(audit) if e.command == Event.cancel), None)
    return Ending(title="Cancelled", on=uk_day(entry.at) if entry else None,
                  by=entry.actor if entry else None,
                  last_state=entry.from_state if entry else State.cancelled,
                  reason=status.data.cancellation_reason, outside=False)


# -- what is needed next --------------------------------------------------------------------


@dataclass(frozen=True)
class NextCommand:
    event: Event
    summary: str
    moves_to: State | None
    blocked_by: tuple[str, ...]  # in words; not empty: it cannot be sent now
    needs: tuple[str, ...]  # in words: the rules what is sent must meet
    href: str | None  # the command's form, if the user's role may send it and it is not blocked
    may_send: bool
    sent_by: str  # who may send it, in words: "a coordinator or a dean"


def _any_time(event: Event) -> bool:
    """A command every open state takes (escalate, pause the clock): not a step forward."""
    return {s for t in COMMANDS[event].transitions for s in t.sources} >= _OPEN


_A_ROLE = {role: f"a {words(role).lower()}" for role in Role}


def _may_send(role: Role, event: Event, data: InterventionData) -> bool:
    """Whether the service would take `event` from a user of `role` (their provider's reach is
    checked already: the page is theirs to see). A closure is approved under the approver role
    the user's account holds, which this type must accept."""
    if reach(role, event) is None:
        return False
    allowed = data.type.closure_approver_roles
    return event is not Event.approve_closure or approver_role(role, allowed) is not None


def _sent_by(event: Event, data: InterventionData) -> str:
    people = [_A_ROLE[role] for role in Role if _may_send(role, event, data)]
    return people[0] if len(people) == 1 else ", ".join(people[:-1]) + " or " + people[-1]


def _next(step: NextStep, data: InterventionData, reference: str, role: Role) -> NextCommand:
    may_send = _may_send(role, step.command, data)
    return NextCommand(
        event=step.command,
        summary=COMMANDS[step.command].summary,
        moves_to=step.moves_to,
        blocked_by=tuple(plain(b) for b in step.blocked_by),
        needs=tuple(plain(n) for n in step.needs),
        href=command_page(reference, step.command) if may_send and not step.blocked_by else None,
        may_send=may_send,
        sent_by=_sent_by(step.command, data),
    )


def next_commands(
    status: InterventionStatus, reference: str, role: Role
) -> tuple[list[NextCommand], list[NextCommand]]:
    """The commands the intervention takes now, for a user of `role`: those that carry it along
    its lifecycle, and those it takes at any time (escalate, pause the clock, cancel)."""
    steps = [_next(step, status.data, reference, role) for step in status.next_steps]
    aside = [s for s in steps if s.moves_to is State.cancelled or _any_time(s.event)]
    return [s for s in steps if s not in aside], aside


# -- what is planned ------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRow:
    on: date
    what: str
    about: str
    to: str | None


_NOTICE_WHAT = {
    NoticeKind.reminder: "Reminder",
    NoticeKind.escalation: "Escalation if missed",
    NoticeKind.meeting_reminder: "Meeting reminder",
    NoticeKind.progress: "Progress reminder",
    NoticeKind.stall: "Nudge when nothing has happened",
}


def _about(about: str, due_on: date | None) -> str:
    text = plain(about)
    text = text[:1].upper() + text[1:]
    return f"{text}, due {long_date(due_on)}" if due_on else text


def schedule(status: InterventionStatus) -> list[PlannedRow]:
    """The open deadlines and the reminders and escalations still to come, soonest first: the
    API's schedule (`preview_intervention`), in words."""
    notices: dict[str, Notice] = {n.summary: n for n in status.upcoming}
    rows = []
    for item in preview_intervention(status.data, status.upcoming):
        notice = notices.get(item.about) if item.what != "deadline" else None
        if notice is not None:
            rows.append(PlannedRow(on=item.on, what=_NOTICE_WHAT[notice.kind],
                                   about=_about(notice.about, notice.due_on),
                                   to=words(notice.recipient)))
        else:
            rows.append(PlannedRow(on=item.on, what=words(plain(item.what)),
                                   about=_about(item.about, None),
                                   to=words(item.to) if item.to else None))
    return rows


# -- what happened --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime  # UK time
    time: str  # the clock's, in words
    who: str
    what: str
    moved: tuple[RecordedState, RecordedState] | None  # from, to: when the state changed
    summary: str | None  # in words, when it says more than the change of state
    reason: str | None  # as its sender typed it


_WHO = {SYSTEM_ACTOR: "The service", OUTSIDE_ACTOR: "Someone in Temporal (not known)"}
_WHAT: dict[str, str] = {
    "start": "Started",
    RESEND: "Message sent again",
    CANCEL_REQUESTED: "Cancellation requested in Temporal",
    RESET: "Reset in Temporal",
    **{str(how): title for how, title in _HOW_ENDED.items()},
    NoticeKind.reminder: "Reminder sent",
    NoticeKind.escalation: "Escalation sent",
    NoticeKind.meeting_reminder: "Meeting reminder sent",
    NoticeKind.progress: "Progress reminder sent",
    NoticeKind.stall: "Nudge sent: nothing had happened for a while",
}


def _says_more(entry: AuditEntry) -> bool:
    routine = f"{entry.command}: {entry.from_state} -> {entry.to_state}"
    return bool(entry.summary) and entry.summary != routine


def audit_rows(audit: Iterable[AuditEntry]) -> list[AuditRow]:
    """The audit trail, newest first, in words."""
    return [
        AuditRow(
            seq=entry.seq,
            at=entry.at.astimezone(UK),
            time=clock(entry.at.astimezone(UK)),
            who=_WHO.get(entry.actor, entry.actor),
            what=_WHAT.get(entry.command, words(entry.command)),
            moved=(entry.from_state, entry.to_state)
            if entry.from_state != entry.to_state else None,
            summary=plain(entry.summary) if _says_more(entry) else None,
            reason=entry.reason,
        )
        for entry in sorted(audit, key=lambda e: e.seq, reverse=True)
    ]
