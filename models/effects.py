"""Contracts between the workflow and its activities (small pydantic payloads)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

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


class ShiftForPauseResult(BaseModel):
    working_days: int
    dates: dict[str, date]
