"""`send_notification`: at most one message per idempotency key, through the ledger."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notifications import NotificationActivities
from core.notifier import ConsoleNotifier, SmtpNotifier, build_notifier
from core.settings import Settings
from models.effects import Message, SendNotificationInput
from models.errors import ErrorType
from models.tables import Notification, NotificationStatus
from tests.fakes import RecordingNotifier
from tests.snapshots import START, count

ID = "urgent-risk-review-rxx01-0001"


class RefusingNotifier(RecordingNotifier):
    """Refuses the first `refusals` messages as a relay that is down would, then delivers."""

    def __init__(self, refusals: int) -> None:
        super().__init__()
        self.refusals = refusals

    async def send(self, message: Message) -> None:
        if self.refusals > 0:
            self.refusals -= 1
            raise ConnectionRefusedError("relay unreachable")
        await super().send(message)


def notification(key: str = f"{ID}:1:notify:provider-lead") -> SendNotificationInput:
    return SendNotificationInput(
        idempotency_key=key,
        intervention_id=ID,
        message=Message(
            to=["dme@northshire.example.nhs.uk", "c.okafor@quality.example.nhs.uk"],
            subject="Quality intervention started: Urgent Risk Review at Northshire",
            body="Dear Dr Hale,\n\nThe regional quality team has started a review.",
        ),
    )


def _ledger(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(Notification)).all())


async def test_sending_twice_delivers_once(engine: Engine) -> None:
    notifier = RecordingNotifier()
    activities = NotificationActivities(engine, notifier)
    env = ActivityEnvironment()

    first = await env.run(activities.send_notification, notification())
    second = await env.run(activities.send_notification, notification())

    assert (first, second) == (True, False)
    assert notifier.sent == [notification().message]
    [row] = _ledger(engine)
    assert row.status == NotificationStatus.SENT
    assert row.recipients == notification().message.to
    assert row.sent_at is not None
    assert row.sent_at.tzinfo is not None


async def test_each_key_is_sent_once(engine: Engine) -> None:
    notifier = RecordingNotifier()
    activities = NotificationActivities(engine, notifier)
    env = ActivityEnvironment()

    for key in ("a", "b", "a", "b"):
        await env.run(activities.send_notification, notification(f"{ID}:1:notify:{key}"))

    assert len(notifier.sent) == 2
    assert count(engine, Notification) == 2


async def test_failed_delivery_leaves_no_claim_and_the_retry_sends_once(engine: Engine) -> None:
    notifier = RefusingNotifier(refusals=1)
    activities = NotificationActivities(engine, notifier)
    env = ActivityEnvironment()

    with pytest.raises(ApplicationError, match="ConnectionRefusedError") as raised:
        await env.run(activities.send_notification, notification())
    assert raised.value.type == ErrorType.DELIVERY_FAILED
    assert not raised.value.non_retryable
    assert count(engine, Notification) == 0

    assert await env.run(activities.send_notification, notification()) is True
    assert await env.run(activities.send_notification, notification()) is False
    assert len(notifier.sent) == 1


async def test_unfinished_claim_is_never_sent_again(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    # What an attempt leaves when it dies after the relay took the message but before marking.
    with engine.begin() as conn:
        conn.execute(
            insert(Notification).values(
                idempotency_key=notification().idempotency_key,
                intervention_id=ID,
                recipients=["dme@northshire.example.nhs.uk"],
                subject="earlier attempt",
                status=NotificationStatus.SENDING.value,
                created_at=START,
            )
        )
    notifier = RecordingNotifier()
    activities = NotificationActivities(engine, notifier)

    with caplog.at_level(logging.WARNING):
        sent = await ActivityEnvironment().run(activities.send_notification, notification())

    assert sent is False
    assert notifier.sent == []
    assert "not sending again" in caplog.text
    [row] = _ledger(engine)
    assert row.status == NotificationStatus.SENDING


async def test_console_notifier_logs_count_and_subject_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    message = notification().message

    with caplog.at_level(logging.INFO, logger="core.notifier"):
        await ConsoleNotifier().send(message)

    [record] = caplog.records
    text = record.getMessage()
    assert "2 recipient(s)" in text
    assert message.subject in text
    assert "@" not in text
    assert "Dear" not in text


def test_build_notifier_follows_settings() -> None:
    console = build_notifier(Settings(_env_file=None, notifier="console"))  # type: ignore[call-arg]
    smtp = build_notifier(
        Settings(_env_file=None, notifier="smtp", smtp_host="relay.example", smtp_port=2525)  # type: ignore[call-arg]
    )

    assert isinstance(console, ConsoleNotifier)
    assert isinstance(smtp, SmtpNotifier)
