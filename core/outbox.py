"""The outbox for operators: list what has not been delivered, and resend a message.

A resend puts a dead or unknown message back in line (its attempts kept, so the count says
how often it was tried) and is recorded in its intervention's audit trail, with who did it.
The audit trail is the workflow's, so the note goes to the workflow first (the `note_resend`
update); only then is the row queued, so no message goes out again unrecorded. Once an
intervention has ended its workflow takes no updates; its audit trail in the read model is
then final, and the note is appended there directly: nothing else writes it any more.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Engine, func, insert, select, update
from sqlmodel import col

from core.interventions import Interventions
from models.errors import ErrorType, InterventionError, Problem
from models.outbox import RESENDABLE, UNDELIVERED, NoteResend, OutboxEntry, message_name
from models.schedule import RESEND
from models.tables import AuditEntry, Intervention, Notification
from models.tables import NotificationStatus as Status

__all__ = ["OutboxEntry", "message", "requeue", "resend", "resendable", "undelivered"]


def _age(created_at: datetime, now: datetime) -> int:
    if created_at.tzinfo is None:  # SQLite hands back what it was given
        created_at = created_at.replace(tzinfo=UTC)
    return max(0, int((now - created_at).total_seconds()))


def _entries(engine: Engine, where: ColumnElement[bool], now: datetime) -> list[OutboxEntry]:
    n = Notification
    query = select(
        col(n.idempotency_key), col(n.intervention_id), col(n.recipients), col(n.subject),
        col(n.status), col(n.attempts), col(n.last_error), col(n.created_at),
    ).where(where).order_by(col(n.created_at), col(n.idempotency_key))
    with engine.connect() as conn:
        return [
            OutboxEntry(key=k, intervention_id=i, recipients=list(r), subject=s,
                        status=Status(st), attempts=a, last_error=e, created_at=c,
                        age_seconds=_age(c, now))
            for k, i, r, s, st, a, e, c in conn.execute(query)
        ]


def undelivered(
    engine: Engine, *, statuses: tuple[Status, ...] = UNDELIVERED, now: datetime | None = None
) -> list[OutboxEntry]:
    """Messages in `statuses` (by default every one not sent), oldest first."""
    now = now or datetime.now(UTC)
    return _entries(engine, col(Notification.status).in_([s.value for s in statuses]), now)


def _unknown(key: str) -> InterventionError:
    return InterventionError([Problem(field="key", rule=f"no message {key} in the outbox")],
                             ErrorType.UNKNOWN_REFERENCE)


def message(engine: Engine, key: str) -> OutboxEntry:
    """One message of the outbox, whatever its status."""
    rows = _entries(engine, col(Notification.idempotency_key) == key, datetime.now(UTC))
    if not rows:
        raise _unknown(key)
    return rows[0]


def resendable(engine: Engine, key: str) -> OutboxEntry:
    """The message, if it may be resent; else why not."""
    entry = message(engine, key)
    if entry.status not in RESENDABLE:
        raise InterventionError(
            [Problem(field="key", rule=f"message {key} is {entry.status.value}; only "
                     + " or ".join(s.value for s in RESENDABLE) + " messages can be resent")],
            ErrorType.COMMAND_REFUSED,
        )
    return entry


def requeue(engine: Engine, key: str, was: Status, attempts: int) -> bool:
    """Put the message back in line if it is still as it was read; attempts are kept."""
    stmt = (
        update(Notification)
        .where(col(Notification.idempotency_key) == key, col(Notification.status) == was.value,
               col(Notification.attempts) == attempts)
        .values(status=Status.QUEUED.value, next_attempt_at=func.now(), claimed_until=None)
    )
    with engine.begin() as conn:
        return conn.execute(stmt).rowcount == 1


def _note_after_the_end(engine: Engine, entry: OutboxEntry, note: NoteResend) -> None:
    """Append the note to an ended intervention's audit trail in the read model."""
    with engine.begin() as conn:
        state = conn.execute(select(col(Intervention.state)).where(
            col(Intervention.id) == entry.intervention_id)).scalar_one()
        seq = conn.execute(select(func.coalesce(func.max(col(AuditEntry.seq)), 0)).where(
            col(AuditEntry.intervention_id) == entry.intervention_id)).scalar_one() + 1
        name = message_name(entry.key, entry.intervention_id)
        conn.execute(insert(AuditEntry).values(
            intervention_id=entry.intervention_id, seq=seq, at=datetime.now(UTC),
            actor=note.actor, command=RESEND, from_state=state, to_state=state,
            summary=f"message {name} queued again ({note.was.value} after "
                    f"{note.attempts} attempts)",
            idempotency_key=f"{entry.intervention_id}:{seq}",
        ))


async def resend(service: Interventions, engine: Engine, key: str, actor: str) -> OutboxEntry:
    """Record the resend in the intervention's audit, then queue the message again. Returns
    the message as it was put back in line (the courier may take it at once; a read after
    would race it)."""
    entry = await asyncio.to_thread(resendable, engine, key)
    note = NoteResend(actor=actor, key=key, was=entry.status, attempts=entry.attempts)
    if await service.note_resend(entry.intervention_id, note) is None:
        await asyncio.to_thread(_note_after_the_end, engine, entry, note)
    if not await asyncio.to_thread(requeue, engine, key, entry.status, entry.attempts):
        raise InterventionError(
            [Problem(field="key", rule=f"message {key} changed while it was being resent; "
                     "look again")], ErrorType.COMMAND_REFUSED)
    return entry.model_copy(update={"status": Status.QUEUED})

