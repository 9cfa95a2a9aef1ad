"""How big does an intervention's history get? Two years of action tracking, measured.

Runs on the time-skipping server: an urgent review with five actions due in two years gets
monthly progress reminders and a stall nudge now and then. Prints the history length and size
of every run, and whether continue-as-new happened. `make bench`.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, timedelta
from pathlib import Path

from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from core.database import make_engine, migrate
from core.interventions import Interventions
from models.catalogue import load_catalogue
from tests import scenario
from tests.fakes import RecordingNotifier
from worker import build_worker
from workflows.monitoring import ALL_KEYS

ACTIONS = 5
YEARS = 2
# Temporal's own limits: 51,200 events or 50 MB per run (it warns at 10,240 events / 10 MB).
EVENT_LIMIT, SIZE_LIMIT = 51_200, 50 * 1024 * 1024


async def _drive(service: Interventions, today: date) -> str:
    status = await service.start(scenario.start_request())
    intervention_id = status.data.intervention_id
    due = today + timedelta(days=365 * YEARS)
    for event, payload in scenario.tracking_path(today, due_on=due, actions=ACTIONS):
        await service.command(intervention_id, event, payload)
    return intervention_id


async def main() -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await env.client.operator_service.add_search_attributes(AddSearchAttributesRequest(
        namespace=env.client.namespace,
        search_attributes={k.name: k.indexed_value_type for k in ALL_KEYS},
    ))
    now = await env.get_current_time()
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(4) as executor:
        engine = make_engine(f"sqlite:///{tmp}/bench.sqlite3")
        migrate(engine)
        notifier = RecordingNotifier()
        service = Interventions(env.client, task_queue="bench", catalogue=load_catalogue())
        async with build_worker(env.client, task_queue="bench", engine=engine,
                                notifier=notifier, executor=executor):
            started = time.perf_counter()
            intervention_id = await _drive(service, now.astimezone(UTC).date())
            await env.sleep(timedelta(days=365 * YEARS - 1))
            status = await service.status(intervention_id)
            elapsed = time.perf_counter() - started
            history = await env.client.get_workflow_handle(intervention_id).fetch_history()
    size = len(history.to_json().encode())
    print(f"simulated:          {YEARS} years of tracking {ACTIONS} actions, {elapsed:.1f} s wall")
    print(f"notices sent:       {len(status.data.notices_sent)} "
          f"({len(notifier.sent)} e-mails including step notifications)")
    print(f"audit entries:      {len(status.data.audit)}")
    print(f"current run:        {len(history.events)} events, {size / 1024:.0f} KiB of JSON")
    print(f"of Temporal limits: {100 * len(history.events) / EVENT_LIMIT:.1f} % of events, "
          f"{100 * size / SIZE_LIMIT:.2f} % of size")
    await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    os._exit(0)
