"""The worker: one `build_worker` for production and tests alike."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.notifications import NotificationActivities, Notifier, build_notifier
from activities.recording import RecordingActivities
from activities.scheduling import plan_deadlines, plan_intervention_notices, shift_for_pause
from core.database import make_engine, migrate
from core.settings import Settings
from core.temporal import connect
from workflows.intervention import InterventionWorkflow

__all__ = ["build_worker", "main"]

log = logging.getLogger(__name__)


def build_worker(
    client: Client,
    *,
    task_queue: str,
    engine: Engine,
    notifier: Notifier,
    executor: ThreadPoolExecutor,
    max_cached_workflows: int = 1000,
) -> Worker:
    """A worker for interventions; the caller owns the executor and shuts it down.

    `max_cached_workflows=0` turns off sticky execution: every task may go to any worker."""
    recording = RecordingActivities(engine)
    notifications = NotificationActivities(engine, notifier)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[InterventionWorkflow],
        activities=[
            recording.record_intervention,
            notifications.send_notification,
            plan_deadlines,
            plan_intervention_notices,
            shift_for_pause,
        ],
        activity_executor=executor,
        max_cached_workflows=max_cached_workflows,
    )


async def run_worker(settings: Settings) -> None:
    """Run a worker against the Temporal the settings name, until cancelled."""
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    client = await connect(settings)
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="qi-activity") as executor:
        worker = build_worker(
            client,
            task_queue=settings.task_queue,
            engine=engine,
            notifier=build_notifier(settings),
            executor=executor,
        )
        log.info("worker polling task queue %s", settings.task_queue)
        await worker.run()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(run_worker(Settings()))


if __name__ == "__main__":
    main()
