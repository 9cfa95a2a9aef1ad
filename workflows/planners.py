"""How the workflow plans dates and hands over its effects: two versions of one contract.

`AfterReply` (every intervention started since the "effects-after-reply" patch) computes dates
from the calendar in its input and only notes what to record and send; the workflow's main loop
hands that over in one activity once the command has been answered. `RoundTrips` is how
interventions started before the patch worked (an activity for each step, awaited while the
command waits); their histories are replayed through it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Protocol

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError
from temporalio.exceptions import TimeoutError as TemporalTimeoutError

with workflow.unsafe.imports_passed_through():
    from models.calendar import Calendar
    from models.deadlines import DeadlineRequest, plan
    from models.effects import Message, ShiftForPauseInput, ShiftForPauseResult
    from models.intervention import Deadline, InterventionData
    from models.projection import OutboxMessage, Recorded, changes_since
    from models.schedule import Notice, plan_notices
    from workflows import effects, monitoring

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
    """Pure planning; recording and sending wait in `outbox` for the main loop's `hand_over`.

    Nothing a command handler awaits here yields, so it runs to its reply in the workflow task
    that delivered it."""

    def __init__(self, calendar: Calendar, *, recorded: int) -> None:
        self._calendar = calendar
        self.outbox: list[OutboxMessage] = []
        self.unrecorded = False
        self._projected: Recorded | None = None  # what the read model was last given
        self._recorded = recorded  # the audit length it is known to hold
        self._held_up = False  # recording has waited past its patience (e.g. database down)

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

    def behind(self, data: InterventionData) -> SearchAttributeUpdate[int]:
        """The ReadModelBehind search attribute: set only while recording is held up."""
        key = monitoring.READ_MODEL_BEHIND
        if self._held_up:
            return key.value_set(len(data.audit) - self._recorded)
        return key.value_unset()

    async def hand_over(
        self, data: InterventionData, today: date, patience: timedelta, show: Callable[[], None]
    ) -> None:
        """Record everything since the last hand-over and queue its messages, in one activity
        after the commands that caused it have been answered. Past `patience`, say so (`show`
        upserts the search attributes) and keep trying until it lands."""
        key = f"{workflow.info().workflow_id}:project:{len(data.audit)}"
        changes = changes_since(self._projected, data, today, key, self.take())
        # Commands answered while the activity runs are diffed against what it carries.
        self._projected = Recorded.of(data)
        try:
            try:
                await effects.project(changes, within=None if self._held_up else patience)
            except ActivityError as error:
                if not isinstance(error.cause, TemporalTimeoutError):
                    raise
                self._held_up = True
                show()
                await effects.project(changes)
        except ActivityError as error:
            # Refused for good (the read model's constraints): retrying would refuse it again,
            # and the intervention must go on. Operators see it in the worker's log.
            workflow.logger.error(
                "read model refused changes up to audit entry %d: %s",
                changes.version, error.cause or error,
            )
        self._recorded = changes.version
        if self._held_up and not self.pending:
            self._held_up = False
            show()
