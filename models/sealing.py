"""A start or command is taken only if the service sealed it.

Anyone who reaches the Temporal port can hand a workflow a payload. The service's own clients
and workers seal every payload they send (`core.codec`); when a worker opens one of those seals
it marks the decoded start or command with the ID of the key it used. The workflow refuses a
start or command that carries no mark: sent in the clear, sealed by someone else, under a key
the service does not hold, or altered on the way.

A seal the service made for an intervention also names it, inside the seal, and each seal is
its own (the cipher's nonce, random for every payload). So the workflow can refuse one copied
out of a history: sent to another intervention, or sent again to its own. The marks live only
in memory (private attributes), never in what is serialized.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, PrivateAttr

__all__ = [
    "COMMAND_RULE",
    "REFUSALS",
    "START_RULE",
    "Inbound",
    "Unsealed",
    "mark_opened",
    "opened_with",
    "refusal",
    "seal_id",
    "sealed_for",
]

COMMAND_RULE = "commands must be sent through the service (qi or its HTTP API)"
START_RULE = "interventions must be started through the service (qi or its HTTP API)"


class Unsealed(StrEnum):
    """Why a payload was not taken as the service's own."""

    not_sealed = "this one was not sealed by the service"
    unknown_key = "this one was sealed with a key the service does not hold"
    altered = "this one was altered after it was sealed"
    other_intervention = "this one was sealed for another intervention"
    sent_before = "this one was taken before, and is taken once"


class Inbound(BaseModel):
    """What a client sends into an intervention: its start, or a command."""

    # How the refusal of one that was not sealed by the service begins.
    sent_through: ClassVar[str] = COMMAND_RULE
    _opened_with: str | None = PrivateAttr(default=None)
    _sealed_for: str | None = PrivateAttr(default=None)
    _seal_id: str | None = PrivateAttr(default=None)


def opened_with(message: Inbound) -> str | None:
    """The ID of the key whose service seal `message` was opened from; None if it had none."""
    return message._opened_with


def sealed_for(message: Inbound) -> str | None:
    """The workflow ID the service sealed `message` for; None if the seal named none (sealed
    before seals named their intervention) or it had no service seal."""
    return message._sealed_for


def seal_id(message: Inbound) -> str | None:
    """What tells this seal from every other (the cipher's nonce, in hex); None without one."""
    return message._seal_id


def mark_opened(
    message: Inbound, key_id: str, *, sealed_for: str | None = None, seal_id: str | None = None
) -> None:
    message._opened_with = key_id
    message._sealed_for = sealed_for
    message._seal_id = seal_id


def _sentence(rule: str, why: Unsealed) -> str:
    return f"{rule}: {why.value}"


def refusal(kind: type[Inbound], why: Unsealed) -> str:
    return _sentence(kind.sent_through, why)


# Every refusal there is: fixed sentences that quote nothing anyone typed, so they may be told
# in the clear to whoever sent the payload.
REFUSALS: frozenset[str] = frozenset(
    _sentence(rule, why) for rule in (COMMAND_RULE, START_RULE) for why in Unsealed
)
