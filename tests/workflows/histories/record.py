"""Record the committed replay histories: `python -m tests.workflows.histories.record`.

A history recorded by a released version is never overwritten: a change to the command
sequence then goes behind `workflow.patched()`, and its new history is added beside the old.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from core.database import make_engine, migrate
from core.interventions import Interventions
from models.catalogue import load_catalogue
from tests import scenario
from tests.fakes import RecordingNotifier
from worker import build_worker
from workflows.monitoring import ALL_KEYS

HERE = Path(__file__).parent


async def record(name: str) -> Path:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=ALL_KEYS,
    )
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor() as executor:
        engine = make_engine(f"sqlite:///{tmp}/rm.sqlite3")
        migrate(engine)
        service = Interventions(env.client, task_queue="record", catalogue=load_catalogue())
        worker = build_worker(
            env.client,
            task_queue="record",
            engine=engine,
            notifier=RecordingNotifier(),
            executor=executor,
        )
        async with worker:
            status = await service.start(scenario.start_request())
            intervention_id = status.data.intervention_id
            for event, payload in scenario.URGENT_PATH:
                await service.command(intervention_id, event, payload)
            handle = env.client.get_workflow_handle(intervention_id)
            await handle.result()
            history = await handle.fetch_history()
    await env.shutdown()
    path = HERE / f"{name}.json"
    path.write_text(history.to_json(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(asyncio.run(record(sys.argv[1] if len(sys.argv) > 1 else "urgent_review_v1")))
    sys.stdout.flush()
    os._exit(0)
