"""Interventions live for months: the time-skipping server, continue-as-new and replay."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle

from core.interventions import intervention_id_for
from models.commands import StartRequest
from models.intervention import State
from tests import scenario
from tests.workflows.conftest import Harness
from workflows.intervention import InterventionWorkflow


async def test_urgent_review_closes_on_the_time_skipping_server(skipping: Harness) -> None:
    status = await skipping.service.start(scenario.start_request())
    intervention_id = status.data.intervention_id
    for event, payload in scenario.URGENT_PATH:
        await skipping.service.command(intervention_id, event, payload)
    handle = skipping.client.get_workflow_handle_for(InterventionWorkflow.run, intervention_id)
    final = await handle.result()
    assert final.data.state is State.closed
    assert len(final.data.audit) == len(scenario.URGENT_PATH) + 1


async def _wait_for_new_run(handle: WorkflowHandle[Any, Any], first_run: str | None) -> None:
    for _ in range(600):  # up to 30 s
        if (await handle.describe()).run_id != first_run:
            return
        await asyncio.sleep(0.05)
    pytest.fail("the run did not continue as new")


async def test_continue_as_new_keeps_state_and_takes_commands(dev: Harness) -> None:
    start = dev.service.build_start(
        StartRequest.model_validate(scenario.start_request()), intervention_id_for(None)
    ).model_copy(update={"continue_as_new_after_events": 20})
    handle = await dev.client.start_workflow(
        InterventionWorkflow.run,
        start,
        id=start.intervention_id,
        task_queue=dev.task_queue,
        execution_timeout=timedelta(minutes=5),
    )
    first_run = handle.result_run_id
    latest = dev.client.get_workflow_handle_for(InterventionWorkflow.run, start.intervention_id)
    half = len(scenario.URGENT_PATH) // 2
    for event, payload in scenario.URGENT_PATH[:half]:
        await dev.service.command(start.intervention_id, event, payload)
    # Past the limit, the run hands over what it has and continues as new between commands.
    await _wait_for_new_run(latest, first_run)
    for event, payload in scenario.URGENT_PATH[half:]:
        await dev.service.command(start.intervention_id, event, payload)
    final = await latest.result()
    assert final.data.state is State.closed
    assert [a.command for a in final.data.audit] == [
        "start",
        *[event.value for event, _ in scenario.URGENT_PATH],
    ]
    assert final.data.panel
    assert final.data.findings
    assert final.data.deadlines
    # The start's effects happen once: continuing as new does not start the intervention again.
    await dev.settled(start.intervention_id)
    started = [m for m in dev.notifier.sent if m.subject.startswith("Quality intervention started")]
    assert len(started) == 1
