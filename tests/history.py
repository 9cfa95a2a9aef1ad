"""Reading a workflow's history in tests."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

__all__ = ["completed_activities"]


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
