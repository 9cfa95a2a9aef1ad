"""What the benchmark runs on: one dev server on SQLite, one project worker, one bare worker."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.bare import BareWorkflow
from bench.holder import ACTIVITY_SLOTS, keys_in
from core.codec import sealing_converter
from core.database import make_engine, migrate
from core.interventions import Interventions
from core.keys import read_keys
from core.notifier import ConsoleNotifier
from models.catalogue import load_catalogue
from worker import build_worker
from workflows.monitoring import ALL_KEYS

__all__ = ["BARE_QUEUE", "PROJECT_QUEUE", "Stack", "json_stdout", "running_stack"]

PROJECT_QUEUE = "bench-project"
BARE_QUEUE = "bench-bare"
_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Stack:
    client: Client
    address: str
    workdir: Path
    engine: Engine  # the project worker's read model


    def service(self, task_queue: str = PROJECT_QUEUE) -> Interventions:
        return Interventions(self.client, task_queue=task_queue, catalogue=load_catalogue())


@contextlib.asynccontextmanager
async def running_stack(workdir: Path) -> AsyncIterator[Stack]:
    """The dev server with its SQLite file in `workdir`, and both workers polling."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(_BIN / "temporal"),
        dev_server_database_filename=str(workdir / "temporal.sqlite3"),
        data_converter=sealing_converter(read_keys(keys_in(workdir))),
        search_attributes=ALL_KEYS,
        dev_server_log_level="error",
    )
    engine = make_engine(f"sqlite:///{workdir / 'read-model.sqlite3'}")
    migrate(engine)
    address = env.client.service_client.config.target_host
    try:
        with ThreadPoolExecutor(ACTIVITY_SLOTS) as executor:
            project = build_worker(env.client, task_queue=PROJECT_QUEUE, engine=engine,
                                   notifier=ConsoleNotifier(), executor=executor,
                                   max_concurrent_activities=ACTIVITY_SLOTS)
            bare = Worker(env.client, task_queue=BARE_QUEUE, workflows=[BareWorkflow])
            async with project, bare:
                yield Stack(client=env.client, address=address, workdir=workdir, engine=engine)
    finally:
        engine.dispose()
        await asyncio.shield(env.shutdown())


def json_stdout() -> TextIO:
    """Stdout for the JSON alone: the dev server prints its banner to the stdout it inherits,
    so from here on file descriptor 1 is stderr."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return out
