"""Who may do what through the HTTP API: roles, operations and how far each role reaches.

Pure data. The API checks every request against `PERMISSIONS`; the README's permission table is
generated from it (`permission_table`), and a test keeps the copy in sync.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from models.commands import Event
from models.registry import COMMANDS
from models.vocabulary import ApproverRole, Reach, Role

__all__ = [
    "APPROVER_ROLES",
    "OPERATIONS",
    "PERMISSIONS",
    "Operation",
    "approver_role",
    "permission_table",
    "reach",
]


class Operation(StrEnum):
    """What an endpoint does, besides the lifecycle commands (each an `Event`)."""

    read = "read"  # the catalogue, lists, status, audit trail, schedules
    export = "export"  # CSV of interventions and actions
    start = "start"
    outbox = "outbox"  # list undelivered mail, resend a dead or unknown message


OPERATIONS: tuple[Operation | Event, ...] = (*Operation, *COMMANDS)

_ALL = Reach.all

# Who may do what besides the lifecycle commands; who may send each command is the command's
# own entry in the registry (coordinators may send every one).
_OPERATIONS: Mapping[Role, Mapping[Operation | Event, Reach]] = {
    Role.coordinator: dict.fromkeys(Operation, _ALL),  # outbox: coordinators only
    Role.dean: {Operation.read: _ALL, Operation.export: _ALL},
    Role.panel_member: {Operation.read: _ALL, Operation.export: _ALL},
    # Provider leads see their provider's interventions and nothing of other providers.
    Role.provider_lead: {Operation.read: Reach.own_provider, Operation.export: Reach.own_provider},
    Role.viewer: {Operation.read: _ALL, Operation.export: _ALL},
}


def _command_reach(role: Role) -> dict[Operation | Event, Reach]:
    if role is Role.coordinator:
        return dict.fromkeys(COMMANDS, _ALL)
    return {event: spec.also_sent_by[role] for event, spec in COMMANDS.items()
            if role in spec.also_sent_by}


PERMISSIONS: Mapping[Role, Mapping[Operation | Event, Reach]] = {
    role: {**_OPERATIONS[role], **_command_reach(role)} for role in Role
}

# The approver roles a user's account holds when approving closure: the guard checks the role
# against the type, so the role itself follows from who is asking, never from what they type.
APPROVER_ROLES: Mapping[Role, frozenset[ApproverRole]] = {
    Role.coordinator: frozenset({ApproverRole.COORDINATOR, ApproverRole.QUALITY_LEAD}),
    Role.dean: frozenset({ApproverRole.DEAN, ApproverRole.DEAN_DELEGATE}),
}


def approver_role(role: Role, allowed: Sequence[ApproverRole]) -> ApproverRole | None:
    """The role a `role` account approves closure as, for a type approved by `allowed` (in the
    type's order, so the first it holds); None when it holds none of them."""
    held = APPROVER_ROLES.get(role, frozenset())
    return next((r for r in allowed if r in held), None)


def reach(role: Role, operation: Operation | Event) -> Reach | None:
    """How far `role` may do `operation`; None: not at all."""
    return PERMISSIONS[role].get(operation)


def permission_table() -> str:
    """The permission table as Markdown, one row per operation and a column per role."""
    mark = {Reach.all: "yes", Reach.own_provider: "own provider", None: "-"}
    lines = [
        "| Operation | " + " | ".join(role.value for role in Role) + " |",
        "|---|" + "---|" * len(Role),
    ]
    for operation in OPERATIONS:
        cells = " | ".join(mark[reach(role, operation)] for role in Role)
        lines.append(f"| {operation.value} | {cells} |")
    return "\n".join(lines) + "\n"
