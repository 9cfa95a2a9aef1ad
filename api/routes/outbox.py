"""The outbox for coordinators: what mail has not been delivered, and resending a message."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import AuthenticatedRoute
from api.deps import EngineDep, Operator, ServiceDep
from core.outbox import resend, undelivered
from models.outbox import UNDELIVERED, OutboxEntry
from models.tables import NotificationStatus

__all__ = ["router"]

router = APIRouter(prefix="/outbox", tags=["outbox"], route_class=AuthenticatedRoute)


@router.get("", response_model=list[OutboxEntry])
async def list_outbox(
    caller: Operator,
    engine: EngineDep,
    status: Annotated[list[NotificationStatus] | None, Query()] = None,
) -> list[OutboxEntry]:
    """Messages queued, being sent, unknown or dead (`status` narrows it), oldest first: key,
    intervention, recipients, subject, status, attempts, last error and age; never bodies."""
    chosen = tuple(s for s in UNDELIVERED if status is None or s in status)
    return await asyncio.to_thread(undelivered, engine, statuses=chosen)


@router.post("/{key:path}/resend", response_model=OutboxEntry)
async def resend_message(
    key: str, caller: Operator, engine: EngineDep, service: ServiceDep
) -> OutboxEntry:
    """Queue a dead or unknown message again (attempts kept); the intervention's audit trail
    records the resend and who asked for it."""
    return await resend(service, engine, key, caller.user.name)
