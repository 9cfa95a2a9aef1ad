"""QI_WORKER_METRICS_ADDRESS: the worker serves the Temporal SDK's metrics for Prometheus."""

from __future__ import annotations

import asyncio
import urllib.request
import uuid
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment

from core.database import make_engine, migrate
from core.interventions import Interventions
from core.settings import Settings
from models.catalogue import load_catalogue
from tests import scenario
from tests.environments import key_file
from tests.processes import free_port
from tests.settle import settled
from worker import run_worker

STEP_TIMEOUT = 30.0


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
        return body.decode()


async def test_the_worker_serves_sdk_metrics_once_a_workflow_ran(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    port = free_port()
    settings = Settings(
        _env_file=None,
        temporal_address=dev_env.client.service_client.config.target_host,
        keys_file=key_file(),
        task_queue=f"metrics-{uuid.uuid4()}",
        database_url=f"sqlite:///{tmp_path / 'read-model.sqlite3'}",
        worker_metrics_address=f"127.0.0.1:{port}",
    )
    migrate(settings.resolved_database_url)  # `qi migrate`: the worker never migrates
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, stop=stop))
    service = Interventions(dev_env.client, task_queue=settings.task_queue,
                            catalogue=load_catalogue())
    try:
        status = await asyncio.wait_for(service.start(scenario.start_request()), STEP_TIMEOUT)
        # The start's effects follow its reply: once recorded, an activity has run.
        engine = make_engine(settings.resolved_database_url)
        try:
            await settled(service, engine, status.data.intervention_id)
        finally:
            engine.dispose()
        text = await asyncio.to_thread(_scrape, f"http://127.0.0.1:{port}/metrics")
    finally:
        stop.set()
        await asyncio.wait_for(worker, STEP_TIMEOUT)

    samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
    ours = {s.name for s in samples if s.labels.get("task_queue") == settings.task_queue}
    assert "temporal_activity_execution_latency_count" in ours
    assert "temporal_workflow_task_execution_latency_count" in ours
    # The delivery loop counts on the same meter: the start's message was delivered.
    deliveries = [s for s in samples if s.name.startswith("qi_deliveries")]
    assert [(s.name, s.labels.get("outcome"), s.value) for s in deliveries] == [
        ("qi_deliveries_total", "sent", 1)]
    assert all(s.name.startswith(("temporal_", "qi_deliveries")) for s in samples)
