"""Dependencies: what the app was built with, the authenticated caller, and the checks every
route shares. Routes take them through the `Annotated` aliases below."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import Engine

from api.auth import Caller, authenticate, bearer, permit, unseen
from api.context import get_context
from core.interventions import Interventions
from models.access import Operation
from models.catalogue import Catalogue
from models.commands import Event
from models.status import InterventionStatus
from models.tables import ApiUserPublic
from models.vocabulary import Reach

__all__ = [
    "CatalogueDep",
    "Credentials",
    "CurrentUser",
    "EngineDep",
    "Exporter",
    "IdempotencyKey",
    "ReadableStatus",
    "Reader",
    "ServiceDep",
    "Starter",
    "idempotent_id",
    "permitted",
    "permitted_on",
    "visible_status",
]


def get_service(request: Request) -> Interventions:
    return get_context(request).service


def get_engine(request: Request) -> Engine:
    return get_context(request).engine


def get_catalogue(request: Request) -> Catalogue:
    return get_context(request).catalogue


ServiceDep = Annotated[Interventions, Depends(get_service)]
EngineDep = Annotated[Engine, Depends(get_engine)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def current_user(request: Request, _credentials: Credentials) -> ApiUserPublic:
    """The authenticated user; an `AuthenticatedRoute` has checked the token already (the
    `Credentials` parameter puts the bearer scheme in the OpenAPI document)."""
    return await authenticate(request)


CurrentUser = Annotated[ApiUserPublic, Depends(current_user)]


def permitted(operation: Operation | Event) -> Callable[[Request, ApiUserPublic], Caller]:
    """A dependency: the caller, if their role may do `operation` (else 403)."""

    def check(request: Request, user: CurrentUser) -> Caller:
        return permit(request, user, operation)

    return check


Reader = Annotated[Caller, Depends(permitted(Operation.read))]
Exporter = Annotated[Caller, Depends(permitted(Operation.export))]
Starter = Annotated[Caller, Depends(permitted(Operation.start))]
Operator = Annotated[Caller, Depends(permitted(Operation.outbox))]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Retrying with the same key returns the first result and changes nothing",
    ),
]


def idempotent_id(caller: Caller, scope: str, key: str | None) -> str | None:
    """A key scoped to the user and the operation, so keys never collide across either."""
    if key is None:
        return None
    digest = hashlib.sha256(f"{caller.user.name}\n{scope}\n{key}".encode()).hexdigest()
    return f"api-{digest[:40]}"


async def visible_status(
    request: Request, caller: Caller, service: Interventions, intervention_id: str
) -> InterventionStatus:
    """The intervention's status from its workflow, if the caller may see it (else 404)."""
    status = await service.status(intervention_id)
    if not caller.sees(status.data.provider.code):
        raise unseen(request, caller, intervention_id)
    return status


async def readable_status(
    intervention_id: str, request: Request, caller: Reader, service: ServiceDep
) -> InterventionStatus:
    return await visible_status(request, caller, service, intervention_id)


ReadableStatus = Annotated[InterventionStatus, Depends(readable_status)]


def permitted_on(event: Event) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the caller, if their role may send `event` to this intervention; checked
    before the body is, so another provider's intervention is 404 whatever is sent."""

    async def check(
        intervention_id: str, request: Request, user: CurrentUser, service: ServiceDep
    ) -> Caller:
        caller = permit(request, user, event)
        if caller.reach is not Reach.all:
            await visible_status(request, caller, service, intervention_id)
        return caller

    return check
