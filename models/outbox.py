"""The outbox as operators see it, and the note a resend leaves in an intervention's audit.

Pure contracts. Listings never carry a message's body: it may name people.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from models.sealing import Inbound
from models.tables import NotificationStatus as Status
from models.vocabulary import ActorId

__all__ = ["RESENDABLE", "UNDELIVERED", "NoteResend", "OutboxEntry", "message_name"]

# What an operator may put back in line: refused for good, or cut off and perhaps delivered.
RESENDABLE = (Status.DEAD, Status.UNKNOWN)
# What has not (yet, or knowingly) arrived; `qi outbox` lists these.
UNDELIVERED = (Status.QUEUED, Status.SENDING, Status.UNKNOWN, Status.DEAD)


class OutboxEntry(BaseModel):
    """One message not yet delivered: never its body."""

    key: str
    intervention_id: str
    recipients: list[str]
    subject: str
    status: Status
    attempts: int
    last_error: str | None
    created_at: datetime
    age_seconds: int


class NoteResend(Inbound):
    """A message of this intervention was put back in line by `actor`."""

    model_config = ConfigDict(extra="forbid")

    actor: ActorId
    key: str = Field(max_length=400)
    was: Status
    attempts: int = Field(ge=0)


def message_name(key: str, intervention_id: str) -> str:
    """The part of an idempotency key after the intervention's ID ("3:notify:panel"), which
    says which message it is without naming anyone."""
    return key.removeprefix(f"{intervention_id}:")
