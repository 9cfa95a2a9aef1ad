"""CSV exports of interventions and of their actions, from the read model, with the same
filters as the list. Provider leads get their own provider's rows only."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import Engine

from api.auth import AuthenticatedRoute
from api.deps import EngineDep, Exporter
from api.routes.interventions import Filters, scoped_filters
from core.read_model import MAX_PAGE, ActionListed, list_actions, list_interventions
from models.tables import InterventionPublic

__all__ = ["router"]

router = APIRouter(prefix="/exports", tags=["exports"], route_class=AuthenticatedRoute)

# A spreadsheet runs a cell starting with one of these as a formula; a quote makes it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CSV = {"description": "CSV, one row per record, with a header row",
        "content": {"text/csv": {"schema": {"type": "string"}}}}


def _cell(value: Any) -> str:
    text = "" if value is None else str(value.value if hasattr(value, "value") else value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _rows(
    model: type[BaseModel],
    page: Callable[..., list[Any]],
    engine: Engine,
    where: dict[str, Any] | None,
) -> Iterator[str]:
    columns = list(model.model_fields)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    offset = 0
    while where is not None:
        rows = page(engine, **where, limit=MAX_PAGE, offset=offset)
        for row in rows:
            writer.writerow([_cell(getattr(row, name)) for name in columns])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
        if len(rows) < MAX_PAGE:
            return
        offset += MAX_PAGE
    yield out.getvalue()


def _csv(lines: Iterator[str], name: str) -> StreamingResponse:
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/interventions.csv", response_class=StreamingResponse, responses={200: _CSV})
def export_interventions(
    filters: Filters, engine: EngineDep, caller: Exporter
) -> StreamingResponse:
    """Every intervention the filters match, newest first."""
    where = scoped_filters(filters, caller.provider_scope)
    return _csv(_rows(InterventionPublic, list_interventions, engine, where), "interventions.csv")


@router.get("/actions.csv", response_class=StreamingResponse, responses={200: _CSV})
def export_actions(filters: Filters, engine: EngineDep, caller: Exporter) -> StreamingResponse:
    """Every action of the interventions the filters match."""
    where = scoped_filters(filters, caller.provider_scope)
    return _csv(_rows(ActionListed, list_actions, engine, where), "actions.csv")
