"""The workflow's calls to its activities, with their timeouts and retries in one place.

`project` and `bank_holidays` are the command path's since "effects-after-reply"; the others
are kept for interventions started before it (their histories call them).
"""

from __future__ import annotations

from datetime import date, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from models.calendar import BankHolidays
    from models.deadlines import DeadlineRequest
    from models.effects import (
        Message,
        PlanDeadlinesInput,
        PlanNoticesInput,
        RecordInterventionInput,
        SendNotificationInput,
        ShiftForPauseInput,
        ShiftForPauseResult,
    )
    from models.intervention import Deadline, InterventionData
    from models.projection import ProjectChanges
    from models.schedule import Notice

__all__ = [
    "bank_holidays",
    "plan_deadlines",
    "plan_notices",
    "project",
    "record",
    "send",
    "shift_for_pause",
]

_TIMEOUT = timedelta(seconds=30)
_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))


async def plan_deadlines(requests: list[DeadlineRequest], today: date) -> list[Deadline]:
    if not requests:
        return []
    planned: list[Deadline] = await workflow.execute_activity(
        "plan_deadlines",
        PlanDeadlinesInput(requests=requests, today=today),
        result_type=list[Deadline],
        start_to_close_timeout=_TIMEOUT,
        retry_policy=_RETRY,
    )
    return planned


async def plan_notices(data: InterventionData, today: date) -> list[Notice]:
    notices: list[Notice] = await workflow.execute_activity(
        "plan_notices",
        PlanNoticesInput(data=data, today=today),
        result_type=list[Notice],
        start_to_close_timeout=_TIMEOUT,
        retry_policy=_RETRY,
    )
    return notices


async def shift_for_pause(input: ShiftForPauseInput) -> ShiftForPauseResult:
    result: ShiftForPauseResult = await workflow.execute_activity(
        "shift_for_pause",
        input,
        result_type=ShiftForPauseResult,
        start_to_close_timeout=_TIMEOUT,
        retry_policy=_RETRY,
    )
    return result


async def record(key: str, data: InterventionData, today: date) -> None:
    await workflow.execute_activity(
        "record_intervention",
        RecordInterventionInput(idempotency_key=key, data=data, today=today),
        start_to_close_timeout=_TIMEOUT,
        retry_policy=_RETRY,
    )


async def send(key: str, intervention_id: str, message: Message, summary: str) -> None:
    await workflow.execute_activity(
        "send_notification",
        SendNotificationInput(
            idempotency_key=key, intervention_id=intervention_id, message=message
        ),
        start_to_close_timeout=_TIMEOUT,
        retry_policy=_RETRY,
        summary=summary,
    )


def project(
    changes: ProjectChanges, *, within: timedelta | None = None
) -> workflow.ActivityHandle[None]:
    """Record `changes`; retried until they land, or until `within` has passed. Awaiting the
    handle is awaiting the activity; cancelling it cancels the activity."""
    return workflow.start_activity(
        "project_changes",
        changes,
        start_to_close_timeout=_TIMEOUT,
        schedule_to_close_timeout=within,
        retry_policy=_RETRY if within is None else RetryPolicy(
            initial_interval=within / 8, maximum_interval=within / 4
        ),
        summary=f"project up to audit entry {changes.version}",
    )


async def bank_holidays(from_year: int) -> BankHolidays:
    holidays: BankHolidays = await workflow.execute_activity(
        "bank_holidays",
        from_year,
        result_type=BankHolidays,
        start_to_close_timeout=_TIMEOUT,
        retry_policy=_RETRY,
    )
    return holidays
