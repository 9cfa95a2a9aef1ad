"""One quality intervention, from planned to closed, as a durable workflow.

Coordinator commands arrive as updates; between them the workflow sleeps until the next
reminder, escalation or nudge is due, and wakes early whenever a command changes the plan.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from models import commands as c
    from models.commands import Event, StartIntervention
    from models.deadlines import apply_deadlines
    from models.effects import ShiftForPauseInput
    from models.errors import ErrorType, ProblemError
    from models.guards import start_problems
    from models.intervention import AuditEntry, InterventionData, SentNotice, State
    from models.lifecycle import Lifecycle
    from models.messages import notice_message, unaddressed
    from models.outbox import NoteResend, message_name
    from models.outside import (
        CANCEL_REQUESTED,
        OUTSIDE_ACTOR,
        RESET,
        ResetNote,
        cancel_request_summary,
        confidential_reason,
        rebase,
    )
    from models.registry import (
        COMMANDS,
        CommandSpec,
        announcements,
        apply_command,
        deadlines_met,
        deadlines_started,
        independence_problems,
    )
    from models.schedule import RESEND, SYSTEM_ACTOR, Notice, NoticeKind
    from models.sealing import Inbound, seal_id
    from models.status import CommandResult, InterventionStatus, describe
    from workflows import effects, monitoring
    from workflows.planners import CANCEL_REQUESTS_NOTED, AfterReply, Planner, RoundTrips
    from workflows.sealing import require_once, require_sealed, require_sealed_for

__all__ = ["InterventionWorkflow"]

# Notices for a day go out at the start of the working day.
_SEND_AT = time(8, 0)
_LATE_IS_POINTLESS = (NoticeKind.reminder, NoticeKind.meeting_reminder)
# Commands are answered before anything is recorded or sent, and dates come from the calendar
# in the input. Interventions whose history predates this keep their round trips.
EFFECTS_AFTER_REPLY = "effects-after-reply"
# An escalation to a quality lead or dean with no address is noted in the audit, not sent to
# the coordinator instead; histories from before this sent it, and replay the same.
UNADDRESSED_NOT_SENT = "unaddressed-escalations-not-sent"
# Rules comparing people (`independence` in the registry: the panel against the provider's
# lead, the sender against an action's owner or the coordinator) arrived after interventions
# that hold commands they would refuse: a panel with the lead on it undeclared, a closure
# approved under the coordinator's own user name. They read panel data and user names every
# command had, so whether a command carries `actor_email` cannot tell old from new; the patch
# can. Validators never run on replay, so they hold every new command to the rules, in every
# intervention; handlers re-check them only in runs begun since the patch, and replay the
# commands of older runs as they were accepted.
INDEPENDENCE_BY_IDENTITY = "independence-by-identity"
# A start must come sealed by the service (`models.sealing`); runs started before this took
# their input as it came, and replay the same.
SEALED_STARTS = "starts-sealed-by-the-service"
# Seals name the intervention they were made for, and each command is taken once: runs started
# before took a start sealed for any intervention, and replay the same. (Commands are held to it
# by their validators, which never run on replay.)
SEALS_NAME_THEIR_INTERVENTION = "seals-name-their-intervention"
# CANCEL_REQUESTS_NOTED (in planners.py, which also hands over again a projection the request
# cancelled): a cancellation request made in Temporal is noted in the audit and the intervention
# carries on; histories from before ended there.


def _refusal(error: ProblemError) -> ApplicationError:
    problems = [p.model_dump() for p in error.problems]
    return ApplicationError(str(error), problems, type=error.error_type, non_retryable=True)


class InterventionWorkflow:
    """One intervention. Its command updates are added from the registry below the class."""

    @workflow.init
    def __init__(self, start: StartIntervention) -> None:
        self._start = start
        self._lock = asyncio.Lock()
        # Commands wait until the start itself is planned, so it comes first.
        self._started = start.resume_from is not None
        self._changed = False
        self._notices: list[Notice] = []
        self._data = start.initial_data(started_at=workflow.now())
        # Chosen in `run`: how dates are planned and effects handed over (see planners.py).
        self._planner: Planner = RoundTrips(start.intervention_id)
        self._after_reply: AfterReply | None = None
        self._timer: asyncio.Future[None] | None = None
        self._timer_due: datetime | None = None
        # Decided once, first of all, so a run replays with the answer it had (a later first
        # call would be replayed at an older command, and answer otherwise).
        self._independence = workflow.patched(INDEPENDENCE_BY_IDENTITY)
        self._cancel_noted = False
        # The seals of the commands this intervention has taken, in this run and those before.
        self._taken: set[str] = set(start.seals_taken)

    @workflow.run
    async def run(self, start: StartIntervention) -> InterventionStatus:
        if workflow.patched(SEALED_STARTS):
            require_sealed(start)  # before anything is planned, recorded or sent
        if workflow.patched(SEALS_NAME_THEIR_INTERVENTION):
            require_sealed_for(start, workflow.info().workflow_id)
        await self._choose_planner(start)
        if start.resume_from is None:
            problems = start_problems(start)
            if problems:
                raise _refusal(ProblemError(problems))
            async with self._lock:
                await self._begin()
            self._started = True
        else:
            self._notices = await self._planner.notices(self._data, self._today())
        while not self._finished():
            await self._carry_on(self._next)
        await self._carry_on(lambda: workflow.wait_condition(workflow.all_handlers_finished))
        while self._after_reply is not None and self._after_reply.pending:
            await self._carry_on(self._hand_over_now)
        if not self._data.state.terminal:
            workflow.continue_as_new(self._start.model_copy(
                update={"resume_from": self._data, "seals_taken": sorted(self._taken)}))
        return self.status()

    async def _choose_planner(self, start: StartIntervention) -> None:
        """Interventions started before the patch keep the round trips their histories hold;
        the others plan dates themselves and record and send after replying."""
        if not workflow.patched(EFFECTS_AFTER_REPLY):
            return
        holidays = start.bank_holidays
        if holidays is None:  # started before workflows carried their calendar
            holidays = await effects.bank_holidays(self._data.started_at.year)
            self._start = start.model_copy(update={"bank_holidays": holidays})
        recorded = start.resume_from.last_seq if start.resume_from else 0
        self._after_reply = AfterReply(holidays.calendar(), recorded=recorded)
        self._planner = self._after_reply

    async def _carry_on(self, step: Callable[[], Awaitable[None]]) -> None:
        """Run one step of the main loop. A cancellation request made in Temporal, outside the
        service, does not end the intervention (only `cancel` does, with a reason, before any
        meeting): it is noted in the audit and the step is run again."""
        while True:
            try:
                await step()
                return
            except (Exception, asyncio.CancelledError) as error:
                if not self._cancel_requested(error):
                    raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # caught: the next await must not be cancelled again
            await self._note_cancel_request()

    def _cancel_requested(self, error: BaseException) -> bool:
        """Whether `error` is Temporal delivering a cancellation request not yet noted (once
        noted, a cancellation is the worker evicting the workflow, and must go through)."""
        if self._cancel_noted or not is_cancelled_exception(error):
            return False
        return (workflow.cancellation_reason() is not None
                and workflow.patched(CANCEL_REQUESTS_NOTED))

    async def _note_cancel_request(self) -> None:
        self._cancel_noted = True
        async with self._lock:
            data = self._data
            self._audit(data, CANCEL_REQUESTED, OUTSIDE_ACTOR, data.state,
                        confidential_reason(workflow.cancellation_reason()),
                        cancel_request_summary(data.state))
            await self._replan_and_publish(None, announce=False)

    async def _next(self) -> None:
        if self._after_reply is None:
            await self._wait_for_next_notice()
        elif self._after_reply.pending:
            await self._hand_over(self._after_reply)
        else:
            await self._sleep_until_next_notice(self._after_reply)

    @workflow.query(name="status")
    def status(self) -> InterventionStatus:
        return describe(self._data, self._today(), self._pending())

    @workflow.update(name="planned")
    async def planned(self) -> InterventionStatus:
        """Completes once the start is planned; sent together with the start."""
        await workflow.wait_condition(lambda: self._started)
        return self.status()

    @workflow.update(name="note_resend")
    async def note_resend(self, note: NoteResend) -> int:
        """An operator put one of this intervention's messages back in line: the audit says
        who, and which message (never to whom). Not a lifecycle command: any state takes it.
        Returns the audit entry's number."""
        self._take(note)
        await workflow.wait_condition(lambda: self._started)
        async with self._lock:
            name = message_name(note.key, self._data.intervention_id)
            self._audit(self._data, RESEND, note.actor, self._data.state, None,
                        f"message {name} queued again ({note.was.value} after "
                        f"{note.attempts} attempts)")
            await self._replan_and_publish(None, announce=False)
            return self._data.last_seq

    @note_resend.validator
    def _check_resend(self, note: NoteResend) -> None:
        self._admit(note)
        if not note.key.startswith(f"{self._data.intervention_id}:"):
            raise ValueError(f"message {note.key} is not one of this intervention's")

    @workflow.update(name="note_reset")
    async def note_reset(self, note: ResetNote) -> int:
        """The service noticed that Temporal reset this workflow: note it in the audit (once per
        reset) and number what follows after the entries the read model holds, recording it all
        again. Returns the note's entry number."""
        self._take(note)
        await workflow.wait_condition(lambda: self._started)
        async with self._lock:
            noted = [e.seq for e in self._data.audit if e.command == RESET and e.at == note.at]
            if noted:
                return noted[0]
            rebased = rebase(self._data.audit, note, self._data.state)
            self._data = self._data.model_copy(update={"audit": rebased.audit})
            if self._after_reply is not None:
                self._after_reply.rebase(rebased.renumbered)
            await self._replan_and_publish(None, announce=False)
            return rebased.entry.seq

    @note_reset.validator
    def _check_reset(self, note: ResetNote) -> None:
        self._admit(note)
        if note.kept > self._data.last_seq:
            raise ValueError(f"the read model shares {note.kept} audit entries with a workflow "
                             f"that has {self._data.last_seq}: the note is about another run")

    # -- the one path every command takes ------------------------------------------------------

    def _candidate(
        self, event: Event, cmd: c.Command, *, independence: bool
    ) -> tuple[InterventionData, State]:
        """The data and state the command would lead to; raises ProblemError if refused.
        `independence`: whether the rules comparing people apply (see INDEPENDENCE_BY_IDENTITY)."""
        now = workflow.now()
        lifecycle = Lifecycle(self._data.state)
        if event not in lifecycle.allowed():
            problems = lifecycle.refusals(event, self._data, now.date())
            raise ProblemError(problems, ErrorType.COMMAND_REFUSED)
        candidate = apply_command(self._data, event, cmd, now)
        people = independence_problems(event, candidate, cmd) if independence else []
        if people:
            problems = people + lifecycle.refusals(event, candidate, now.date())
            raise ProblemError(problems, ErrorType.COMMAND_REFUSED)
        return candidate, lifecycle.fire(event, candidate, now.date())

    def _admit(self, message: Inbound) -> None:
        """Refuse new input the service did not seal for this intervention, or took before."""
        require_once(message, workflow.info().workflow_id, self._taken)

    def _take(self, message: Inbound) -> None:
        """First thing in a handler, before it awaits: the next copy of this seal is refused."""
        taken = seal_id(message)
        if taken is not None:
            self._taken.add(taken)

    def _validate(self, event: Event, cmd: c.Command) -> None:
        self._admit(cmd)
        try:
            self._candidate(event, cmd, independence=True)
        except ProblemError as error:
            raise _refusal(error) from None

    async def _handle(self, event: Event, cmd: c.Command) -> CommandResult:
        self._take(cmd)
        await workflow.wait_condition(lambda: self._started)
        async with self._lock:
            try:  # another command may have changed the data since validation
                candidate, state = self._candidate(event, cmd, independence=self._independence)
            except ProblemError as error:
                raise _refusal(error) from None
            before = self._data
            candidate.state = state
            today = self._today()
            planned = await self._planner.deadlines(
                deadlines_started(before, candidate, event, today), today
            )
            apply_deadlines(candidate, deadlines_met(event, cmd, candidate), planned, today)
            if event is Event.resume_clock:
                await self._shift_for_pause(candidate)
            self._audit(candidate, event.value, cmd.actor, before.state, cmd.reason)
            self._data = candidate
            await self._replan_and_publish(event)
            return CommandResult(
                intervention_id=candidate.intervention_id,
                reference=candidate.reference,
                command=event,
                state=state,
                seq=candidate.last_seq,
                allowed=Lifecycle(state).allowed(),
            )

    # -- reminders, escalations and nudges -------------------------------------------------------

    def _finished(self) -> bool:
        return self._data.state.terminal or self._should_continue_as_new()

    def _pending(self) -> list[Notice]:
        sent = {n.key for n in self._data.notices_sent}
        return [n for n in self._notices if n.key not in sent]

    async def _wait_for_next_notice(self) -> None:
        self._changed = False
        pending = self._pending()

        def woken() -> bool:
            return self._changed or self._finished()

        if not pending:
            await workflow.wait_condition(woken)
            return
        due = datetime.combine(pending[0].on, _SEND_AT, tzinfo=UTC) - workflow.now()
        if due > timedelta(0):
            try:
                await workflow.wait_condition(
                    woken, timeout=due, timeout_summary=pending[0].summary
                )
                return
            except TimeoutError:
                pass
        await self._send_due_notices()

    async def _send_due_notices(self) -> None:
        async with self._lock:
            data, today = self._data, self._today()
            due = [n for n in self._pending() if n.on <= today]
            for notice in due:
                # A reminder for a date already past says nothing useful; it is noted, not sent.
                late = notice.kind in _LATE_IS_POINTLESS and (notice.due_on or today) < today
                nowhere = None if late else unaddressed(notice, data)
                if nowhere is not None and not workflow.patched(UNADDRESSED_NOT_SENT):
                    nowhere = None
                if not late and nowhere is None:
                    await self._planner.send(
                        f"{workflow.info().workflow_id}:notice:{notice.key}",
                        notice_message(notice, data),
                        notice.summary,
                    )
                data.notices_sent.append(
                    SentNotice(
                        key=notice.key,
                        kind=notice.kind,
                        on=today,
                        recipient=notice.recipient,
                        about=notice.about,
                        sent=not late and nowhere is None,
                    )
                )
                summary = notice.summary + (f"; not sent: {nowhere}" if nowhere else "")
                self._audit(data, notice.kind, SYSTEM_ACTOR, data.state, None, summary)
            if due:
                await self._replan_and_publish(None, announce=False)

    async def _shift_for_pause(self, data: InterventionData) -> None:
        pause = data.pauses[-1]
        dates = {f"deadline:{i}": d.due_on for i, d in enumerate(data.deadlines) if not d.met_on}
        dates |= {f"action:{a.id}": a.due_on for a in data.open_actions()}
        shifted = await self._planner.shift(
            ShiftForPauseInput(dates=dates, since=pause.since, until=pause.until or self._today())
        )
        data.pauses[-1] = pause.model_copy(update={"working_days": shifted.working_days})
        data.deadlines = [
            d.model_copy(update={"due_on": shifted.dates.get(f"deadline:{i}", d.due_on)})
            for i, d in enumerate(data.deadlines)
        ]
        data.actions = [
            a.model_copy(update={"due_on": shifted.dates.get(f"action:{a.id}", a.due_on)})
            for a in data.actions
        ]

    # -- effects -------------------------------------------------------------------------------

    async def _begin(self) -> None:
        today = self._today()
        requests = deadlines_started(None, self._data, None, today)
        self._data.deadlines = await self._planner.deadlines(requests, today)
        self._audit(self._data, "start", self._data.coordinator, State.planned, None)
        await self._replan_and_publish(None)

    def _audit(
        self,
        data: InterventionData,
        command: str,
        actor: str,
        from_state: State,
        reason: str | None,
        summary: str | None = None,
    ) -> None:
        data.audit.append(
            AuditEntry(
                seq=data.last_seq + 1,
                at=workflow.now(),
                actor=actor,
                command=command,
                from_state=from_state,
                to_state=data.state,
                summary=summary or f"{command}: {from_state} -> {data.state}",
                reason=reason,
            )
        )

    async def _replan_and_publish(self, event: Event | None, *, announce: bool = True) -> None:
        """Plan the notices still to come, show the change in the Web UI, record it, and send
        the step's own notifications (`announce`)."""
        data, today = self._data, self._today()
        self._notices = await self._planner.notices(data, today)
        self._changed = True
        pending = self._pending()
        self._show(monitoring.search_attribute_updates(data, today))
        workflow.set_current_details(
            monitoring.current_details(data, today, pending[0] if pending else None)
        )
        key = f"{workflow.info().workflow_id}:{data.last_seq}"
        await self._planner.record(f"{key}:record", data, today)
        if not announce:
            return
        for name, message in announcements(event, data).items():
            await self._planner.send(f"{key}:notify:{name}", message, message.subject)

    def _show(self, updates: Sequence[SearchAttributeUpdate[Any]]) -> None:
        """Upsert the search attributes; since the patch, only those whose value changed."""
        if self._after_reply is not None:
            updates = [*updates, self._after_reply.behind(self._data)]
            shown = workflow.info().typed_search_attributes
            updates = [u for u in updates if shown.get(u.key) != u.value]
            if not updates:
                return
        workflow.upsert_search_attributes(updates)

    async def _hand_over(self, after_reply: AfterReply) -> None:
        patience = timedelta(seconds=self._start.read_model_patience_seconds)
        await after_reply.hand_over(self._data, self._today(), patience, self._show_now)

    async def _hand_over_now(self) -> None:
        assert self._after_reply is not None
        await self._hand_over(self._after_reply)

    def _show_now(self) -> None:
        self._show(monitoring.search_attribute_updates(self._data, self._today()))

    async def _sleep_until_next_notice(self, after_reply: AfterReply) -> None:
        """Like `_wait_for_next_notice`, but a timer outlives a command that leaves the next
        notice where it was: no cancelled and restarted timer in history for each command."""
        self._changed = False
        pending = self._pending()

        def woken() -> bool:
            return self._changed or after_reply.pending or self._finished()

        due_at = datetime.combine(pending[0].on, _SEND_AT, tzinfo=UTC) if pending else None
        if due_at != self._timer_due and self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if due_at is None:
            await workflow.wait_condition(woken)
            return
        if due_at <= workflow.now():
            self._timer, self._timer_due = None, None
            await self._send_due_notices()
            return
        if self._timer is None:
            self._timer = asyncio.ensure_future(
                workflow.sleep(due_at - workflow.now(), summary=pending[0].summary)
            )
            self._timer_due = due_at
        wake = asyncio.ensure_future(workflow.wait_condition(woken))
        try:
            await workflow.wait([self._timer, wake], return_when=asyncio.FIRST_COMPLETED)
        finally:  # also when a cancellation request interrupts the wait
            wake.cancel()

    def _today(self) -> date:
        return workflow.now().date()

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        limit = self._start.continue_as_new_after_events
        if limit is not None and info.get_current_history_length() >= limit:
            return True
        return info.is_continue_as_new_suggested()


def _command_update(spec: CommandSpec) -> Any:
    """The update for one registry entry: named as the command, described by its contract's
    summary, its argument decoded as the contract (by the annotations), validated first."""

    async def handle(self: InterventionWorkflow, cmd: c.Command) -> CommandResult:
        return await self._handle(spec.event, cmd)

    def validate(self: InterventionWorkflow, cmd: c.Command) -> None:
        self._validate(spec.event, cmd)

    handle.__annotations__ = {"cmd": spec.contract, "return": CommandResult}
    validate.__annotations__ = {"cmd": spec.contract, "return": None}
    handle.__name__ = handle.__qualname__ = spec.name
    update = workflow.update(name=spec.name, description=spec.summary)(handle)
    update.validator(validate)
    return update


for _spec in COMMANDS.values():
    setattr(InterventionWorkflow, _spec.name, _command_update(_spec))
workflow.defn(name="Intervention")(InterventionWorkflow)  # returns the class it defines
