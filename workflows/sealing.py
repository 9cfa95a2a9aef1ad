"""The refusal of a start or command the service did not seal, or sealed for another
intervention, or that was taken before (see `models.sealing`)."""

from __future__ import annotations

from collections.abc import Collection

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.errors import ErrorType
    from models.sealing import Inbound, Unsealed, opened_with, refusal, seal_id, sealed_for

__all__ = ["refused", "require_once", "require_sealed", "require_sealed_for"]


def refused(kind: type[Inbound], why: Unsealed) -> ApplicationError:
    """Refused like any command the lifecycle refuses, by a sentence that is told in the clear
    (`models.sealing.REFUSALS`) and nothing sealed: whoever sent it may hold no key at all."""
    return ApplicationError(refusal(kind, why), type=ErrorType.COMMAND_REFUSED,
                            non_retryable=True)


def require_sealed(message: Inbound) -> None:
    """Raise the refusal unless `message` was opened from the service's seal. Only where new
    input arrives (a validator; a run's start, behind its patch): what histories written
    before sealing hold has no mark, and must still replay."""
    if opened_with(message) is None:
        raise refused(type(message), Unsealed.not_sealed)


def require_sealed_for(message: Inbound, workflow_id: str) -> None:
    """Raise the refusal unless the service sealed `message` for the intervention
    `workflow_id`: one copied out of another's history names that one, and one sealed before
    seals named their intervention names none (new input only, like `require_sealed`)."""
    require_sealed(message)
    if sealed_for(message) != workflow_id:
        raise refused(type(message), Unsealed.other_intervention)


def require_once(message: Inbound, workflow_id: str, taken: Collection[str]) -> None:
    """`require_sealed_for`, and raise the refusal if its seal is one of `taken`: a command
    copied out of this intervention's own history and sent again."""
    require_sealed_for(message, workflow_id)
    if seal_id(message) in taken:
        raise refused(type(message), Unsealed.sent_before)
