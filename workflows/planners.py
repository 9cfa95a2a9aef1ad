"""How the workflow plans dates and hands over its effects: two versions of one contract.

`AfterReply` (every intervention started since the "effects-after-reply" patch) computes dates
from the calendar in its input and only notes what to record and send; the workflow's main loop
hands that over in one activity once the command has been answered. `RoundTrips` is how
interventions started before the patch worked (an activity for each step, awaited while the
command waits); their histories are replayed through it unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Protocol

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, is_cancelled_exception
from temporalio.exceptions import TimeoutError as TemporalTimeoutError

with workflow.unsafe.imports_passed_through():
    from models.calendar import Calendar
    from models.deadlines import DeadlineRequest, plan
    from models.effects import Message, ShiftForPauseInput, ShiftForPauseResult
    from models.intervention import Deadline, InterventionData
    from models.projection import OutboxMessage, ProjectChanges, Recorded, changes_since
    from models.schedule import Notice, plan_notices
    from workflows import effects, monitoring

__all__ = ["CANCEL_REQUESTS_NOTED", "AfterReply", "Planner", "RoundTrips"]

# Shared with the workflow: from this patch on, a cancellation request is noted, not obeyed.
CANCEL_REQUESTS_NOTED = "cancel-requests-noted"


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
        self._recorded = recorded  # the newest audit entry it is known to hold
        self._held_up = False  # recording has waited past its patience (e.g. database down)
        self._in_flight: workflow.ActivityHandle[None] | None = None
        self._replace = False  # the next projection gives every child row (after a reset)
        # Set by `rebase` while a projection is in flight: it is cancelled, and its messages
        # are renumbered with these (old entry number -> new) and handed over again.
        self._superseded: dict[int, int] | None = None

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
            return key.value_set(data.last_seq - self._recorded)
        return key.value_unset()

    def rebase(self, renumbered: dict[int, int]) -> None:
        """The audit was renumbered after a reset outside the service (`renumbered`: old entry
        number -> new): project everything again, every child row given, and put the messages
        not yet handed over under their entries' new numbers. A projection in flight carries the
        old numbers, which the read model holds for other entries: it is cancelled."""
        self._projected = None
        self._replace = True
        self.unrecorded = True
        self.outbox = _renumbered(self.outbox, renumbered)
        if self._in_flight is not None and not self._in_flight.done():
            self._superseded = renumbered
            self._in_flight.cancel()

    async def hand_over(
        self, data: InterventionData, today: date, patience: timedelta, show: Callable[[], None]
    ) -> None:
        """Record everything since the last hand-over and queue its messages, in one activity
        after the commands that caused it have been answered. Past `patience`, say so (`show`
        upserts the search attributes) and keep trying until it lands."""
        key = f"{workflow.info().workflow_id}:project:{data.last_seq}"
        taken = self.take()
        changes = changes_since(
            None if self._replace else self._projected, data, today, key, taken,
            replace=self._replace,
        )
        # Commands answered while the activity runs are diffed against what it carries.
        before, self._projected = self._projected, Recorded.of(data)
        try:
            await self._project(changes, patience, show)
        except (ActivityError, asyncio.CancelledError) as error:
            if self._interrupted(error, taken, before):
                if self._superseded is None:
                    raise
                self._superseded = None
                return
            if not isinstance(error, ActivityError):
                raise
            # Refused for good (the read model's constraints): retrying would refuse it
            # again, and the intervention must go on. Operators see it in the worker's log.
            workflow.logger.error(
                "read model refused changes up to audit entry %d: %s",
                changes.version, error.cause or error,
            )
        if changes.replace:
            self._replace = False
        self._recorded = changes.version
        if self._held_up and not self.pending:
            self._held_up = False
            show()

    async def _project(
        self, changes: ProjectChanges, patience: timedelta, show: Callable[[], None]
    ) -> None:
        try:
            try:
                self._in_flight = effects.project(
                    changes, within=None if self._held_up else patience
                )
                await self._in_flight
            except ActivityError as error:
                if not isinstance(error.cause, TemporalTimeoutError):
                    raise
                self._held_up = True
                show()
                self._in_flight = effects.project(changes)
                await self._in_flight
        finally:
            self._in_flight = None

    def _interrupted(
        self, error: BaseException, taken: list[OutboxMessage], before: Recorded | None
    ) -> bool:
        """Whether the projection was cancelled rather than refused: by `rebase`, or by a
        cancellation request (which the workflow notes, then hands the same over again). Its
        messages go back in line; histories from before such requests were noted went on."""
        if not is_cancelled_exception(error):
            return False
        if self._superseded is not None:
            self.outbox = _renumbered(taken, self._superseded) + self.outbox
        elif (workflow.cancellation_reason() is not None
              and workflow.patched(CANCEL_REQUESTS_NOTED)):
            self._projected = before
            self.outbox = taken + self.outbox
        else:
            return False
        self.unrecorded = True
        return True


def _renumbered(messages: list[OutboxMessage], renumbered: dict[int, int]) -> list[OutboxMessage]:
    """`messages` with keys naming an audit entry (`<workflow id>:<entry>:...`) moved to the
    entry's new number; a message about anything else (a notice) keeps its key."""
    if not renumbered:
        return list(messages)
    prefix = f"{workflow.info().workflow_id}:"
    moved = []
    for m in messages:
        seq, _, rest = m.key.removeprefix(prefix).partition(":")
        if m.key.startswith(prefix) and seq.isdigit() and int(seq) in renumbered:
            m = m.model_copy(update={"key": f"{prefix}{renumbered[int(seq)]}:{rest}"})
        moved.append(m)
    return moved
