"""A worker started while the read model's database is down starts anyway: it serves workflow
tasks, commands are answered, and recording fails and is retried by Temporal until the
database is back. It never exits for want of a database."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from core.interventions import Interventions, intervention_id_for
from core.settings import Settings
from models.catalogue import load_catalogue
from models.commands import Event, StartRequest
from models.intervention import State
from tests import scenario
from tests.environments import key_file
from tests.history import completed_activities
from tests.processes import free_port
from worker import run_worker
from workflows.intervention import InterventionWorkflow

STEP_TIMEOUT = 30.0


async def _retried_activity(client: Client, workflow_id: str) -> PendingActivityInfo:
    """The first pending activity Temporal has already retried after a failure."""
    handle = client.get_workflow_handle(workflow_id)
    while True:
        description = await handle.describe()
        for pending in description.raw_description.pending_activities:
            if pending.attempt >= 2 and pending.HasField("last_failure"):
                return pending
        await asyncio.sleep(0.2)


async def test_a_worker_started_without_its_database_serves_workflows_and_retries_recording(
    dev_env: WorkflowEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        _env_file=None,
        temporal_address=dev_env.client.service_client.config.target_host,
        keys_file=key_file(),
        task_queue=f"no-database-{uuid.uuid4()}",
        # Nothing listens there: every connection is refused.
        database_url=f"postgresql+psycopg://qi@127.0.0.1:{free_port()}/qi",
    )
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, stop=stop))
    service = Interventions(dev_env.client, task_queue=settings.task_queue,
                            catalogue=load_catalogue())
    intervention_id = intervention_id_for(str(uuid.uuid4()))
    start = service.build_start(StartRequest.model_validate(scenario.start_request()),
                                intervention_id)
    # Started without waiting for the start to be recorded, which it cannot be yet.
    await dev_env.client.start_workflow(InterventionWorkflow.run, start, id=intervention_id,
                                        task_queue=settings.task_queue)
    try:
        retried = await asyncio.wait_for(
            _retried_activity(dev_env.client, intervention_id), STEP_TIMEOUT
        )
        # Commands need no database: they are answered while recording waits for it.
        convened = await asyncio.wait_for(
            service.command(intervention_id, Event.convene_panel, scenario.urgent_panel()),
            STEP_TIMEOUT,
        )
        status = await service.status(intervention_id)  # a query: served by a workflow task
        completed = await completed_activities(dev_env.client, intervention_id)
        still_running = not worker.done()
    finally:
        stop.set()
        await asyncio.wait_for(worker, STEP_TIMEOUT)  # stops cleanly: raises if it failed
        await dev_env.client.get_workflow_handle(intervention_id).terminate("test over")

    assert still_running
    assert convened.state is State.panel_convened
    assert status.data.state is State.panel_convened
    assert completed == []  # nothing could be recorded
    assert retried.activity_type.name == "project_changes"  # it needs the database
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(m.startswith("read model not ready (unreachable") for m in warnings), warnings
