"""Dependencies: what the app was built with, the authenticated caller, and the checks every
route shares. Routes take them through the `Annotated` aliases below."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from api.auth import Caller, bearer, not_authenticated, permit, unseen
from core.codec import SealingCodec
from core.interventions import Interventions
from core.metrics import CommandCounters
from core.settings import Settings
from core.users import Refusal, check_token
from models.access import Operation
from models.catalogue import Catalogue
from models.commands import Event
from models.status import InterventionStatus
from models.tables import ApiUserPublic
from models.vocabulary import Reach

__all__ = [
    "ApiContext",
    "CatalogueDep",
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


@dataclass(frozen=True)
class ApiContext:
    """Everything `create_app` was given; routes reach it through the dependencies."""

    service: Interventions
    engine: Engine
    catalogue: Catalogue
    settings: Settings
    counters: CommandCounters
    request_metrics: CollectorRegistry
    codec: SealingCodec | None = None  # the codec server's; None: it answers 503


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


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


def current_user(request: Request, credentials: Credentials, engine: EngineDep) -> ApiUserPublic:
    """The user whose token the request carries: known, unrevoked, unexpired, user enabled."""
    if credentials is None:
        raise not_authenticated(request, "no bearer token")
    checked = check_token(engine, credentials.credentials, now=datetime.now(UTC))
    if checked.user is None or checked.refusal is not None:
        reason = checked.refusal or Refusal.UNKNOWN
        prefix = f" {checked.prefix}" if checked.prefix else ""
        raise not_authenticated(request, f"{reason.value}{prefix}", checked.user)
    return checked.user


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
