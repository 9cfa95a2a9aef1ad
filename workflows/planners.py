"""How the workflow plans dates and hands over its effects: two versions of one contract.

`AfterReply` (every intervention started since the "effects-after-reply" patch) computes dates
from the calendar in its input and only notes what to record and send; the workflow's main loop
hands that over in one activity once the command has been answered. `RoundTrips` is how
interventions started before the patch worked (an activity for each step, awaited while the
command waits); their histories are replayed through it unchanged.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar import Calendar
    from models.deadlines import DeadlineRequest, plan
    from models.effects import Message, ShiftForPauseInput, ShiftForPauseResult
    from models.intervention import Deadline, InterventionData
    from models.projection import OutboxMessage
    from models.schedule import Notice, plan_notices
    from workflows import effects

__all__ = ["AfterReply", "Planner", "RoundTrips"]


class Planner(Protocol):
    async def deadlines(self, requests: list[DeadlineRequest], today: date) -> list[Deadline]: ...

    async def notices(self, data: InterventionData, today: date) -> list[Notice]: ...

    async def shift(self, input: ShiftForPauseInput) -> ShiftForPauseResult: ...

    async def record(self, key: str, data: InterventionData, today: date) -> None: ...

    async def send(self, key: str, message: Message, summary: str) -> None: ...


class RoundTrips:
    """Release 0.1: every step is an activity the command waits for."""

    def __init__(self, intervention_id: str) -> None:
        self._intervention_id = intervention_id

    async def deadlines(self, requests: list[DeadlineRequest], today: date) -> list[Deadline]:
        return await effects.plan_deadlines(requests, today)

    async def notices(self, data: InterventionData, today: date) -> list[Notice]:
        return await effects.plan_notices(data, today)

    async def shift(self, input: ShiftForPauseInput) -> ShiftForPauseResult:
        return await effects.shift_for_pause(input)

    async def record(self, key: str, data: InterventionData, today: date) -> None:
        await effects.record(key, data, today)

    async def send(self, key: str, message: Message, summary: str) -> None:
        await effects.send(key, self._intervention_id, message, summary)


class AfterReply:
    """Pure planning; recording and sending wait in `outbox` for the main loop.

    Nothing here yields, so a command handler that awaits these methods runs to its reply in
    the workflow task that delivered it."""

    def __init__(self, calendar: Calendar) -> None:
        self._calendar = calendar
        self.outbox: list[OutboxMessage] = []
        self.unrecorded = False

    async def deadlines(self, requests: list[DeadlineRequest], today: date) -> list[Deadline]:
        return plan(requests, today, self._calendar)

    async def notices(self, data: InterventionData, today: date) -> list[Notice]:
        return plan_notices(data, today, self._calendar)

    async def shift(self, input: ShiftForPauseInput) -> ShiftForPauseResult:
        return input.shifted(self._calendar)

    async def record(self, key: str, data: InterventionData, today: date) -> None:
        self.unrecorded = True

    async def send(self, key: str, message: Message, summary: str) -> None:
        self.outbox.append(OutboxMessage(key=key, message=message))

    @property
    def pending(self) -> bool:
        return self.unrecorded or bool(self.outbox)

    def take(self) -> list[OutboxMessage]:
        """Everything queued so far, leaving nothing behind."""
        taken, self.outbox, self.unrecorded = self.outbox, [], False
        return taken
