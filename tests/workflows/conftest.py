"""A worker per test on its own task queue, against a fresh SQLite read model."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from core.database import make_engine, migrate
from core.interventions import Interventions
from models.catalogue import load_catalogue
from tests.fakes import RecordingNotifier
from worker import build_worker


@dataclass
class Harness:
    client: Client
    service: Interventions
    engine: Engine
    notifier: RecordingNotifier
    task_queue: str


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'read-model.sqlite3'}")
    migrate(engine)
    yield engine
    engine.dispose()


async def _harness(env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Harness]:
    task_queue = f"test-{uuid.uuid4()}"
    notifier = RecordingNotifier()
    service = Interventions(env.client, task_queue=task_queue, catalogue=load_catalogue())
    with ThreadPoolExecutor(max_workers=4) as executor:
        worker = build_worker(
            env.client, task_queue=task_queue, engine=engine, notifier=notifier, executor=executor
        )
        async with worker:
            yield Harness(env.client, service, engine, notifier, task_queue)


@pytest.fixture
async def dev(dev_env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Harness]:
    async for harness in _harness(dev_env, engine):
        yield harness


@pytest.fixture
async def skipping(time_env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Harness]:
    async for harness in _harness(time_env, engine):
        yield harness
