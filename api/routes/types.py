"""The intervention-type catalogue, and a type's planned schedule from a start date."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import AuthenticatedRoute
from api.deps import CatalogueDep, Reader
from models.catalogue import Catalogue, InterventionType
from models.errors import ApiError, ErrorType, ProblemError
from models.preview import PlannedItem, preview_type

__all__ = ["router"]

router = APIRouter(prefix="/types", tags=["types"], route_class=AuthenticatedRoute)

# Far enough either way for any real plan; the bank-holiday calendar is computed per year.
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def _type(catalogue: Catalogue, code: str) -> InterventionType:
    try:
        return catalogue.get(code)
    except ProblemError as error:
        raise ApiError(error.problems, ErrorType.UNKNOWN_REFERENCE) from None


@router.get("")
def list_types(catalogue: CatalogueDep, _caller: Reader) -> list[InterventionType]:
    """The active intervention types."""
    return catalogue.active()


@router.get("/{code}")
def get_type(code: str, catalogue: CatalogueDep, _caller: Reader) -> InterventionType:
    """One type, by code, name or alias."""
    return _type(catalogue, code)


@router.get("/{code}/schedule")
def type_schedule(
    code: str,
    start: Annotated[date, Query(ge=EARLIEST, le=LATEST, description="YYYY-MM-DD")],
    catalogue: CatalogueDep,
    _caller: Reader,
) -> list[PlannedItem]:
    """The deadlines, reminders and escalations of this type started on `start`, each step
    done on its deadline."""
    return preview_type(_type(catalogue, code), start)
