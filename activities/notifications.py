"""Send a notification e-mail at most once per idempotency key, through the `notification` ledger.

A row is claimed ('sending') before the send and marked 'sent' after it. A failed send
removes the claim so the retry can send. A claim that is found still 'sending' means an
earlier attempt died between sending and marking: it may have delivered, so it is never sent
again (a missed reminder is recoverable, a doubled one to a provider's executives is not).
"""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine, delete, func, select, update
from sqlmodel import col
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.database import dialect_insert
from core.notifier import Notifier, build_notifier
from models.effects import Message, SendNotificationInput
from models.errors import ErrorType
from models.tables import Notification, NotificationStatus

__all__ = [
    "Message",
    "NotificationActivities",
    "Notifier",
    "SendNotificationInput",
    "build_notifier",
]


def _delivery_failed(input: SendNotificationInput, exc: Exception) -> ApplicationError:
    # Class and SMTP code only: relays echo recipient addresses in their replies.
    code = getattr(exc, "code", None)
    detail = type(exc).__name__ + (f" {code}" if isinstance(code, int) else "")
    return ApplicationError(
        f"notification {input.idempotency_key} not delivered ({detail})",
        type=ErrorType.DELIVERY_FAILED,
    )


class NotificationActivities:
    """E-mail effects. The engine stamps the ledger with the database's clock, one for all
    workers; the notifier is the only thing that reaches outside."""

    def __init__(self, engine: Engine, notifier: Notifier) -> None:
        self._engine = engine
        self._notifier = notifier
        self._insert = dialect_insert(engine)

    @activity.defn(name="send_notification")
    async def send_notification(self, input: SendNotificationInput) -> bool:
        """True if this call sent the message; False if it was already sent (or may have been)."""
        # The database driver blocks; keep it off the event loop the worker polls on.
        if not await asyncio.to_thread(self._claim, input):
            return False
        try:
            await self._notifier.send(input.message)
        except ApplicationError:
            await asyncio.to_thread(self._release, input.idempotency_key)
            raise
        except Exception as exc:
            await asyncio.to_thread(self._release, input.idempotency_key)
            # Retryable: a relay that is down or refusing now may accept on the next attempt.
            raise _delivery_failed(input, exc) from None
        await asyncio.to_thread(self._mark_sent, input.idempotency_key)
        # The key finds the ledger row; recipients (people's addresses) stay out of logs.
        activity.logger.info("notification %s sent", input.idempotency_key)
        return True

    def _claim(self, input: SendNotificationInput) -> bool:
        """Insert the 'sending' row; False (and nothing sent) if the key already has one."""
        stmt = (
            self._insert(Notification)
            .values(
                idempotency_key=input.idempotency_key,
                intervention_id=input.intervention_id,
                recipients=list(input.message.to),
                subject=input.message.subject,
                status=NotificationStatus.SENDING.value,
                created_at=func.now(),
            )
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(col(Notification.idempotency_key))
        )
        with self._engine.begin() as conn:
            if conn.execute(stmt).first() is not None:
                return True
            status = conn.execute(
                select(col(Notification.status)).where(
                    col(Notification.idempotency_key) == input.idempotency_key
                )
            ).scalar_one_or_none()
        if status is None:
            # The other claim was released between our insert and this read: try again.
            raise ApplicationError(
                f"notification {input.idempotency_key} claim changed hands; retrying",
                type=ErrorType.DELIVERY_FAILED,
            )
        if status == NotificationStatus.SENDING:
            activity.logger.warning(
                "notification %s was claimed by an earlier attempt that did not finish; "
                "not sending again in case it was delivered",
                input.idempotency_key,
            )
        return False

    def _release(self, key: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                delete(Notification).where(
                    col(Notification.idempotency_key) == key,
                    col(Notification.status) == NotificationStatus.SENDING.value,
                )
            )

    def _mark_sent(self, key: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(Notification)
                .where(col(Notification.idempotency_key) == key)
                .values(status=NotificationStatus.SENT.value, sent_at=func.now())
            )
