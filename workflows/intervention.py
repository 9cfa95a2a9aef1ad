"""One quality intervention, from planned to closed, as a durable workflow."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models import commands as c
    from models.changes import apply_command
    from models.commands import Event, StartIntervention
    from models.deadlines import DeadlineRequest, apply_deadlines, deadlines_met, deadlines_started
    from models.effects import (
        PlanDeadlinesInput,
        RecordInterventionInput,
        SendNotificationInput,
    )
    from models.errors import ErrorType, ProblemError
    from models.guards import start_problems
    from models.intervention import AuditEntry, Deadline, InterventionData, State
    from models.lifecycle import Lifecycle
    from models.messages import messages_for
    from models.status import CommandResult, InterventionStatus, describe
    from workflows import monitoring

__all__ = ["InterventionWorkflow"]

_ACTIVITY_TIMEOUT = timedelta(seconds=30)
_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))


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
        self._data = start.resume_from or InterventionData(
            intervention_id=start.intervention_id,
            type=start.type,
            risk_bands=start.risk_bands,
            provider=start.provider,
            concern=start.concern,
            coordinator=start.coordinator,
            coordinator_email=start.coordinator_email,
            started_at=workflow.now(),
        )

    @workflow.run
    async def run(self, start: StartIntervention) -> InterventionStatus:
        if start.resume_from is None:
            problems = start_problems(start)
            if problems:
                raise _refusal(ProblemError(problems))
            async with self._lock:
                await self._begin()
            self._started = True
        await workflow.wait_condition(
            lambda: self._data.state.terminal or self._should_continue_as_new()
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        if not self._data.state.terminal:
            workflow.continue_as_new(start.model_copy(update={"resume_from": self._data}))
        return self.status()

    @workflow.query(name="status")
    def status(self) -> InterventionStatus:
        return describe(self._data, workflow.now().date())

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
            await self._update_deadlines(before, candidate, event, cmd)
            self._audit(candidate, event.value, cmd.actor, before.state, cmd.reason)
            self._data = candidate
            await self._publish(event)
            return CommandResult(
                intervention_id=candidate.intervention_id,
                command=event,
                state=state,
                seq=len(candidate.audit),
                allowed=Lifecycle(state).allowed(),
            )

    # -- effects -------------------------------------------------------------------------------

    async def _begin(self) -> None:
        today = workflow.now().date()
        requests = deadlines_started(None, self._data, None, today)
        self._data.deadlines = await self._plan(requests)
        self._audit(self._data, "start", self._data.coordinator, State.planned, None)
        await self._publish(None)

    async def _plan(self, requests: list[DeadlineRequest]) -> list[Deadline]:
        if not requests:
            return []
        planned: list[Deadline] = await workflow.execute_activity(
            "plan_deadlines",
            PlanDeadlinesInput(requests=requests, today=workflow.now().date()),
            result_type=list[Deadline],
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
            retry_policy=_RETRY,
        )
        return planned

    async def _update_deadlines(
        self, before: InterventionData, after: InterventionData, event: Event, cmd: c.Command
    ) -> None:
        today = workflow.now().date()
        planned = await self._plan(deadlines_started(before, after, event, today))
        apply_deadlines(after, deadlines_met(event, cmd, after), planned, today)

    def _audit(
        self,
        data: InterventionData,
        command: str,
        actor: str,
        from_state: State,
        reason: str | None,
    ) -> None:
        data.audit.append(
            AuditEntry(
                seq=len(data.audit) + 1,
                at=workflow.now(),
                actor=actor,
                command=command,
                from_state=from_state,
                to_state=data.state,
                summary=f"{command}: {from_state} -> {data.state}",
                reason=reason,
            )
        )

    async def _publish(self, event: Event | None) -> None:
        """Show the change in the Web UI, then record it and send its notifications."""
        data, today = self._data, workflow.now().date()
        workflow.upsert_search_attributes(monitoring.search_attribute_updates(data, today))
        workflow.set_current_details(monitoring.current_details(data, today))
        seq = len(data.audit)
        key = f"{workflow.info().workflow_id}:{seq}"
        await workflow.execute_activity(
            "record_intervention",
            RecordInterventionInput(idempotency_key=f"{key}:record", data=data, today=today),
            start_to_close_timeout=_ACTIVITY_TIMEOUT,
            retry_policy=_RETRY,
        )
        for name, message in messages_for(event, data).items():
            await workflow.execute_activity(
                "send_notification",
                SendNotificationInput(
                    idempotency_key=f"{key}:notify:{name}",
                    intervention_id=data.intervention_id,
                    message=message,
                ),
                start_to_close_timeout=_ACTIVITY_TIMEOUT,
                retry_policy=_RETRY,
            )

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        limit = self._start.continue_as_new_after_events
        if limit is not None and info.get_current_history_length() >= limit:
            return True
        return info.is_continue_as_new_suggested()
