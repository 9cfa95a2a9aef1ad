"""Dates from working-day arithmetic, computed outside the workflow so the bank-holiday
calendar can change without changing a replayed history."""

from __future__ import annotations

from temporalio import activity

from models.calendar import ENGLAND_AND_WALES, add_working_days, working_days_between
from models.deadlines import plan
from models.effects import (
    PlanDeadlinesInput,
    PlanNoticesInput,
    ShiftForPauseInput,
    ShiftForPauseResult,
)
from models.intervention import Deadline
from models.schedule import Notice, plan_notices

__all__ = ["plan_deadlines", "plan_intervention_notices", "shift_for_pause"]


@activity.defn(name="plan_deadlines")
def plan_deadlines(input: PlanDeadlinesInput) -> list[Deadline]:
    return plan(input.requests, input.today, ENGLAND_AND_WALES)


@activity.defn(name="plan_notices")
def plan_intervention_notices(input: PlanNoticesInput) -> list[Notice]:
    return plan_notices(input.data, input.today, ENGLAND_AND_WALES)


@activity.defn(name="shift_for_pause")
def shift_for_pause(input: ShiftForPauseInput) -> ShiftForPauseResult:
    """Paused working days do not count: every given date moves on by that many."""
    missed = working_days_between(input.since, input.until)
    return ShiftForPauseResult(
        working_days=missed,
        dates={key: add_working_days(day, missed) for key, day in input.dates.items()},
    )
