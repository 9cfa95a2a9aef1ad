"""The outbox's delivery loop against a real local SMTP relay made to fail: every message
arrives, and every copy of one message carries one Message-ID."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select
from sqlmodel import col
from temporalio.runtime import MetricBuffer, Runtime, TelemetryConfig

from activities.delivery import Courier, message_id_for
from core.database import make_engine
from core.notifier import Notifier
from core.outbox import requeue
from models.tables import Notification
from models.tables import NotificationStatus as Status
from tests.proxy import TcpProxy
from tests.relay import HANG, SENDER, eventually, relay, smtp_notifier

KEY = "intervention-00000000-0000-4000-8000-000000000001:1:notify:provider-lead"
FAST = {"first_pause": timedelta(milliseconds=50), "poll": timedelta(milliseconds=20)}


def _queue(engine: Engine, key: str = KEY) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert(Notification).values(
            idempotency_key=key, intervention_id=key.split(":")[0],
            recipients=["dme@northshire.example.nhs.uk"], subject="Quality intervention started",
            body="Dear Dr Morgan Hale", status=Status.QUEUED.value, attempts=0,
            created_at=now, next_attempt_at=now,
        ))


def _row(engine: Engine, key: str = KEY) -> tuple[str, int, str | None]:
    query = select(col(Notification.status), col(Notification.attempts),
                   col(Notification.last_error)).where(col(Notification.idempotency_key) == key)
    with engine.connect() as conn:
        status, attempts, error = conn.execute(query).one()
    return status, attempts, error


def _status_is(engine: Engine, status: Status, key: str = KEY) -> bool:
    return _row(engine, key)[0] == status.value


@asynccontextmanager
async def _running(courier: Courier) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(courier.run(stop))
    try:
        yield task
    finally:
        stop.set()
        if not task.done():
            await asyncio.wait_for(task, 30)


def _courier(engine: Engine, notifier: Notifier, **overrides: timedelta) -> Courier:
    return Courier(engine, notifier, sender=SENDER, **{**FAST, **overrides})


async def test_a_451_is_retried_and_delivered_once(engine: Engine) -> None:
    with relay() as smtp:
        smtp.answers = ["451 4.3.0 Try again later"]
        _queue(engine)
        async with _running(_courier(engine, smtp_notifier(smtp))):
            await eventually(lambda: _status_is(engine, Status.SENT), "sent after the 451")

    assert smtp.refused == 1
    assert smtp.message_ids() == [message_id_for(KEY, SENDER)]
    assert _row(engine)[1] == 2


async def test_a_550_is_a_dead_letter_with_its_reason_and_a_resend_delivers_it_once(
    engine: Engine,
) -> None:
    with relay() as smtp:
        smtp.answers = ["550 5.7.1 Delivery not authorized"]
        _queue(engine)
        async with _running(_courier(engine, smtp_notifier(smtp))):
            await eventually(lambda: _status_is(engine, Status.DEAD), "dead after the 550")
            _, attempts, error = _row(engine)
            assert (attempts, error) == (1, "SMTPDataError 550")
            assert smtp.copies == []

            assert requeue(engine, KEY, Status.DEAD, attempts)  # the relay was fixed
            await eventually(lambda: _status_is(engine, Status.SENT), "sent after the resend")

    assert smtp.message_ids() == [message_id_for(KEY, SENDER)]
    assert _row(engine)[:2] == ("sent", 2)


async def test_a_dead_letter_is_never_retried_by_itself(engine: Engine) -> None:
    with relay() as smtp:
        smtp.answers = ["554 5.7.1 Rejected"]
        _queue(engine)
        courier = _courier(engine, smtp_notifier(smtp))
        assert await courier.deliver_due() == 1
        assert await courier.deliver_due() == 0

    assert _row(engine)[:2] == ("dead", 1)


async def test_a_relay_that_hangs_after_data_leaves_it_unknown_then_it_is_sent_again_under_one_message_id(  # noqa: E501
    engine: Engine,
) -> None:
    with relay() as smtp:
        smtp.answers = [HANG]
        _queue(engine)
        # A pause long enough to see the state in between; the resend is then asked for.
        courier = _courier(engine, smtp_notifier(smtp, timeout=0.3),
                           first_pause=timedelta(hours=1))
        assert await courier.deliver_due() == 1
        status, attempts, error = _row(engine)
        assert (status, attempts) == ("unknown", 1)
        assert error is not None
        assert "Timeout" in error

        assert requeue(engine, KEY, Status.UNKNOWN, 1)
        assert await courier.deliver_due() == 1

    assert _status_is(engine, Status.SENT)
    first, second = smtp.message_ids()
    assert first == second == message_id_for(KEY, SENDER)


async def test_an_unknown_message_is_sent_again_by_itself_after_the_pause(engine: Engine) -> None:
    with relay() as smtp:
        smtp.answers = [HANG]
        _queue(engine)
        async with _running(_courier(engine, smtp_notifier(smtp, timeout=0.3))):
            await eventually(lambda: len(smtp.copies) == 2 and _status_is(engine, Status.SENT),
                             "sent again after the relay hung")

    assert len(set(smtp.message_ids())) == 1


async def test_a_courier_killed_mid_send_leaves_a_claim_that_expires_and_another_delivers(
    engine: Engine,
) -> None:
    with relay() as smtp:
        smtp.answers = [HANG]
        _queue(engine)
        first = _courier(engine, smtp_notifier(smtp), lease=timedelta(milliseconds=300))
        async with _running(first) as task:
            await eventually(lambda: len(smtp.copies) == 1, "the first copy reached the relay")
            task.cancel()  # the worker dies with the send under way
            with pytest.raises(asyncio.CancelledError):
                await task
        assert _row(engine)[:2] == ("sending", 1)

        async with _running(_courier(engine, smtp_notifier(smtp))):
            await eventually(lambda: _status_is(engine, Status.SENT), "sent by the next courier")

    assert _row(engine)[:2] == ("sent", 2)
    first_copy, second_copy = smtp.message_ids()
    assert first_copy == second_copy == message_id_for(KEY, SENDER)


async def test_a_late_outcome_of_an_expired_claim_does_not_overwrite_the_next_one(
    engine: Engine,
) -> None:
    with relay() as smtp:
        _queue(engine)
        late = _courier(engine, smtp_notifier(smtp), lease=timedelta(0))
        assert late._claim(KEY, "queued", 0)
        await asyncio.sleep(0.01)  # its claim has expired
        assert await _courier(engine, smtp_notifier(smtp)).deliver_due() == 1
        late._settle(KEY, 1, Status.QUEUED, "SMTPServerDisconnected", timedelta(0))

    assert _row(engine) == ("sent", 2, None)


@pytest.mark.postgres
async def test_a_send_that_completes_while_the_database_is_down_is_sent_again_under_one_message_id(
    engine: Engine, caplog: pytest.LogCaptureFixture,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the database is taken away through a TCP proxy to PostgreSQL")
    url = engine.url
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.open()
    through = make_engine(
        url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    )
    caplog.set_level(logging.WARNING, logger="activities.delivery")
    try:
        with relay() as smtp:
            smtp.on_data = proxy.cut  # the database goes while the relay takes the message
            _queue(engine)
            courier = _courier(through, smtp_notifier(smtp), lease=timedelta(milliseconds=300))
            async with _running(courier):
                await eventually(
                    lambda: "outbox unreachable" in caplog.text, "the outcome failed to record"
                )
                assert _row(engine)[:2] == ("sending", 1)
                smtp.on_data = None
                proxy.open()
                await eventually(lambda: _status_is(engine, Status.SENT), "sent again")
    finally:
        through.dispose()
        proxy.close()

    first, second = smtp.message_ids()
    assert first == second == message_id_for(KEY, SENDER)


async def test_each_outcome_is_counted_on_the_workers_metric_meter(engine: Engine) -> None:
    buffer = MetricBuffer(100)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
    with relay() as smtp:
        smtp.answers = ["451 4.3.0 Try again later", "550 5.1.1 Mailbox unavailable"]
        _queue(engine, KEY)
        _queue(engine, KEY.replace(":1:", ":2:"))
        courier = Courier(engine, smtp_notifier(smtp), sender=SENDER,
                          first_pause=timedelta(0), meter=runtime.metric_meter)
        while await courier.deliver_due():
            pass

    counted: Counter[str] = Counter()
    for update in buffer.retrieve_updates():
        if update.metric.name == "qi_deliveries":
            counted[str(update.attributes["outcome"])] += int(update.value)
    assert counted == {"retry": 1, "dead": 1, "sent": 1}
