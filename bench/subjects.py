"""The two things measured, behind one interface: the project through its facade, and the
bare workflow through the Temporal client.

The project side uses only `Interventions.start` / `command` and the urgent-review drivers
in `tests.scenario`, so it keeps measuring the same thing while the workflow changes inside.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Protocol

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from bench.bare import BareWorkflow
from bench.bare_payloads import BareChange, BareStart
from core.interventions import Interventions
from models.commands import Event
from tests import scenario

__all__ = ["BareSubject", "ProjectSubject", "Subject", "lifecycle_commands"]

# A finished lifecycle must complete within this; longer means something is stuck.
_FINISH_TIMEOUT = timedelta(minutes=5)


def lifecycle_commands() -> int:
    """Commands of one urgent review after its start, planned to closed."""
    return len(scenario.URGENT_PATH)


class Subject(Protocol):
    name: str

    async def start(self) -> str:
        """Start one instance; return its workflow ID once the start has been answered."""
        ...

    async def ready(self) -> str:
        """An instance that takes `command` again and again."""
        ...

    async def command(self, workflow_id: str) -> None:
        """One repeatable command, answered."""
        ...

    async def lifecycle(self) -> str:
        """Start to finished workflow; return its workflow ID."""
        ...


class ProjectSubject:
    """An urgent review through the facade; the repeated command books a meeting."""

    name = "project"

    def __init__(self, service: Interventions) -> None:
        self._service = service

    async def start(self) -> str:
        status = await self._service.start(scenario.start_request())
        return status.data.intervention_id

    async def ready(self) -> str:
        intervention_id = await self.start()
        await self._service.command(intervention_id, Event.convene_panel, scenario.urgent_panel())
        return intervention_id

    async def command(self, workflow_id: str) -> None:
        payload = {
            "actor": scenario.COORDINATOR,
            "scheduled_on": (scenario.today() + timedelta(days=14)).isoformat(),
            "format": "virtual",
        }
        await self._service.command(workflow_id, Event.schedule_meeting, payload)

    async def lifecycle(self) -> str:
        intervention_id = await self.start()
        for event, payload in scenario.URGENT_PATH:
            await self._service.command(intervention_id, event, payload)
        await _finished(self._service.client, intervention_id)
        return intervention_id


class BareSubject:
    """The bare workflow: update-with-start, then one update per command."""

    name = "bare"

    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    async def start(self) -> str:
        workflow_id = f"bare-{uuid.uuid4()}"
        operation = WithStartWorkflowOperation(
            BareWorkflow.run,
            BareStart(label="bench"),
            id=workflow_id,
            task_queue=self._task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        await self._client.execute_update_with_start_workflow(
            BareWorkflow.change, BareChange(note="start"), start_workflow_operation=operation
        )
        return workflow_id

    async def ready(self) -> str:
        return await self.start()

    async def command(self, workflow_id: str, *, close: bool = False) -> None:
        handle = self._client.get_workflow_handle_for(BareWorkflow.run, workflow_id)
        await handle.execute_update(BareWorkflow.change, BareChange(note="step", close=close))

    async def lifecycle(self) -> str:
        """As many updates as an urgent review has commands, the last one closing it."""
        workflow_id = await self.start()
        steps = lifecycle_commands()
        for step in range(steps):
            await self.command(workflow_id, close=step == steps - 1)
        await _finished(self._client, workflow_id)
        return workflow_id


async def _finished(client: Client, workflow_id: str) -> None:
    handle = client.get_workflow_handle(workflow_id)
    await asyncio.wait_for(handle.result(), _FINISH_TIMEOUT.total_seconds())
