"""A worker per test on its own task queue, against a fresh SQLite read model."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from core.interventions import Interventions
from models.catalogue import load_catalogue
from models.intervention import Contacts
from tests.databases import sqlite_read_model
from tests.environments import start_time_skipping
from tests.fakes import RecordingNotifier
from tests.settle import settled
from worker import build_worker


@dataclass
class Harness:
    env: WorkflowEnvironment
    client: Client
    service: Interventions
    engine: Engine
    notifier: RecordingNotifier
    task_queue: str

    async def settled(self, intervention_id: str) -> None:
        """Wait for the read model and the outbox to catch up with the intervention."""
        await settled(self.service, self.engine, intervention_id)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    yield from sqlite_read_model(tmp_path)


CONTACTS = Contacts(
    quality_lead_email="quality.lead@quality.example.nhs.uk",
    dean_email="postgraduate.dean@quality.example.nhs.uk",
)


async def _harness(
    env: WorkflowEnvironment, engine: Engine, contacts: Contacts | None = None
) -> AsyncIterator[Harness]:
    task_queue = f"test-{uuid.uuid4()}"
    notifier = RecordingNotifier()
    service = Interventions(
        env.client, task_queue=task_queue, catalogue=load_catalogue(), contacts=contacts,
        engine=engine,
    )
    with ThreadPoolExecutor(max_workers=4) as executor:
        worker = build_worker(
            env.client, task_queue=task_queue, engine=engine, notifier=notifier, executor=executor
        )
        async with worker:
            yield Harness(env, env.client, service, engine, notifier, task_queue)


@pytest.fixture
async def dev(dev_env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Harness]:
    async for harness in _harness(dev_env, engine):
        yield harness


@pytest.fixture
async def skipping(time_env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Harness]:
    async for harness in _harness(time_env, engine):
        yield harness


@pytest.fixture
async def clock_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own, so it can jump to a fixed calendar date."""
    env = await start_time_skipping()
    yield env
    await env.shutdown()


async def skip_to(env: WorkflowEnvironment, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment <= now:
        raise RuntimeError(f"the test clock is already past {moment}; move the test's dates on")
    await env.sleep(moment - now)


@pytest.fixture
async def clocked(clock_env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Harness]:
    async for harness in _harness(clock_env, engine, contacts=CONTACTS):
        yield harness
