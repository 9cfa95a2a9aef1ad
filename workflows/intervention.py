"""One quality intervention, from planned to closed, as a durable workflow.

Coordinator commands arrive as updates; between them the workflow sleeps until the next
reminder, escalation or nudge is due, and wakes early whenever a command changes the plan.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models import commands as c
    from models.changes import apply_command
    from models.commands import Event, StartIntervention
    from models.deadlines import apply_deadlines, deadlines_met, deadlines_started
    from models.effects import ShiftForPauseInput
    from models.errors import ErrorType, ProblemError
    from models.guards import start_problems
    from models.intervention import AuditEntry, InterventionData, SentNotice, State
    from models.lifecycle import Lifecycle
    from models.messages import messages_for, notice_message
    from models.schedule import SYSTEM_ACTOR, Notice, NoticeKind
    from models.status import CommandResult, InterventionStatus, describe
    from workflows import effects, monitoring

__all__ = ["InterventionWorkflow"]

# Notices for a day go out at the start of the working day.
_SEND_AT = time(8, 0)
_LATE_IS_POINTLESS = (NoticeKind.reminder, NoticeKind.meeting_reminder)


def _refusal(error: ProblemError) -> ApplicationError:
    problems = [p.model_dump() for p in error.problems]
    return ApplicationError(str(error), problems, type=error.error_type, non_retryable=True)


@workflow.defn(name="Intervention")
class InterventionWorkflow:
    @workflow.init
    def __init__(self, start: StartIntervention) -> None:
        self._start = start
        self._lock = asyncio.Lock()
        # Commands wait until the start itself is planned and recorded, so it comes first.
        self._started = start.resume_from is not None
        self._changed = False
        self._notices: list[Notice] = []
        self._data = start.initial_data(started_at=workflow.now())

    @workflow.run
    async def run(self, start: StartIntervention) -> InterventionStatus:
        if start.resume_from is None:
            problems = start_problems(start)
            if problems:
                raise _refusal(ProblemError(problems))
            async with self._lock:
                await self._begin()
            self._started = True
        else:
            self._notices = await effects.plan_notices(self._data, self._today())
        while not self._finished():
            await self._wait_for_next_notice()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if not self._data.state.terminal:
            workflow.continue_as_new(start.model_copy(update={"resume_from": self._data}))
        return self.status()

    @workflow.query(name="status")
    def status(self) -> InterventionStatus:
        return describe(self._data, self._today(), self._pending())

    @workflow.update(name="planned")
    async def planned(self) -> InterventionStatus:
        """Completes once the start is planned and recorded; sent together with the start."""
        await workflow.wait_condition(lambda: self._started)
        return self.status()

    # -- coordinator commands: one update each, validated before anything is written ---------

    @workflow.update(name="convene_panel")
    async def convene_panel(self, cmd: c.ConvenePanel) -> CommandResult:
        return await self._handle(Event.convene_panel, cmd)

    @convene_panel.validator
    def _check_convene_panel(self, cmd: c.ConvenePanel) -> None:
        self._validate(Event.convene_panel, cmd)

    @workflow.update(name="schedule_meeting")
    async def schedule_meeting(self, cmd: c.ScheduleMeeting) -> CommandResult:
        return await self._handle(Event.schedule_meeting, cmd)

    @schedule_meeting.validator
    def _check_schedule_meeting(self, cmd: c.ScheduleMeeting) -> None:
        self._validate(Event.schedule_meeting, cmd)

    @workflow.update(name="record_meeting")
    async def record_meeting(self, cmd: c.RecordMeeting) -> CommandResult:
        return await self._handle(Event.record_meeting, cmd)

    @record_meeting.validator
    def _check_record_meeting(self, cmd: c.RecordMeeting) -> None:
        self._validate(Event.record_meeting, cmd)

    @workflow.update(name="issue_report")
    async def issue_report(self, cmd: c.IssueReport) -> CommandResult:
        return await self._handle(Event.issue_report, cmd)

    @issue_report.validator
    def _check_issue_report(self, cmd: c.IssueReport) -> None:
        self._validate(Event.issue_report, cmd)

    @workflow.update(name="add_action")
    async def add_action(self, cmd: c.AddAction) -> CommandResult:
        return await self._handle(Event.add_action, cmd)

    @add_action.validator
    def _check_add_action(self, cmd: c.AddAction) -> None:
        self._validate(Event.add_action, cmd)

    @workflow.update(name="agree_action_plan")
    async def agree_action_plan(self, cmd: c.AgreeActionPlan) -> CommandResult:
        return await self._handle(Event.agree_action_plan, cmd)

    @agree_action_plan.validator
    def _check_agree_action_plan(self, cmd: c.AgreeActionPlan) -> None:
        self._validate(Event.agree_action_plan, cmd)

    @workflow.update(name="record_action_progress")
    async def record_action_progress(self, cmd: c.RecordActionProgress) -> CommandResult:
        return await self._handle(Event.record_action_progress, cmd)

    @record_action_progress.validator
    def _check_record_action_progress(self, cmd: c.RecordActionProgress) -> None:
        self._validate(Event.record_action_progress, cmd)

    @workflow.update(name="accept_action")
    async def accept_action(self, cmd: c.AcceptAction) -> CommandResult:
        return await self._handle(Event.accept_action, cmd)

    @accept_action.validator
    def _check_accept_action(self, cmd: c.AcceptAction) -> None:
        self._validate(Event.accept_action, cmd)

    @workflow.update(name="transfer_action")
    async def transfer_action(self, cmd: c.TransferAction) -> CommandResult:
        return await self._handle(Event.transfer_action, cmd)

    @transfer_action.validator
    def _check_transfer_action(self, cmd: c.TransferAction) -> None:
        self._validate(Event.transfer_action, cmd)

    @workflow.update(name="approve_closure")
    async def approve_closure(self, cmd: c.ApproveClosure) -> CommandResult:
        return await self._handle(Event.approve_closure, cmd)

    @approve_closure.validator
    def _check_approve_closure(self, cmd: c.ApproveClosure) -> None:
        self._validate(Event.approve_closure, cmd)

    @workflow.update(name="close")
    async def close(self, cmd: c.Close) -> CommandResult:
        return await self._handle(Event.close, cmd)

    @close.validator
    def _check_close(self, cmd: c.Close) -> None:
        self._validate(Event.close, cmd)

    @workflow.update(name="cancel")
    async def cancel(self, cmd: c.Cancel) -> CommandResult:
        return await self._handle(Event.cancel, cmd)

    @cancel.validator
    def _check_cancel(self, cmd: c.Cancel) -> None:
        self._validate(Event.cancel, cmd)

    @workflow.update(name="escalate")
    async def escalate(self, cmd: c.Escalate) -> CommandResult:
        return await self._handle(Event.escalate, cmd)

    @escalate.validator
    def _check_escalate(self, cmd: c.Escalate) -> None:
        self._validate(Event.escalate, cmd)

    @workflow.update(name="reschedule_meeting")
    async def reschedule_meeting(self, cmd: c.RescheduleMeeting) -> CommandResult:
        return await self._handle(Event.reschedule_meeting, cmd)

    @reschedule_meeting.validator
    def _check_reschedule_meeting(self, cmd: c.RescheduleMeeting) -> None:
        self._validate(Event.reschedule_meeting, cmd)

    @workflow.update(name="pause_clock")
    async def pause_clock(self, cmd: c.PauseClock) -> CommandResult:
        return await self._handle(Event.pause_clock, cmd)

    @pause_clock.validator
    def _check_pause_clock(self, cmd: c.PauseClock) -> None:
        self._validate(Event.pause_clock, cmd)

    @workflow.update(name="resume_clock")
    async def resume_clock(self, cmd: c.ResumeClock) -> CommandResult:
        return await self._handle(Event.resume_clock, cmd)

    @resume_clock.validator
    def _check_resume_clock(self, cmd: c.ResumeClock) -> None:
        self._validate(Event.resume_clock, cmd)

    # -- the one path every command takes ------------------------------------------------------

    def _candidate(self, event: Event, cmd: c.Command) -> tuple[InterventionData, State]:
        """The data and state the command would lead to; raises ProblemError if refused."""
        now = workflow.now()
        lifecycle = Lifecycle(self._data.state)
        if event not in lifecycle.allowed():
            problems = lifecycle.refusals(event, self._data, now.date())
            raise ProblemError(problems, ErrorType.COMMAND_REFUSED)
        candidate = apply_command(self._data, event, cmd, now)
        return candidate, lifecycle.fire(event, candidate, now.date())

    def _validate(self, event: Event, cmd: c.Command) -> None:
        try:
            self._candidate(event, cmd)
        except ProblemError as error:
            raise _refusal(error) from None

    async def _handle(self, event: Event, cmd: c.Command) -> CommandResult:
        await workflow.wait_condition(lambda: self._started)
        async with self._lock:
            try:  # another command may have changed the data since validation
                candidate, state = self._candidate(event, cmd)
            except ProblemError as error:
                raise _refusal(error) from None
            before = self._data
            candidate.state = state
            today = self._today()
            planned = await effects.plan_deadlines(
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
                command=event,
                state=state,
                seq=len(candidate.audit),
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
                if not late:
                    await effects.send(
                        f"{workflow.info().workflow_id}:notice:{notice.key}",
                        data.intervention_id,
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
                        sent=not late,
                    )
                )
                self._audit(data, notice.kind, SYSTEM_ACTOR, data.state, None, notice.summary)
            if due:
                await self._replan_and_publish(None, announce=False)

    async def _shift_for_pause(self, data: InterventionData) -> None:
        pause = data.pauses[-1]
        dates = {f"deadline:{i}": d.due_on for i, d in enumerate(data.deadlines) if not d.met_on}
        dates |= {f"action:{a.id}": a.due_on for a in data.open_actions()}
        shifted = await effects.shift_for_pause(
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
        self._data.deadlines = await effects.plan_deadlines(requests, today)
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
                seq=len(data.audit) + 1,
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
        self._notices = await effects.plan_notices(data, today)
        self._changed = True
        pending = self._pending()
        workflow.upsert_search_attributes(monitoring.search_attribute_updates(data, today))
        workflow.set_current_details(
            monitoring.current_details(data, today, pending[0] if pending else None)
        )
        key = f"{workflow.info().workflow_id}:{len(data.audit)}"
        await effects.record(f"{key}:record", data, today)
        if not announce:
            return
        for name, message in messages_for(event, data).items():
            await effects.send(
                f"{key}:notify:{name}", data.intervention_id, message, message.subject
            )

    def _today(self) -> date:
        return workflow.now().date()

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        limit = self._start.continue_as_new_after_events
        if limit is not None and info.get_current_history_length() >= limit:
            return True
        return info.is_continue_as_new_suggested()
