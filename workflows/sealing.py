"""The refusal of a start or command the service did not seal (see `models.sealing`)."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.errors import ErrorType
    from models.sealing import Inbound, Unsealed, opened_with, refusal

__all__ = ["refused", "require_sealed"]


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
