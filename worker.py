"""The worker: one `build_worker` for production and tests alike."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.worker import Worker, WorkerConfig

from activities.delivery import Courier
from activities.notifications import NotificationActivities, Notifier, build_notifier
from activities.outside import OutsideChanges
from activities.recording import RecordingActivities
from activities.scheduling import (
    bank_holidays,
    plan_deadlines,
    plan_intervention_notices,
    shift_for_pause,
)
from core.database import make_engine
from core.health import check_read_model
from core.logging import configure_logging
from core.settings import GRACEFUL_SHUTDOWN_SECONDS, Settings
from core.shutdown import stop_on_signals
from core.temporal import connect, metrics_runtime
from core.tracing import tracing_interceptors
from workflows.intervention import InterventionWorkflow

__all__ = [
    "InterventionWorker",
    "build_worker", "main", "run_worker", "serve", "worker_from_settings"]

log = logging.getLogger(__name__)

_STUCK = timedelta(seconds=30)


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
    graceful_shutdown_timeout: timedelta = timedelta(seconds=GRACEFUL_SHUTDOWN_SECONDS),
    mail_from: str = "quality-team@example.nhs.uk",
    delivery_first_pause: timedelta = timedelta(seconds=30),
    delivery_lease: timedelta = timedelta(minutes=5),
    delivery_poll: timedelta = timedelta(seconds=2),
    outside_sweep: timedelta | None = timedelta(seconds=60),
) -> InterventionWorker:
    """A worker for interventions, with its outbox delivery loop; the caller owns the executor
    and shuts it down.

    `max_cached_workflows=0` turns off sticky execution: every task may go to any worker.
    The concurrency limits default to the SDK's; give the executor at least as many threads
    as `max_concurrent_activities`, or sync activities queue for a thread.
    On shutdown, activities still running get `graceful_shutdown_timeout` to finish before
    they are cancelled (and retried elsewhere): the SDK cancels a thread's activity by raising
    an exception in that thread wherever it happens to be, so a zero grace interrupts even a
    commit or a garbage-collector callback. The delivery loop counts its outcomes on the
    client's runtime, so they are served with the SDK's metrics. Every `outside_sweep` (None:
    never) the worker compares the read model's open interventions with Temporal and records
    what was done to them there, outside the service (`activities.outside`)."""
    runtime = client.service_client.config.runtime or Runtime.default()
    courier = Courier(
        engine, notifier, sender=mail_from, first_pause=delivery_first_pause,
        lease=delivery_lease, poll=delivery_poll, meter=runtime.metric_meter,
    )
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
    sweeper = None
    if outside_sweep is not None:
        sweeper = OutsideChanges(client, engine, meter=runtime.metric_meter)
    # Past its activities' grace, a shutdown that still has not finished is given up on.
    return InterventionWorker(worker, courier, give_up_after=graceful_shutdown_timeout + _STUCK,
                              sweeper=sweeper, sweep_every=outside_sweep)


class InterventionWorker:
    """The Temporal worker, the outbox's delivery loop and the sweep for changes made outside
    the service, started and stopped together."""

    def __init__(
        self,
        worker: Worker,
        courier: Courier,
        *,
        give_up_after: timedelta,
        sweeper: OutsideChanges | None = None,
        sweep_every: timedelta | None = None,
    ) -> None:
        self.worker = worker
        self.courier = courier
        self.sweeper = sweeper
        self._sweep_every = sweep_every
        self._give_up_after = give_up_after
        self._stop = asyncio.Event()
        self._delivery: asyncio.Task[None] | None = None
        self._sweep: asyncio.Task[None] | None = None

    def config(self) -> WorkerConfig:
        return self.worker.config()

    async def __aenter__(self) -> InterventionWorker:
        self._stop.clear()
        self._delivery = asyncio.create_task(self.courier.run(self._stop))
        await self.worker.__aenter__()
        if self.sweeper is not None and self._sweep_every is not None:
            self._sweep = asyncio.create_task(self.sweeper.run(self._stop, self._sweep_every))
        return self

    async def __aexit__(self, *exc: object) -> None:
        shutdown = asyncio.ensure_future(self.worker.__aexit__(*exc))  # type: ignore[arg-type]
        try:
            # Shielded: a shutdown given up on is left to finish, never cut off half-way.
            await asyncio.wait_for(asyncio.shield(shutdown), self._give_up_after.total_seconds())
        except TimeoutError:
            # Seen rarely in the test suite, with nothing left running in Python: the SDK's
            # shutdown waits on something that never comes. Stopping matters more.
            pending = sorted(t.get_name() for t in asyncio.all_tasks() if not t.done())
            log.error("the Temporal worker had not shut down after %s; giving up on it "
                      "(pending tasks: %s)", self._give_up_after, ", ".join(pending))
        finally:
            self._stop.set()
            if self._sweep is not None:
                # A sweep waits on Temporal; it is cut off, not waited for (the next one redoes it).
                self._sweep.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._sweep
            if self._delivery is not None:
                await self._delivery


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run a worker against the Temporal the settings name until `stop` is set or the task is
    cancelled. Either way it polls no more and running activities get
    QI_GRACEFUL_SHUTDOWN_SECONDS to finish.

    It never migrates the read model (`qi migrate` does) and starts without it: workflow tasks
    need no database, and an activity that does fails and is retried until it is there."""
    engine = make_engine(settings.resolved_database_url)
    try:
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
    QI_GRACEFUL_SHUTDOWN_SECONDS, QI_OUTSIDE_SWEEP_SECONDS), delivering through the notifier
    they name."""
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
        delivery_first_pause=timedelta(seconds=settings.delivery_first_pause_seconds),
        delivery_lease=timedelta(seconds=settings.delivery_lease_seconds),
        delivery_poll=timedelta(seconds=settings.delivery_poll_seconds),
        outside_sweep=timedelta(seconds=settings.outside_sweep_seconds),
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
            # Beside the wait, not before it: a database that does not answer delays nothing.
            reporting = asyncio.create_task(_report_read_model(engine))
            try:
                await stop.wait()
            finally:
                reporting.cancel()
    log.info("worker stopped")


async def _report_read_model(engine: Engine) -> None:
    """Say once, at start, whether the read model is ready; polling goes on either way."""
    check = await asyncio.to_thread(check_read_model, engine)
    if check.ok:
        log.info("read model ready")
    else:
        log.warning("read model not ready (%s): activities that record will be retried",
                    check.detail)


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()

    def graceful(signum: signal.Signals) -> None:
        log.info("%s: polling stops; running activities have %g s to finish",
                 signum.name, settings.graceful_shutdown_seconds)
        stop.set()

    stop_on_signals(graceful)
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
