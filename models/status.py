"""What a client sees of an intervention: its status, the result of a command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time

from pydantic import BaseModel

from models.commands import Event
from models.errors import ProblemError
from models.intervention import InterventionData, State
from models.lifecycle import TRANSITIONS, Lifecycle
from models.outside import OutsideEnding
from models.registry import COMMANDS, apply_command
from models.schedule import Notice
from models.vocabulary import FindingCategory

__all__ = ["CommandResult", "InterventionStatus", "NextStep", "describe"]


class NextStep(BaseModel):
    command: Event
    moves_to: State | None
    # Why it would be refused now whatever its payload says (e.g. the clock is not paused, no
    # action is open); empty: it can be sent now.
    blocked_by: list[str]
    # For a command whose payload moves the state: the rules that payload must satisfy, as the
    # intervention stands (e.g. "a chair must be named").
    needs: list[str] = []


class InterventionStatus(BaseModel):
    data: InterventionData
    today: date
    next_steps: list[NextStep]
    upcoming: list[Notice] = []
    # Set by the service, never by the workflow: Temporal ended the workflow outside the
    # service, so `data` is as it last stood and no command is allowed.
    ended_outside: OutsideEnding | None = None

    @property
    def waiting_for(self) -> Notice | None:
        return self.upcoming[0] if self.upcoming else None

    @property
    def allowed(self) -> list[Event]:
        return [s.command for s in self.next_steps]


class CommandResult(BaseModel):
    intervention_id: str
    reference: str | None = None  # None for interventions started before references
    command: Event
    state: State
    seq: int
    allowed: list[Event]


def _booked(data: InterventionData) -> list[str]:
    if any(m.held_on is None and m.scheduled_on is not None for m in data.meetings):
        return []
    return ["no meeting is booked and waiting to be held (book one with schedule_meeting)"]


def _open_action(data: InterventionData) -> list[str]:
    if data.open_actions():
        return []
    return ["no action is open" + (" (add one with add_action)" if not data.actions else "")]


def _answerable_finding(data: InterventionData) -> list[str]:
    immediate = FindingCategory.IMMEDIATE_MANDATORY_REQUIREMENT
    if data.report is None and not any(f.category is immediate for f in data.findings):
        return ["before the report is issued, actions answer only immediate mandatory "
                "requirements, and none has been recorded"]
    if not data.findings:
        return ["there is no finding to act on"]
    return []


def _not_paused(data: InterventionData) -> list[str]:
    since = data.paused_since
    return [f"the clock is already paused (since {since})"] if since else []


# What a command with a payload refers to must exist now, whatever the payload says.
_NEEDS_NOW: dict[Event, Callable[[InterventionData], list[str]]] = {
    Event.reschedule_meeting: _booked,
    Event.add_action: _answerable_finding,
    Event.record_action_progress: _open_action,
    Event.accept_action: _open_action,
    Event.transfer_action: _open_action,
    Event.pause_clock: _not_paused,
}


def _probe(event: Event, data: InterventionData, today: date) -> list[str] | None:
    """For a command with nothing but who and why: the lifecycle's answer to it, now (its
    change applied, then its guards). None for commands that carry a payload."""
    contract = COMMANDS[event].contract
    if any(info.is_required() for name, info in contract.model_fields.items() if name != "actor"):
        return None
    now = datetime.combine(today, time(12), tzinfo=UTC)
    try:
        after = apply_command(data, event, contract(actor="status"), now)
    except ProblemError as error:
        return [p.rule for p in error.problems]
    return [p.rule for p in Lifecycle(data.state).refusals(event, after, today)]


def describe(
    data: InterventionData, today: date, upcoming: list[Notice] | None = None
) -> InterventionStatus:
    """The status with the commands this state takes: each with why it would be refused now
    (nothing: it can be sent) and what its payload still needs."""
    lifecycle = Lifecycle(data.state)
    steps = []
    for event in lifecycle.allowed():
        step = next(s for s in TRANSITIONS if s.event is event and data.state in s.sources)
        blocked = _probe(event, data, today)
        needs: list[str] = []
        if blocked is None:
            precondition = _NEEDS_NOW.get(event)
            blocked = precondition(data) if precondition is not None else []
            if step.dest is not None:
                needs = [p.rule for p in lifecycle.refusals(event, data, today)]
        steps.append(NextStep(command=event, moves_to=step.dest, blocked_by=blocked,
                              needs=needs))
    return InterventionStatus(data=data, today=today, next_steps=steps, upcoming=upcoming or [])
