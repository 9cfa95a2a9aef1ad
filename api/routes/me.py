"""Who the caller is, and signing out: what `qi login` checks a token with and `qi logout`
revokes it with."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import AuthenticatedRoute
from api.deps import Credentials, CurrentUser, EngineDep
from core.users import revoke_presented
from models.tables import ApiUserPublic

__all__ = ["router"]

router = APIRouter(prefix="/me", tags=["account"], route_class=AuthenticatedRoute)


@router.get("")
def who_am_i(user: CurrentUser) -> ApiUserPublic:
    """The user the token belongs to: name, role, provider and e-mail."""
    return user


@router.delete("/token", status_code=204)
async def sign_out(user: CurrentUser, credentials: Credentials, engine: EngineDep) -> Response:
    """Revoke the token this request presents; it answers 401 from now on."""
    assert credentials is not None  # CurrentUser has checked it
    await run_in_threadpool(revoke_presented, engine, credentials.credentials)
    return Response(status_code=204)
