"""What a client sends: each boundary contract minus what the service fills in from the
caller's identity (the `actor` of a command and their `actor_email`, the `coordinator` of a
start, the approver's `role` of a closure approval). The API takes these as request bodies
and `qi` builds its options from them, so neither can ask a person to type who they are.

The contract stays the one definition: a body is checked again as the full contract, with the
identity filled in, so the contract's own validators still run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, create_model
from pydantic.fields import FieldInfo

from models.commands import Event, StartRequest
from models.registry import COMMANDS

__all__ = ["COMMAND_BODIES", "IDENTITY_FIELDS", "StartBody", "body_model", "has_required_fields"]

# Filled in by the service from the authenticated user, never sent.
IDENTITY_FIELDS = frozenset({"actor", "actor_email", "coordinator"})
# Per command, besides the identity: the approver's role follows from the user's account.
_DERIVED: dict[Event, frozenset[str]] = {Event.approve_closure: frozenset({"role"})}


def body_model(
    model: type[BaseModel], without: frozenset[str], optional: frozenset[str] = frozenset()
) -> type[BaseModel]:
    """`model`'s fields but those `without`; those in `optional` default to None."""
    fields: dict[str, Any] = {
        name: (field.annotation, field)
        for name, field in model.model_fields.items()
        if name not in without
    }
    for name in optional:
        annotation, field = fields[name]
        info = FieldInfo.merge_field_infos(field, default=None)
        fields[name] = (annotation | None, info)
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
    # The coordinator's e-mail is their account's; given, it must be the same.
    StartBody = body_model(StartRequest, without=IDENTITY_FIELDS,
                           optional=frozenset({"coordinator_email"}))
COMMAND_BODIES: dict[Event, type[BaseModel]] = {
    event: body_model(spec.contract, without=IDENTITY_FIELDS | _DERIVED.get(event, frozenset()))
    for event, spec in COMMANDS.items()
}
