"""CSV exports of interventions and of their actions, from the read model, with the same
filters as the list. Provider leads get their own provider's rows only."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.auth import AuthenticatedRoute
from api.deps import EngineDep, Exporter
from api.downloads import CSV_RESPONSE, csv_download
from api.routes.interventions import Filters, scoped_filters
from core.read_model import ActionListed, list_actions, list_interventions
from models.tables import InterventionPublic

__all__ = ["router"]

router = APIRouter(prefix="/exports", tags=["exports"], route_class=AuthenticatedRoute)


@router.get("/interventions.csv", response_class=StreamingResponse,
            responses={200: CSV_RESPONSE})
def export_interventions(
    filters: Filters, engine: EngineDep, caller: Exporter
) -> StreamingResponse:
    """Every intervention the filters match, newest first."""
    where = scoped_filters(filters, caller.provider_scope)
    return csv_download("interventions.csv", InterventionPublic, list_interventions, engine, where)


@router.get("/actions.csv", response_class=StreamingResponse, responses={200: CSV_RESPONSE})
def export_actions(filters: Filters, engine: EngineDep, caller: Exporter) -> StreamingResponse:
    """Every action of the interventions the filters match."""
    where = scoped_filters(filters, caller.provider_scope)
    return csv_download("actions.csv", ActionListed, list_actions, engine, where)
