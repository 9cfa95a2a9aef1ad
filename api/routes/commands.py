"""One endpoint per lifecycle command, generated from the command registry
(`models.registry.COMMANDS`): POST /interventions/{id}/{command}, e.g. /convene-panel.
The body is the command without who sends it (`models.bodies`): the actor is the
authenticated user, and a closure approval's role follows from their account.

No `from __future__ import annotations` here: FastAPI reads the generated endpoints'
annotations at runtime, and the body model is a local of the factory.
"""

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel

from api.auth import AuthenticatedRoute, Caller
from api.deps import IdempotencyKey, ServiceDep, idempotent_id, permitted_on
from api.identity import command_identity
from models.bodies import COMMAND_BODIES, has_required_fields
from models.commands import Event
from models.registry import COMMANDS
from models.status import CommandResult

__all__ = ["router", "slug"]

router = APIRouter(prefix="/interventions", tags=["commands"],
                   route_class=AuthenticatedRoute)


def slug(event: Event) -> str:
    return event.value.replace("_", "-")


def _with_body(send: Callable[..., Any], body_model: type[BaseModel]) -> inspect.Signature:
    """`send`'s signature with the command's body model; a body with required fields has no
    default, so FastAPI refuses a request without one instead of passing None."""
    signature = inspect.signature(send)
    if has_required_fields(body_model):
        body = signature.parameters["body"].replace(
            annotation=Annotated[body_model, Body()], default=inspect.Parameter.empty
        )
    else:
        body = signature.parameters["body"].replace(
            annotation=Annotated[body_model | None, Body()]
        )
    return signature.replace(
        parameters=[body if p.name == "body" else p for p in signature.parameters.values()]
    )


def _endpoint(event: Event) -> Callable[..., Awaitable[CommandResult]]:
    async def send(
        intervention_id: str,
        request: Request,
        caller: Annotated[Caller, Depends(permitted_on(event))],
        service: ServiceDep,
        body: BaseModel | None = None,  # the command's own model, see _with_body
        idempotency_key: IdempotencyKey = None,
    ) -> CommandResult:
        payload = body.model_dump(exclude_unset=True) if body is not None else {}
        identity = await command_identity(caller, event, intervention_id, service)
        return await service.command(
            intervention_id,
            event,
            {**payload, **identity},
            update_id=idempotent_id(caller, event.value, idempotency_key),
        )

    send.__signature__ = _with_body(send, COMMAND_BODIES[event])  # type: ignore[attr-defined]
    send.__name__ = event.value
    send.__doc__ = COMMANDS[event].summary + (
        "\n\nWith an `Idempotency-Key`, a retry returns the first result and changes nothing."
    )
    return send


for _event in COMMANDS:
    router.add_api_route(
        f"/{{intervention_id}}/{slug(_event)}",
        _endpoint(_event),
        methods=["POST"],
        name=_event.value,
        operation_id=_event.value,
    )
