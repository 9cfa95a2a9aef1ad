"""A worker that fails to deliver a reminder and goes away: the next worker delivers it once."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from core.interventions import Interventions
from models.catalogue import load_catalogue
from models.tables import Notification
from tests import scenario
from tests.fakes import DroppingNotifier, RecordingNotifier
from tests.settle import settled
from tests.workflows.conftest import skip_to
from worker import build_worker


async def test_reminder_is_sent_once_across_a_worker_restart(
    clock_env: WorkflowEnvironment, engine: Engine
) -> None:
    task_queue = f"restart-{uuid.uuid4()}"
    service = Interventions(clock_env.client, task_queue=task_queue, catalogue=load_catalogue())
    first, second = DroppingNotifier(prefix="Reminder"), RecordingNotifier()
    await skip_to(clock_env, datetime(2030, 12, 2, 9, tzinfo=UTC))

    with ThreadPoolExecutor(max_workers=2) as executor:
        # No sticky cache: the test server does not hand a dead worker's workflows on.
        async with build_worker(clock_env.client, task_queue=task_queue, engine=engine,
                                notifier=first, executor=executor, max_cached_workflows=0,
                                delivery_first_pause=timedelta(milliseconds=100)):
            status = await service.start(scenario.start_request())
            # convene_panel is due Mon 9 Dec: the first reminder is due Wed 4 Dec.
            await skip_to(clock_env, datetime(2030, 12, 4, 12, tzinfo=UTC))
            await asyncio.wait_for(first.failed.wait(), timeout=30)
        # The first worker has gone, its reminder undelivered.

        async with build_worker(clock_env.client, task_queue=task_queue, engine=engine,
                                notifier=second, executor=executor):
            await skip_to(clock_env, datetime(2030, 12, 5, 12, tzinfo=UTC))
            await settled(service, engine, status.data.intervention_id)
            after = await service.status(status.data.intervention_id)

    reminders = [m for m in first.sent + second.sent if m.subject.startswith("Reminder")]
    assert len(reminders) == 1
    assert reminders[0] in second.sent
    assert [n.kind for n in after.data.notices_sent] == ["reminder"]
    with Session(engine) as session:
        ledger = session.exec(
            select(Notification).where(Notification.subject.startswith("Reminder"))  # type: ignore[attr-defined]
        ).all()
    assert [row.status for row in ledger] == ["sent"]
