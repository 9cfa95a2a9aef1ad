"""Effects follow the reply: wait until the read model and the outbox have caught up with an
intervention, instead of assuming they have by the time a command returns."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import col

from core.interventions import Interventions
from models.tables import Intervention, Notification, NotificationStatus

__all__ = ["settled"]

_UNDELIVERED = (NotificationStatus.QUEUED, NotificationStatus.SENDING, NotificationStatus.UNKNOWN)


def _caught_up(engine: Engine, intervention_id: str, version: int) -> bool:
    with engine.connect() as conn:
        projected = conn.execute(
            select(col(Intervention.version)).where(col(Intervention.id) == intervention_id)
        ).scalar_one_or_none()
        undelivered = conn.execute(
            select(func.count()).where(
                col(Notification.intervention_id) == intervention_id,
                col(Notification.status).in_([s.value for s in _UNDELIVERED]),
            )
        ).scalar_one()
    return projected is not None and projected >= version and undelivered == 0


async def settled(
    service: Interventions, engine: Engine, intervention_id: str, *, within: float = 30.0
) -> None:
    """Return once the read model holds every audit entry the workflow has now and no message
    of the intervention waits for delivery; fail after `within` seconds."""
    version = (await service.status(intervention_id)).data.last_seq
    for _ in range(int(within / 0.02)):
        if await asyncio.to_thread(_caught_up, engine, intervention_id, version):
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"{intervention_id} not projected to version {version} within {within} s")
