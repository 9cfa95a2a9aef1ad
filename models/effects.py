"""Contracts between the workflow and its activities (small pydantic payloads)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from models.calendar import Calendar
from models.deadlines import DeadlineRequest
from models.intervention import InterventionData
from models.vocabulary import Email

__all__ = [
    "Message",
    "PlanDeadlinesInput",
    "PlanNoticesInput",
    "RecordInterventionInput",
    "SendNotificationInput",
    "ShiftForPauseInput",
    "ShiftForPauseResult",
]


class RecordInterventionInput(BaseModel):
    idempotency_key: str
    data: InterventionData
    today: date


class Message(BaseModel):
    to: list[Email] = Field(min_length=1)
    subject: str = Field(min_length=1, max_length=300)
    body: str
    # The same on every attempt to deliver one message, so a repeat is recognisable.
    message_id: str | None = None


class SendNotificationInput(BaseModel):
    idempotency_key: str
    intervention_id: str
    message: Message


class PlanDeadlinesInput(BaseModel):
    requests: list[DeadlineRequest]
    today: date


class PlanNoticesInput(BaseModel):
    data: InterventionData
    today: date


class ShiftForPauseInput(BaseModel):
    dates: dict[str, date]
    since: date
    until: date

    def shifted(self, cal: Calendar) -> ShiftForPauseResult:
        """Paused working days do not count: every given date moves on by that many."""
        missed = cal.working_days_between(self.since, self.until)
        return ShiftForPauseResult(
            working_days=missed,
            dates={key: cal.add_working_days(day, missed) for key, day in self.dates.items()},
        )


class ShiftForPauseResult(BaseModel):
    working_days: int
    dates: dict[str, date]
