"""Fifty interventions driven at once while their worker process is killed (SIGKILL) five
times: every message is delivered, and all copies of one message carry its one Message-ID."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col
from temporalio.testing import WorkflowEnvironment

from activities.delivery import message_id_for
from core.database import make_engine, migrate
from core.interventions import Interventions
from models.catalogue import load_catalogue
from models.commands import Event
from models.tables import Notification
from tests import scenario
from tests.environments import key_file
from tests.relay import relay
from tests.settle import settled

SENDER = "quality-team@example.nhs.uk"
INTERVENTIONS = 50
KILLS = 5


def _worker(env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "worker"], cwd=folder, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


@pytest.mark.timeout(240)
async def test_every_message_arrives_once_by_id_while_the_worker_is_killed_five_times(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'read-model.sqlite3'}"
    engine = make_engine(database_url)
    migrate(engine)
    task_queue = f"kills-{uuid.uuid4()}"
    service = Interventions(dev_env.client, task_queue=task_queue, catalogue=load_catalogue())

    async def drive(n: int) -> str:
        status = await service.start(scenario.start_request(), request_id=f"kill-{n}")
        await service.command(status.data.intervention_id, Event.convene_panel,
                              scenario.urgent_panel(), update_id=f"convene-{n}")
        return status.data.intervention_id

    with relay() as smtp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("QI_", "TEMPORAL_"))},
            "QI_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
            "QI_KEYS_FILE": str(key_file()),  # the keys this test process seals with
            "QI_TASK_QUEUE": task_queue,
            "QI_DATABASE_URL": database_url,
            "QI_NOTIFIER": "smtp",
            "QI_SMTP_HOST": "127.0.0.1",
            "QI_SMTP_PORT": str(smtp.port),
            "QI_SMTP_TIMEOUT_SECONDS": "2",
            "QI_MAIL_FROM": SENDER,
            "QI_MAX_CACHED_WORKFLOWS": "0",
            "QI_DELIVERY_FIRST_PAUSE_SECONDS": "0.1",
            "QI_DELIVERY_LEASE_SECONDS": "1",
            "QI_DELIVERY_POLL_SECONDS": "0.05",
        }
        driving = asyncio.gather(*(drive(n) for n in range(INTERVENTIONS)))
        for _ in range(KILLS):
            worker = _worker(env, tmp_path)
            await asyncio.sleep(1.5)  # long enough to take work, and to be caught mid-way
            worker.send_signal(signal.SIGKILL)
            await asyncio.to_thread(worker.wait, 10)
        last = _worker(env, tmp_path)
        try:
            ids = await asyncio.wait_for(driving, 120)
            for intervention_id in ids:
                await settled(service, engine, intervention_id, within=60)
        finally:
            last.kill()
            await asyncio.to_thread(last.wait, 10)

    with engine.connect() as conn:
        rows = dict(conn.execute(
            select(col(Notification.idempotency_key), col(Notification.status))
        ).all())
    engine.dispose()
    assert len(rows) == 2 * INTERVENTIONS  # the start's message and the panel's, for each
    assert set(rows.values()) == {"sent"}
    # Every message arrived, and each copy carries the Message-ID of its own key.
    copies: dict[str, int] = defaultdict(int)
    for message_id in smtp.message_ids():
        copies[message_id] += 1
    assert set(copies) == {message_id_for(key, SENDER) for key in rows}
