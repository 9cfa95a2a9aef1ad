"""What a client sees of an intervention: its status, the result of a command."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from models.commands import Event
from models.intervention import InterventionData, State
from models.lifecycle import TRANSITIONS, Lifecycle
from models.schedule import Notice

__all__ = ["CommandResult", "InterventionStatus", "NextStep", "describe"]


class NextStep(BaseModel):
    command: Event
    moves_to: State | None
    # For commands without a payload the guards can be asked now; for the others these are the
    # rules the payload must satisfy, evaluated against the current data.
    blocked_by: list[str]


class InterventionStatus(BaseModel):
    data: InterventionData
    today: date
    next_steps: list[NextStep]
    upcoming: list[Notice] = []

    @property
    def waiting_for(self) -> Notice | None:
        return self.upcoming[0] if self.upcoming else None

    @property
    def allowed(self) -> list[Event]:
        return [s.command for s in self.next_steps]


class CommandResult(BaseModel):
    intervention_id: str
    command: Event
    state: State
    seq: int
    allowed: list[Event]


def describe(
    data: InterventionData, today: date, upcoming: list[Notice] | None = None
) -> InterventionStatus:
    lifecycle = Lifecycle(data.state)
    steps = []
    for event in lifecycle.allowed():
        step = next(s for s in TRANSITIONS if s.event is event and data.state in s.sources)
        if step.dest is None:
            blocked: list[str] = []
        else:
            blocked = [str(p) for p in lifecycle.refusals(event, data, today)]
        steps.append(NextStep(command=event, moves_to=step.dest, blocked_by=blocked))
    return InterventionStatus(data=data, today=today, next_steps=steps, upcoming=upcoming or [])
