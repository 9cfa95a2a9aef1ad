"""Every lifecycle command, defined once.

A `CommandSpec` says all there is to know about one command: the contract a client sends, how
it changes the intervention's data, where it may go in the lifecycle and which guards must
hold, the rules comparing the people it involves, which deadlines it meets and starts, what
it announces, and which roles may send it.
The workflow registers one update per entry; the API, the CLI, the permission table, the
lifecycle machine and the README diagram are all generated from `COMMANDS`. Adding a command
is one entry here plus its rule (a guard) and its change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from models import changes as ch
from models import commands as c
from models import deadlines as dl
from models import guards as g
from models import messages as msg
from models.commands import Event
from models.effects import Message
from models.errors import Problem
from models.intervention import DeadlineKind, InterventionData, State
from models.vocabulary import Reach, Role

__all__ = [
    "COMMANDS",
    "CommandSpec",
    "Transition",
    "announcements",
    "apply_command",
    "deadlines_met",
    "deadlines_started",
    "independence_problems",
]

Change = Callable[[InterventionData, Any, datetime], None]
Starts = Callable[[InterventionData, InterventionData, date], list[dl.DeadlineRequest]]
Announces = Callable[[InterventionData], dict[str, Message]]
DeadlineKey = tuple[DeadlineKind, str]


@dataclass(frozen=True)
class Transition:
    sources: tuple[State, ...]
    dest: State | None  # None: an internal transition (the command is allowed, state stays)
    guards: tuple[g.Guard, ...] = ()


@dataclass(frozen=True)
class CommandSpec:
    event: Event
    contract: type[c.Command]
    change: Change
    transitions: tuple[Transition, ...]
    # Roles other than the coordinator (who may send every command) and how far they reach.
    also_sent_by: Mapping[Role, Reach]
    # Rules comparing people (the sender, the provider's lead, an action's owner, the
    # coordinator), asked with the command after its change; see `independence_problems`.
    independence: tuple[g.IndependenceRule, ...] = ()
    meets: tuple[DeadlineKind, ...] = ()
    starts: Starts | None = None
    announces: Announces | None = None

    @property
    def name(self) -> str:
        """The workflow update's name, shown in the Web UI."""
        return self.event.value

    @property
    def summary(self) -> str:
        return (self.contract.__doc__ or "").strip()

    def deadlines_met(self, command: c.Command, after: InterventionData) -> set[DeadlineKey]:
        met = {(kind, "") for kind in self.meets}
        if isinstance(command, c.AddAction):
            met.add((DeadlineKind.imr_response, command.finding_id))
        if after.state.terminal:
            met |= {(d.kind, d.subject) for d in after.open_deadlines}
        return met


_PANEL_GUARDS = (
    g.chair_named,
    g.panel_has_required_roles,
    g.chair_holds_lead_role,
    g.interests_declared,
    g.chair_not_conflicted,
    g.conflicted_members_excluded,
)
_OPEN = tuple(s for s in State if not s.terminal)
_MEETINGS = (State.panel_convened, State.meetings_held)
_ACTIONS = (State.report_issued, State.actions_tracked)
_PANEL_MAY: Mapping[Role, Reach] = {Role.panel_member: Reach.all}
_DEAN_MAY: Mapping[Role, Reach] = {Role.dean: Reach.all}
_PROVIDER_MAY: Mapping[Role, Reach] = {Role.provider_lead: Reach.own_provider}


def _specs() -> Iterable[CommandSpec]:
    yield CommandSpec(
        Event.convene_panel, c.ConvenePanel, ch.convene,
        (Transition((State.planned,), State.panel_convened, _PANEL_GUARDS),),
        also_sent_by={}, independence=(g.panel_independent_of_provider,),
        meets=(DeadlineKind.convene_panel,),
        starts=dl.after_convening, announces=msg.panel_convened,
    )
    yield CommandSpec(
        Event.schedule_meeting, c.ScheduleMeeting, ch.schedule,
        (Transition(_MEETINGS, None, (g.meetings_scheduled_ahead,)),),
        also_sent_by=_PANEL_MAY,
    )
    yield CommandSpec(
        Event.reschedule_meeting, c.RescheduleMeeting, ch.reschedule,
        (Transition(_MEETINGS, None, (g.meetings_scheduled_ahead,)),),
        also_sent_by=_PANEL_MAY,
    )
    yield CommandSpec(
        Event.record_meeting, c.RecordMeeting, ch.record_meeting,
        (
            Transition((State.panel_convened,), State.meetings_held, (g.held_meetings_complete,)),
            Transition((State.meetings_held,), None, (g.held_meetings_complete,)),
        ),
        also_sent_by=_PANEL_MAY, meets=(DeadlineKind.first_meeting,),
        starts=dl.after_meeting,
    )
    yield CommandSpec(
        Event.issue_report, c.IssueReport, ch.issue_report,
        (Transition((State.meetings_held,), State.report_issued,
                    (g.report_final, g.findings_classified, g.factual_accuracy_closed)),),
        also_sent_by={}, meets=(DeadlineKind.draft_report, DeadlineKind.final_report),
        starts=dl.after_report, announces=msg.report_issued,
    )
    yield CommandSpec(
        Event.add_action, c.AddAction, ch.add_action,
        (Transition((State.meetings_held, *_ACTIONS), None, (g.actions_fit_their_findings,)),),
        also_sent_by={},
    )
    yield CommandSpec(
        Event.agree_action_plan, c.AgreeActionPlan, ch.agree,
        (Transition((State.report_issued,), State.actions_tracked,
                    (g.every_requirement_has_action,)),),
        also_sent_by={}, meets=(DeadlineKind.action_plan,),
    )
    yield CommandSpec(
        Event.record_action_progress, c.RecordActionProgress, ch.progress,
        (Transition(_ACTIONS, None),),
        also_sent_by=_PROVIDER_MAY,
    )
    yield CommandSpec(
        Event.accept_action, c.AcceptAction, ch.accept,
        (Transition((State.actions_tracked,), None),),
        also_sent_by={}, independence=(g.accepted_by_someone_else,),
    )
    yield CommandSpec(
        Event.transfer_action, c.TransferAction, ch.transfer,
        (Transition((State.actions_tracked,), None),),
        also_sent_by={},
    )
    yield CommandSpec(
        Event.approve_closure, c.ApproveClosure, ch.approve,
        (Transition((State.actions_tracked,), None, (g.closure_approver_allowed,)),),
        also_sent_by=_DEAN_MAY, independence=(g.closure_approved_by_someone_else,),
    )
    yield CommandSpec(
        Event.close, c.Close, ch.nothing,
        (Transition((State.actions_tracked,), State.closed,
                    (g.every_requirement_resolved, g.closure_approved)),),
        also_sent_by={}, announces=msg.closed,
    )
    yield CommandSpec(
        Event.cancel, c.Cancel, ch.cancel,
        (Transition((State.planned, State.panel_convened), State.cancelled,
                    (g.no_meeting_held,)),),
        also_sent_by={},
    )
    yield CommandSpec(
        Event.escalate, c.Escalate, ch.escalate, (Transition(_OPEN, None),),
        also_sent_by=_DEAN_MAY,
    )
    yield CommandSpec(
        Event.pause_clock, c.PauseClock, ch.pause, (Transition(_OPEN, None),), also_sent_by={},
    )
    yield CommandSpec(
        Event.resume_clock, c.ResumeClock, ch.resume, (Transition(_OPEN, None),),
        also_sent_by={},
    )


COMMANDS: Mapping[Event, CommandSpec] = {s.event: s for s in _specs()}


def apply_command(
    data: InterventionData, event: Event, command: c.Command, now: datetime
) -> InterventionData:
    """A new copy of `data` with the command's change; `data` itself is left untouched."""
    changed = data.model_copy(deep=True)
    COMMANDS[event].change(changed, command, now)
    return changed


def independence_problems(
    event: Event, after: InterventionData, command: c.Command
) -> list[Problem]:
    """What the rules comparing people find wrong with `command`, given the data after its
    change. Asked beside the lifecycle's guards, which see the data alone; the workflow holds
    commands in histories from before these rules to them only where they were in force."""
    return [p for rule in COMMANDS[event].independence for p in rule(after, command)]


def deadlines_started(
    before: InterventionData | None, after: InterventionData, event: Event | None, today: date
) -> list[dl.DeadlineRequest]:
    """Deadlines to (re)compute after `event` took `before` to `after` (None: the start)."""
    if event is None:
        return dl.at_start(after)
    starts = COMMANDS[event].starts
    return starts(before, after, today) if starts is not None and before is not None else []


def deadlines_met(event: Event, command: c.Command, after: InterventionData) -> set[DeadlineKey]:
    return COMMANDS[event].deadlines_met(command, after)


def announcements(event: Event | None, data: InterventionData) -> dict[str, Message]:
    """Messages keyed by a stable name (part of each message's idempotency key)."""
    if event is None:
        return msg.started(data)
    announces = COMMANDS[event].announces
    return announces(data) if announces is not None else {}
