"""Request bodies derived from the boundary contracts, minus what the API fills in itself
(the `actor` of a command, the `coordinator` of a start: the authenticated user).

The contract stays the one definition: a body is checked again as the full contract, with the
user's name filled in, so the contract's own validators still run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, create_model

from models.commands import Event, StartRequest
from models.registry import COMMANDS

__all__ = ["COMMAND_BODIES", "StartBody", "body_model", "has_required_fields"]


def body_model(model: type[BaseModel], without: str) -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (field.annotation, field)
        for name, field in model.model_fields.items()
        if name != without
    }
    return create_model(
        f"{model.__name__}Body",
        __config__=ConfigDict(extra="forbid"),
        __doc__=model.__doc__,
        **fields,
    )


def has_required_fields(model: type[BaseModel]) -> bool:
    return any(field.is_required() for field in model.model_fields.values())


if TYPE_CHECKING:
    StartBody = BaseModel
else:
    StartBody = body_model(StartRequest, without="coordinator")
COMMAND_BODIES: dict[Event, type[BaseModel]] = {
    event: body_model(spec.contract, without="actor") for event, spec in COMMANDS.items()
}
