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

from core.database import make_engine, migrate
from core.interventions import Interventions
from models.catalogue import load_catalogue
from tests import scenario
from tests.environments import start_time_skipping
from tests.fakes import RecordingNotifier
from worker import build_worker

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
    env = await start_time_skipping()
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
