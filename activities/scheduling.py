"""Deadline dates from working-day arithmetic, computed outside the workflow so the calendar
package can change without changing a replayed history."""

from __future__ import annotations

from temporalio import activity

from models.deadlines import plan
from models.effects import PlanDeadlinesInput
from models.intervention import Deadline

__all__ = ["plan_deadlines"]


@activity.defn(name="plan_deadlines")
def plan_deadlines(input: PlanDeadlinesInput) -> list[Deadline]:
    return plan(input.requests, input.today)
