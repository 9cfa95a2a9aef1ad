"""Mail through a real local SMTP relay, driven by real interventions on the dev server: a
refused message does not hold the intervention up and can be resent once, with who did it in
the audit; and with workers stopped and started again and again, every message arrives and all
copies of one message share one Message-ID."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col
from temporalio.testing import WorkflowEnvironment

from activities.delivery import message_id_for
from core.interventions import Interventions
from core.notifier import Notifier
from core.outbox import OutboxEntry, resend, undelivered
from core.read_model import audit_trail
from models.catalogue import load_catalogue
from models.commands import Event
from models.errors import ErrorType, InterventionError
from models.tables import Notification
from models.tables import NotificationStatus as Status
from tests import scenario
from tests.databases import sqlite_read_model
from tests.relay import HANG, SENDER, eventually, relay, smtp_notifier
from tests.settle import settled
from worker import build_worker

FAST = {
    "delivery_first_pause": timedelta(milliseconds=50),
    "delivery_lease": timedelta(milliseconds=500),
    "delivery_poll": timedelta(milliseconds=20),
}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    yield from sqlite_read_model(tmp_path)


@asynccontextmanager
async def _worker(
    env: WorkflowEnvironment, engine: Engine, notifier: Notifier, task_queue: str
) -> AsyncIterator[None]:
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(env.client, task_queue=task_queue, engine=engine,
                                notifier=notifier, executor=executor, mail_from=SENDER,
                                max_cached_workflows=0, **FAST):
            yield


def _statuses(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(
            select(col(Notification.idempotency_key), col(Notification.status))).all())


async def test_a_refused_message_is_a_dead_letter_the_intervention_goes_on_and_a_resend_delivers_it_once(  # noqa: E501
    dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    task_queue = f"outbox-{uuid.uuid4()}"
    service = Interventions(dev_env.client, task_queue=task_queue, catalogue=load_catalogue())
    with relay() as smtp:
        smtp.answers = ["550 5.1.1 Mailbox unavailable"]
        async with _worker(dev_env, engine, smtp_notifier(smtp), task_queue):
            started = await service.start(scenario.start_request())
            intervention_id = started.data.intervention_id
            [dead] = [m for m in await _undelivered_soon(engine) if m.status is Status.DEAD]
            assert dead.last_error == "SMTPDataError 550"
            assert dead.intervention_id == intervention_id

            result = await service.command(intervention_id, Event.convene_panel,
                                           scenario.urgent_panel())
            assert result.state == "panel_convened"
            await eventually(lambda: len(smtp.copies) == 1, "the panel's message delivered")

            resent = await resend(service, engine, dead.key, "ops.oncall")
            assert (resent.status, resent.attempts) == (Status.QUEUED, 1)
            await settled(service, engine, intervention_id)
            with pytest.raises(InterventionError) as again:
                await resend(service, engine, dead.key, "ops.oncall")

    assert again.value.error_type is ErrorType.COMMAND_REFUSED
    assert _statuses(engine)[dead.key] == "sent"
    ids = smtp.message_ids()
    assert ids.count(message_id_for(dead.key, SENDER)) == 1
    [note] = [e for e in audit_trail(engine, intervention_id) if e.command == "resend_message"]
    assert note.actor == "ops.oncall"
    assert "dead after 1 attempts" in note.summary
    assert "@" not in note.summary


async def _undelivered_soon(engine: Engine) -> list[OutboxEntry]:
    await eventually(lambda: any(m.status is Status.DEAD for m in undelivered(engine)),
                     "a dead letter")
    return list(undelivered(engine))


async def test_every_message_arrives_under_one_message_id_while_workers_stop_and_start(
    dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    task_queue = f"outbox-{uuid.uuid4()}"
    service = Interventions(dev_env.client, task_queue=task_queue, catalogue=load_catalogue())
    count = 24

    async def drive(n: int) -> str:
        status = await service.start(scenario.start_request(), request_id=f"mail-{n}")
        await service.command(status.data.intervention_id, Event.convene_panel,
                              scenario.urgent_panel(), update_id=f"convene-{n}")
        return status.data.intervention_id

    with relay() as smtp:
        # A relay that now and then takes a message and never answers, or asks to try later.
        smtp.answers = [HANG, "451 4.3.0 Try later", "250 OK", HANG, "421 4.3.2 Closing"] * 3
        notifier = smtp_notifier(smtp, timeout=0.3)
        driving = asyncio.gather(*(drive(n) for n in range(count)))
        for _ in range(4):  # the workers come and go while the interventions are driven
            async with _worker(dev_env, engine, notifier, task_queue):
                await asyncio.sleep(0.5)
        async with _worker(dev_env, engine, notifier, task_queue):
            ids = await asyncio.wait_for(driving, 60)
            for intervention_id in ids:
                await settled(service, engine, intervention_id)

    statuses = _statuses(engine)
    assert len(statuses) == 2 * count  # the start's message and the panel's, for each
    assert set(statuses.values()) == {"sent"}
    # Message-IDs are derived from keys one to one: as many distinct IDs among the copies as
    # keys, each a key's, means every message arrived and no copy carried another ID.
    expected = {message_id_for(key, SENDER) for key in statuses}
    assert len(expected) == len(statuses)
    assert set(smtp.message_ids()) == expected
    assert len(smtp.copies) > len(statuses)  # the hung ones arrived twice
