"""The worker: one `build_worker` for production and tests alike."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker, WorkerConfig

from activities.delivery import Courier
from activities.notifications import NotificationActivities, Notifier, build_notifier
from activities.recording import RecordingActivities
from activities.scheduling import (
    bank_holidays,
    plan_deadlines,
    plan_intervention_notices,
    shift_for_pause,
)
from core.database import make_engine, migrate
from core.logging import configure_logging
from core.settings import Settings
from core.temporal import connect, metrics_runtime
from core.tracing import tracing_interceptors
from workflows.intervention import InterventionWorkflow

__all__ = [
    "InterventionWorker",
    "build_worker", "main", "run_worker", "serve", "worker_from_settings"]

log = logging.getLogger(__name__)


def build_worker(
    client: Client,
    *,
    task_queue: str,
    engine: Engine,
    notifier: Notifier,
    executor: ThreadPoolExecutor,
    max_cached_workflows: int = 1000,
    max_concurrent_activities: int | None = None,
    max_concurrent_workflow_tasks: int | None = None,
    graceful_shutdown_timeout: timedelta = timedelta(),
    mail_from: str = "quality-team@example.nhs.uk",
    delivery_first_pause: timedelta = timedelta(seconds=30),
) -> InterventionWorker:
    """A worker for interventions, with its outbox delivery loop; the caller owns the executor
    and shuts it down.

    `max_cached_workflows=0` turns off sticky execution: every task may go to any worker.
    The concurrency limits default to the SDK's; give the executor at least as many threads
    as `max_concurrent_activities`, or sync activities queue for a thread.
    On shutdown, activities still running get `graceful_shutdown_timeout` to finish before
    they are cancelled (and retried elsewhere)."""
    courier = Courier(engine, notifier, sender=mail_from, first_pause=delivery_first_pause)
    recording = RecordingActivities(engine, on_queued=courier.nudge)
    notifications = NotificationActivities(engine, notifier)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[InterventionWorkflow],
        activities=[
            recording.project_changes,
            bank_holidays,
            # Called only by interventions started before effects moved after the reply.
            recording.record_intervention,
            notifications.send_notification,
            plan_deadlines,
            plan_intervention_notices,
            shift_for_pause,
        ],
        activity_executor=executor,
        max_cached_workflows=max_cached_workflows,
        max_concurrent_activities=max_concurrent_activities,
        max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
        graceful_shutdown_timeout=graceful_shutdown_timeout,
    )
    return InterventionWorker(worker, courier)


class InterventionWorker:
    """The Temporal worker and the outbox's delivery loop, started and stopped together."""

    def __init__(self, worker: Worker, courier: Courier) -> None:
        self.worker = worker
        self.courier = courier
        self._stop = asyncio.Event()
        self._delivery: asyncio.Task[None] | None = None

    def config(self) -> WorkerConfig:
        return self.worker.config()

    async def __aenter__(self) -> InterventionWorker:
        self._stop.clear()
        self._delivery = asyncio.create_task(self.courier.run(self._stop))
        await self.worker.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.worker.__aexit__(*exc)  # type: ignore[arg-type]
        finally:
            self._stop.set()
            if self._delivery is not None:
                await self._delivery


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run a worker against the Temporal the settings name until `stop` is set or the task is
    cancelled. Either way it polls no more and running activities get
    QI_GRACEFUL_SHUTDOWN_SECONDS to finish."""
    engine = make_engine(settings.resolved_database_url)
    try:
        migrate(engine)
        with tracing_interceptors(settings) as interceptors:
            client = await connect(
                settings, runtime=metrics_runtime(settings), interceptors=interceptors
            )
            await _poll(settings, client, engine, stop or asyncio.Event())
    finally:
        engine.dispose()


def worker_from_settings(
    settings: Settings, client: Client, engine: Engine, executor: ThreadPoolExecutor
) -> InterventionWorker:
    """`build_worker` tuned by the settings (QI_MAX_CONCURRENT_*, QI_MAX_CACHED_WORKFLOWS,
    QI_GRACEFUL_SHUTDOWN_SECONDS), delivering through the notifier they name."""
    return build_worker(
        client,
        task_queue=settings.task_queue,
        engine=engine,
        notifier=build_notifier(settings),
        executor=executor,
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        graceful_shutdown_timeout=timedelta(seconds=settings.graceful_shutdown_seconds),
        mail_from=settings.mail_from,
    )


async def _poll(settings: Settings, client: Client, engine: Engine, stop: asyncio.Event) -> None:
    # One thread per activity slot: sync activities never queue behind each other.
    with ThreadPoolExecutor(
        max_workers=settings.max_concurrent_activities, thread_name_prefix="qi-activity"
    ) as executor:
        worker = worker_from_settings(settings, client, engine, executor)
        # Leaving the block shuts the worker down gracefully, on `stop` and on cancellation.
        async with worker:
            log.info("worker polling task queue %s", settings.task_queue)
            await stop.wait()
    log.info("worker stopped")


def _stop_on_signals(stop: asyncio.Event, grace_seconds: float) -> None:
    """SIGTERM or Ctrl-C: stop polling and let running activities finish; a second one stops
    at once (the activities cut off are retried by another worker)."""
    if sys.platform == "win32":  # no signal handlers there; Ctrl-C raises KeyboardInterrupt
        return
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()

    def handle(signum: signal.Signals) -> None:
        if stop.is_set():
            log.warning("%s again: stopping without waiting for running activities", signum.name)
            if main_task is not None:
                main_task.cancel()
            return
        log.info("%s: polling stops; running activities have %g s to finish",
                 signum.name, grace_seconds)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, handle, signum)


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    _stop_on_signals(stop, settings.graceful_shutdown_seconds)
    await run_worker(settings, stop=stop)


def serve(settings: Settings) -> None:
    """Run the worker in the foreground until SIGTERM or Ctrl-C, then return normally."""
    try:
        asyncio.run(_serve(settings))
    except (KeyboardInterrupt, asyncio.CancelledError):
        log.warning("worker stopped without waiting for running activities")


def main() -> None:
    settings = Settings()
    configure_logging(settings, default_level="INFO")
    serve(settings)


if __name__ == "__main__":
    main()
