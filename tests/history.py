"""Reading a workflow's history in tests."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

__all__ = ["completed_activities", "idle"]


async def completed_activities(client: Client, workflow_id: str) -> list[str]:
    """The types of the activities that completed, in the order they did."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    scheduled = {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    return [
        scheduled[e.activity_task_completed_event_attributes.scheduled_event_id]
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    ]


async def idle(client: Client, workflow_id: str, *, within: float = 30.0) -> None:
    """Return once the workflow waits with nothing in flight (no workflow task, no activity),
    so its history stays as it is until something arrives; fail after `within` seconds."""
    handle = client.get_workflow_handle(workflow_id)
    for _ in range(int(within / 0.02)):
        described = (await handle.describe()).raw_description
        if not described.HasField("pending_workflow_task") and not described.pending_activities:
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"{workflow_id} still busy after {within} s")
