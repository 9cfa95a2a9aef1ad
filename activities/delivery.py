"""Deliver the outbox: every queued message, at least once, each attempt under one Message-ID.

Messages are queued by `project_changes` in the same transaction as the change that causes
them, so none is lost between a command and its mail. This loop, in every worker process,
claims due messages one by one (a claim is a conditional update, so two workers never send one
message at the same time), sends, and records the outcome:

- accepted: `sent`;
- refused for good (an SMTP 5xx): `dead`, with the code; never retried by itself, never in
  the intervention's way;
- cut off when the relay may already have taken it (a timeout or a dropped connection):
  `unknown`, and sent again after a pause under the same Message-ID, so a receiving system can
  drop the repeat;
- anything else (a 4xx, no connection): back to `queued`, retried with growing pauses.

A worker that dies mid-send leaves its claim to expire; the message is then sent again, with
the same Message-ID. The outbox lives in the read model's database: while that is down,
nothing is claimed and the loop waits; a send that completed while it was down is recorded
nowhere, so its claim expires too and it is sent again, under the same Message-ID. An outcome
is recorded only while the claim is the recorder's own (same status, same attempt): a courier
that outlived its claim cannot undo what the next one did.

Each attempt's outcome is counted on the worker's metric meter (the Temporal runtime's, served
with the SDK's metrics): `qi_deliveries{outcome="sent"|"retry"|"unknown"|"dead"}`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import aiosmtplib
from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col
from temporalio.common import MetricCounter, MetricMeter

from core.logging import intervention_context
from core.notifier import Notifier
from models.effects import Message
from models.tables import Notification
from models.tables import NotificationStatus as Status

__all__ = ["Courier", "message_id_for"]

log = logging.getLogger(__name__)

_BATCH = 50
_MAX_PAUSE = timedelta(hours=1)


def message_id_for(key: str, sender: str) -> str:
    """The Message-ID of every attempt to deliver the message with idempotency key `key`."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = sender.rpartition("@")[2] or "quality-interventions.invalid"
    return f"<{digest}@{domain}>"


def _outcome(exc: Exception) -> tuple[Status, str]:
    """How a failed attempt counts, and what to record of it (never addresses: relays echo
    them in their replies)."""
    code = getattr(exc, "code", None)
    detail = type(exc).__name__ + (f" {code}" if isinstance(code, int) else "")
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        if codes and all(500 <= c < 600 for c in codes):
            return Status.DEAD, f"{detail}: every recipient refused ({codes[0]})"
    if isinstance(code, int) and 500 <= code < 600:
        return Status.DEAD, detail
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | aiosmtplib.SMTPServerDisconnected
                  | TimeoutError):
        return Status.UNKNOWN, detail
    return Status.QUEUED, detail


class Courier:
    """The delivery loop of one worker process."""

    def __init__(
        self,
        engine: Engine,
        notifier: Notifier,
        *,
        sender: str,
        first_pause: timedelta = timedelta(seconds=30),
        lease: timedelta = timedelta(minutes=5),
        poll: timedelta = timedelta(seconds=2),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        meter: MetricMeter | None = None,
    ) -> None:
        self._engine = engine
        self._notifier = notifier
        self._sender = sender
        self._first_pause = first_pause
        self._lease = lease
        self._poll = poll.total_seconds()
        self._clock = clock
        self._nudged = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outcomes: MetricCounter = (meter or MetricMeter.noop).create_counter(
            "qi_deliveries", "Delivery attempts by outcome: sent, retry, unknown, dead"
        )

    def nudge(self) -> None:
        """Something was queued: look now rather than at the next poll. Safe from any thread."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._nudged.set)

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        while not stop.is_set():
            self._nudged.clear()
            try:
                # Stopping waits for the message in hand, not for the whole outbox.
                while not stop.is_set() and await self.deliver_due(stop):
                    pass
            except SQLAlchemyError as exc:
                log.warning("outbox unreachable (%s); delivery waits", type(exc).__name__)
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._nudged.wait())]
            await asyncio.wait(waits, timeout=self._poll, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()

    async def deliver_due(self, stop: asyncio.Event | None = None) -> int:
        """One pass: deliver every message due now (until `stop` is set); how many were
        attempted."""
        attempted = 0
        for key, status, attempts in await asyncio.to_thread(self._due):
            if stop is not None and stop.is_set():
                break
            if await asyncio.to_thread(self._claim, key, status, attempts):
                attempted += 1
                await self._deliver(key, attempts + 1)
        return attempted

    def _due(self) -> list[tuple[str, str, int]]:
        now = self._clock()
        due = or_(
            col(Notification.status).in_([Status.QUEUED.value, Status.UNKNOWN.value])
            & (col(Notification.next_attempt_at) <= now),
            (col(Notification.status) == Status.SENDING.value)
            & (col(Notification.claimed_until) < now),
        )
        query = (
            select(
                col(Notification.idempotency_key), col(Notification.status),
                col(Notification.attempts),
            )
            .where(due)
            .order_by(col(Notification.created_at))
            .limit(_BATCH)
        )
        with self._engine.connect() as conn:
            return [(k, s, a) for k, s, a in conn.execute(query)]

    def _claim(self, key: str, status: str, attempts: int) -> bool:
        """Take the message if nobody else took it since it was read."""
        stmt = (
            update(Notification)
            .where(
                col(Notification.idempotency_key) == key,
                col(Notification.status) == status,
                col(Notification.attempts) == attempts,
            )
            .values(
                status=Status.SENDING.value,
                attempts=attempts + 1,
                claimed_until=self._clock() + self._lease,
            )
        )
        with self._engine.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    async def _deliver(self, key: str, attempt: int) -> None:
        intervention_id, recipients, subject, body = await asyncio.to_thread(self._load, key)
        message = Message(
            to=recipients, subject=subject, body=body or "",
            message_id=message_id_for(key, self._sender),
        )
        with intervention_context(intervention_id):
            await self._attempt(key, attempt, message)

    async def _attempt(self, key: str, attempt: int, message: Message) -> None:
        try:
            await self._notifier.send(message)
        except Exception as exc:
            status, reason = _outcome(exc)
            pause = min(self._first_pause * 2 ** (attempt - 1), _MAX_PAUSE)
            log.warning("message %s not delivered (attempt %d, %s): %s",
                        key, attempt, status.value, reason)
            self._count(status)
            await asyncio.to_thread(self._settle, key, attempt, status, reason, pause)
            return
        self._count(Status.SENT)
        await asyncio.to_thread(self._settle, key, attempt, Status.SENT, None, None)
        log.info("message %s sent (attempt %d)", key, attempt)

    def _count(self, status: Status) -> None:
        outcome = "retry" if status is Status.QUEUED else status.value
        self._outcomes.add(1, {"outcome": outcome})

    def _load(self, key: str) -> tuple[str, list[str], str, str | None]:
        query = select(
            col(Notification.intervention_id), col(Notification.recipients),
            col(Notification.subject), col(Notification.body),
        ).where(col(Notification.idempotency_key) == key)
        with self._engine.connect() as conn:
            intervention_id, recipients, subject, body = conn.execute(query).one()
        return intervention_id, list(recipients), subject, body

    def _settle(
        self, key: str, attempt: int, status: Status, reason: str | None,
        pause: timedelta | None,
    ) -> None:
        now = self._clock()
        values: dict[str, object] = {"status": status.value, "claimed_until": None,
                                     "last_error": reason}
        if status is Status.SENT:
            values["sent_at"] = now
        elif pause is not None and status is not Status.DEAD:
            values["next_attempt_at"] = now + pause
        with self._engine.begin() as conn:
            conn.execute(
                update(Notification)
                .where(
                    col(Notification.idempotency_key) == key,
                    col(Notification.status) == Status.SENDING.value,
                    col(Notification.attempts) == attempt,
                )
                .values(values)
            )
