"""Interventions live for months: the time-skipping server, continue-as-new and replay."""

from __future__ import annotations

from datetime import timedelta

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


async def test_continue_as_new_keeps_state_and_takes_commands(dev: Harness) -> None:
    start = dev.service.build_start(
        StartRequest.model_validate(scenario.start_request()), intervention_id_for(None)
    ).model_copy(update={"continue_as_new_after_events": 50})
    handle = await dev.client.start_workflow(
        InterventionWorkflow.run,
        start,
        id=start.intervention_id,
        task_queue=dev.task_queue,
        execution_timeout=timedelta(minutes=5),
    )
    first_run = handle.result_run_id
    for event, payload in scenario.URGENT_PATH:
        await dev.service.command(start.intervention_id, event, payload)
    latest = dev.client.get_workflow_handle_for(InterventionWorkflow.run, start.intervention_id)
    final = await latest.result()
    described = await latest.describe()
    assert described.run_id != first_run, "the run should have continued as new"
    assert final.data.state is State.closed
    assert [a.command for a in final.data.audit] == [
        "start",
        *[event.value for event, _ in scenario.URGENT_PATH],
    ]
    assert final.data.panel
    assert final.data.findings
    assert final.data.deadlines
    # The start's effects happen once: continuing as new does not start the intervention again.
    started = [m for m in dev.notifier.sent if m.subject.startswith("Quality intervention started")]
    assert len(started) == 1
