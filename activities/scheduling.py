"""Dates from working-day arithmetic for interventions started before workflows carried their
own calendar (their histories call these), and that calendar for them when they continue."""

from __future__ import annotations

from temporalio import activity

from models.calendar import ENGLAND_AND_WALES, BankHolidays
from models.calendar import bank_holidays as holidays_from
from models.deadlines import plan
from models.effects import (
    PlanDeadlinesInput,
    PlanNoticesInput,
    ShiftForPauseInput,
    ShiftForPauseResult,
)
from models.intervention import Deadline
from models.schedule import Notice, plan_notices

__all__ = [
    "bank_holidays",
    "plan_deadlines",
    "plan_intervention_notices",
    "shift_for_pause",
]


@activity.defn(name="plan_deadlines")
def plan_deadlines(input: PlanDeadlinesInput) -> list[Deadline]:
    return plan(input.requests, input.today, ENGLAND_AND_WALES)


@activity.defn(name="plan_notices")
def plan_intervention_notices(input: PlanNoticesInput) -> list[Notice]:
    return plan_notices(input.data, input.today, ENGLAND_AND_WALES)


@activity.defn(name="shift_for_pause")
def shift_for_pause(input: ShiftForPauseInput) -> ShiftForPauseResult:
    return input.shifted(ENGLAND_AND_WALES)


@activity.defn(name="bank_holidays")
def bank_holidays(from_year: int) -> BankHolidays:
    """For an intervention from before workflows carried their own calendar."""
    return holidays_from(from_year)
