"""Who may do what through the HTTP API: roles, operations and how far each role reaches.

Pure data. The API checks every request against `PERMISSIONS`; the README's permission table is
generated from it (`permission_table`), and a test keeps the copy in sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from models.commands import Event
from models.vocabulary import ApproverRole

__all__ = [
    "APPROVER_ROLES",
    "OPERATIONS",
    "PERMISSIONS",
    "Operation",
    "Reach",
    "Role",
    "permission_table",
    "reach",
]


class Role(StrEnum):
    coordinator = "coordinator"
    panel_member = "panel_member"
    provider_lead = "provider_lead"
    dean = "dean"
    viewer = "viewer"


class Reach(StrEnum):
    """Which interventions an allowed operation applies to."""

    all = "all"
    own_provider = "own_provider"  # only those of the user's provider; others look unknown


class Operation(StrEnum):
    """What an endpoint does, besides the lifecycle commands (each an `Event`)."""

    read = "read"  # the catalogue, lists, status, audit trail, schedules
    export = "export"  # CSV of interventions and actions
    start = "start"


OPERATIONS: tuple[Operation | Event, ...] = (*Operation, *Event)

_ALL = Reach.all
_MEETINGS = (Event.schedule_meeting, Event.reschedule_meeting, Event.record_meeting)

PERMISSIONS: Mapping[Role, Mapping[Operation | Event, Reach]] = {
    # Coordinators drive interventions end to end.
    Role.coordinator: dict.fromkeys(OPERATIONS, _ALL),
    # The escalation point: approves closure (urgent reviews need a dean) and escalates.
    Role.dean: {
        Operation.read: _ALL,
        Operation.export: _ALL,
        Event.approve_closure: _ALL,
        Event.escalate: _ALL,
    },
    # Panels book and record their own meetings; the rest of the lifecycle is the coordinator's.
    Role.panel_member: {
        Operation.read: _ALL,
        Operation.export: _ALL,
        **dict.fromkeys(_MEETINGS, _ALL),
    },
    # Provider leads own their action plans: they see their provider's interventions and report
    # progress on its actions, and nothing of other providers.
    Role.provider_lead: {
        Operation.read: Reach.own_provider,
        Operation.export: Reach.own_provider,
        Event.record_action_progress: Reach.own_provider,
    },
    Role.viewer: {Operation.read: _ALL, Operation.export: _ALL},
}

# The approver role a user may claim when approving closure: the guard checks the claimed role
# against the type, so the claim itself must follow from who is asking.
APPROVER_ROLES: Mapping[Role, frozenset[ApproverRole]] = {
    Role.coordinator: frozenset({ApproverRole.COORDINATOR, ApproverRole.QUALITY_LEAD}),
    Role.dean: frozenset({ApproverRole.DEAN, ApproverRole.DEAN_DELEGATE}),
}


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
