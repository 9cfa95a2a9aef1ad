"""The embedded stack as `qi up` runs it (core/up.py), in-process: the Temporal dev server on
the data folder's SQLite file, and the worker of the code checked out on the read model beside
it. The HTTP API is left out: nothing here needs it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine
from temporalio.client import Client

from core.database import make_engine, migrate
from core.interventions import Interventions
from core.settings import Settings
from core.stack import EmbeddedTemporal
from core.temporal import connect
from models.catalogue import load_catalogue
from tests.processes import free_port
from worker import run_worker

__all__ = ["Stack", "embedded_stack", "settings_for"]

T = TypeVar("T")


def settings_for(data_dir: Path, task_queue: str) -> Settings:
    """`qi up`'s settings for this data folder, on free ports, whatever the environment says."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        database_url=None,
        temporal_address=None,
        temporal_namespace="default",
        task_queue=task_queue,
        temporal_port=free_port(),
        ui_port=free_port(),
    )


@dataclass
class Stack:
    settings: Settings
    client: Client
    service: Interventions
    engine: Engine  # the read model, for reading only
    worker: asyncio.Task[None]

    async def run(self, work: Awaitable[T]) -> T:
        """`work`, failing at once (with the worker's error) if the worker stops under it."""
        task = asyncio.ensure_future(work)
        await asyncio.wait({task, self.worker}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            task.cancel()
            self.worker.result()  # raises the worker's failure
            raise RuntimeError("the worker stopped while commands were still being sent")
        return task.result()


@asynccontextmanager
async def embedded_stack(data_dir: Path, task_queue: str) -> AsyncIterator[Stack]:
    settings = settings_for(data_dir, task_queue)
    # `make run` runs `qi migrate` before `qi up`: the read model is brought to this release's
    # schema before anything uses it.
    migrate(settings.resolved_database_url)
    server = EmbeddedTemporal(
        db_file=data_dir / "temporal.sqlite3",
        port=settings.temporal_port,
        ui_port=settings.ui_port,
    )
    try:
        await server.start()
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(settings, stop=stop))
        engine = make_engine(settings.resolved_database_url)
        try:
            client = await connect(settings)
            service = Interventions(client, task_queue=task_queue, catalogue=load_catalogue())
            yield Stack(settings, client, service, engine, worker)
        finally:
            stop.set()
            await worker
            engine.dispose()
    finally:
        await server.stop()
