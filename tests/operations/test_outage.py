"""Commands go on while the read model's database and the mail relay are away: each is answered
as usual, the intervention reports how far its recording is behind, and once both are back
everything is recorded and every message delivered exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, make_url, select
from sqlmodel import col
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from core.database import make_engine, migrate
from core.health import Lag, read_model_lag
from core.interventions import Interventions, intervention_id_for
from core.notifier import SmtpNotifier
from models.catalogue import load_catalogue
from models.commands import StartRequest
from models.intervention import State
from models.tables import AuditEntry, Intervention, Notification
from tests import scenario
from tests.databases import _postgres_schema
from tests.processes import free_port
from tests.proxy import TcpProxy
from tests.settle import settled
from worker import build_worker
from workflows.intervention import InterventionWorkflow

# Far above a command's usual latency, far below the 70 s commands waited before recording
# left the command path: a command held up by the outage fails here.
ANSWERED_WITHIN = 10.0
SENDER = "quality-team@example.nhs.uk"


class Inbox:
    def __init__(self) -> None:
        self.message_ids: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.message_ids.append(str(message_from_bytes(envelope.content)["Message-ID"]))
        return "250 Message accepted for delivery"


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    yield from _postgres_schema(postgres_url)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


async def _lag_until(client: Client, done: Any) -> Lag:
    for _ in range(600):  # visibility is eventually consistent: up to 30 s
        lag = await read_model_lag(client)
        if done(lag):
            return lag
        await asyncio.sleep(0.05)
    pytest.fail(f"the read model's lag never became what was expected (last: {lag})")


def _statuses(engine: Engine, intervention_id: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(
            select(col(Notification.status)).where(
                col(Notification.intervention_id) == intervention_id
            )
        ).scalars())


@pytest.mark.postgres
async def test_commands_are_answered_while_the_database_and_relay_are_away(
    dev_env: WorkflowEnvironment, pg_url: str, inbox: tuple[Inbox, int]
) -> None:
    received, smtp_port = inbox
    url = make_url(pg_url)
    database = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    relay = TcpProxy("127.0.0.1", smtp_port)
    database.open()
    relay.open()
    engine = make_engine(url.set(port=database.port).render_as_string(hide_password=False))
    migrate(engine)
    task_queue = f"outage-{uuid.uuid4()}"
    service = Interventions(dev_env.client, task_queue=task_queue, catalogue=load_catalogue())
    notifier = SmtpNotifier(host="127.0.0.1", port=relay.port, sender=SENDER, timeout=2)
    start = service.build_start(
        StartRequest.model_validate(scenario.start_request()), intervention_id_for(None)
    ).model_copy(update={"read_model_patience_seconds": 1})
    intervention_id = start.intervention_id
    try:
        with ThreadPoolExecutor(max_workers=4) as executor:
            async with build_worker(
                dev_env.client, task_queue=task_queue, engine=engine, notifier=notifier,
                executor=executor, delivery_first_pause=timedelta(milliseconds=200),
            ):
                await dev_env.client.start_workflow(
                    InterventionWorkflow.run, start, id=intervention_id, task_queue=task_queue
                )
                await settled(service, engine, intervention_id)
                database.cut()
                relay.cut()

                states = [
                    (await asyncio.wait_for(
                        service.command(intervention_id, event, payload), ANSWERED_WITHIN
                    )).state
                    for event, payload in scenario.URGENT_PATH
                ]
                behind = await _lag_until(dev_env.client, lambda lag: lag.entries > 0)

                database.open()  # the relay still refuses: messages wait in the outbox
                await _lag_until(dev_env.client, lambda lag: lag.entries == 0)
                relay.open()
                await settled(service, engine, intervention_id, within=60)
                final = await dev_env.client.get_workflow_handle_for(
                    InterventionWorkflow.run, intervention_id
                ).result()
    finally:
        database.close()
        relay.close()

    assert states[-1] is State.closed
    assert behind.interventions == 1
    engine.dispose()
    engine = make_engine(pg_url)  # straight to the database, not through the cut proxy
    with engine.connect() as conn:
        row = conn.execute(
            select(col(Intervention.state)).where(col(Intervention.id) == intervention_id)
        ).scalar_one()
        audit = conn.execute(
            select(col(AuditEntry.command))
            .where(col(AuditEntry.intervention_id) == intervention_id)
            .order_by(col(AuditEntry.seq))
        ).scalars().all()
    statuses = _statuses(engine, intervention_id)
    engine.dispose()
    assert row == State.closed.value
    assert list(audit) == [entry.command for entry in final.data.audit]
    assert statuses
    assert set(statuses) == {"sent"}
    # Every message arrived once: one copy per Message-ID, one Message-ID per outbox row.
    copies = Counter(received.message_ids)
    assert set(copies.values()) == {1}
    assert len(copies) == len(statuses)
