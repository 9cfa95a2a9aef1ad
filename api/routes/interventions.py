"""Interventions: start one, list them from the read model, read one's status (from its
workflow), audit trail and planned schedule."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.auth import AuthenticatedRoute
from api.deps import (
    EngineDep,
    IdempotencyKey,
    ReadableStatus,
    Reader,
    ServiceDep,
    Starter,
    idempotent_id,
)
from api.identity import coordinator_email
from core.read_model import MAX_PAGE, audit_trail, count_interventions, list_interventions
from models.bodies import StartBody
from models.intervention import StateFilter
from models.preview import PlannedItem, preview_intervention
from models.status import InterventionStatus
from models.tables import AuditEntryPublic, InterventionPublic

__all__ = ["InterventionPage", "ListFilters", "router"]

router = APIRouter(prefix="/interventions", tags=["interventions"],
                   route_class=AuthenticatedRoute)

# Far past any real list, and inside every database's integer range.
MAX_OFFSET = 1_000_000_000


class InterventionPage(BaseModel):
    items: list[InterventionPublic]
    total: int  # how many match the filters, over all pages
    limit: int
    offset: int


class ListFilters(BaseModel):
    """Filters shared by the list and the exports; they combine with AND."""

    state: StateFilter | None = Field(
        None, description="A lifecycle state, or ended_outside: ended in Temporal, outside the "
        "service")
    type: str | None = Field(None, max_length=200, description="Type code")
    provider: str | None = Field(None, max_length=200, description="Provider code")


Filters = Annotated[ListFilters, Query()]


def scoped_filters(filters: ListFilters, provider_scope: str | None) -> dict[str, Any] | None:
    """The read-model filters for a caller; None when their scope and the filters exclude all."""
    provider = filters.provider
    if provider_scope is not None:
        if provider not in (None, provider_scope):
            return None
        provider = provider_scope
    return {"state": filters.state, "type_code": filters.type, "provider_code": provider}


@router.post("", status_code=201)
async def start_intervention(
    body: StartBody,
    caller: Starter,
    service: ServiceDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> InterventionStatus:
    """Start an intervention, coordinated by the caller (their account's e-mail is the
    coordinator's). With an `Idempotency-Key`, a retry returns the same intervention, started
    once."""
    request = {**body.model_dump(exclude_unset=True), "coordinator": caller.user.name,
               "coordinator_email": coordinator_email(
                   caller, getattr(body, "coordinator_email", None))}
    status = await service.start(
        request, request_id=idempotent_id(caller, "start", idempotency_key)
    )
    response.headers["Location"] = f"{router.prefix}/{status.data.intervention_id}"
    return status


@router.get("")
def list_(
    filters: Filters,
    engine: EngineDep,
    caller: Reader,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> InterventionPage:
    """One page of interventions from the read model, newest first. Provider leads see their
    own provider's only."""
    where = scoped_filters(filters, caller.provider_scope)
    if where is None:
        return InterventionPage(items=[], total=0, limit=limit, offset=offset)
    items = list_interventions(engine, **where, limit=limit, offset=offset)
    total = count_interventions(engine, **where)
    return InterventionPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{intervention_id}")
async def get_status(intervention_id: str, status: ReadableStatus) -> InterventionStatus:
    """The intervention as its workflow holds it now, with the allowed next commands."""
    return status


@router.get("/{intervention_id}/audit")
async def get_audit(
    intervention_id: str, status: ReadableStatus, engine: EngineDep
) -> list[AuditEntryPublic]:
    """Who did what, when and why: the read model's append-only audit trail, oldest first."""
    return await run_in_threadpool(audit_trail, engine, status.data.intervention_id)


@router.get("/{intervention_id}/schedule")
async def get_schedule(intervention_id: str, status: ReadableStatus) -> list[PlannedItem]:
    """The open deadlines, and the reminders and escalations the workflow will send."""
    return preview_intervention(status.data, status.upcoming)
