"""The service as the API and page tests run it: the API's app over a fresh read model, a
client facade on its own task queue of a Temporal test environment, and a worker for it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.codec import SealingCodec
from core.database import make_engine, migrate
from core.interventions import Interventions
from core.metrics import CommandCounters
from core.settings import Settings
from models.catalogue import load_catalogue
from tests.fakes import RecordingNotifier
from worker import build_worker

__all__ = ["LiveService", "live_service"]


@dataclass
class LiveService:
    app: FastAPI
    service: Interventions
    engine: Engine


@asynccontextmanager
async def live_service(
    env: WorkflowEnvironment,
    folder: Path,
    *,
    queue: str,
    settings: Settings,
    add_users: Callable[[Engine], None],
) -> AsyncIterator[LiveService]:
    """The service, its read model in `folder` with the users `add_users` adds, its task queue
    named after `queue`; the worker stops and the database closes on leaving."""
    engine = make_engine(f"sqlite:///{folder / 'read-model.sqlite3'}")
    migrate(engine)
    task_queue = f"{queue}-{uuid.uuid4()}"
    catalogue = load_catalogue()
    counters = CommandCounters()
    service = Interventions(env.client, task_queue=task_queue, catalogue=catalogue,
                            refusals=counters, engine=engine)
    add_users(engine)
    codec = env.client.data_converter.payload_codec
    assert isinstance(codec, SealingCodec), "the test environment's client should seal"
    app = create_app(service=service, engine=engine, catalogue=catalogue, settings=settings,
                     counters=counters, codec=codec)
    try:
        with ThreadPoolExecutor(max_workers=4) as executor:
            worker = build_worker(env.client, task_queue=task_queue, engine=engine,
                                  notifier=RecordingNotifier(), executor=executor)
            async with worker:
                yield LiveService(app=app, service=service, engine=engine)
    finally:
        engine.dispose()
