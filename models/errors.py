"""The one list of error names the project raises across Temporal boundaries."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ErrorType", "Problem", "ProblemError"]

from pydantic import BaseModel


class ErrorType(StrEnum):
    """`ApplicationError.type` values; clients map them to exit codes and HTTP statuses."""

    COMMAND_REFUSED = "CommandRefused"
    INVALID_INPUT = "InvalidInput"
    UNKNOWN_REFERENCE = "UnknownReference"
    CATALOGUE_INVALID = "CatalogueInvalid"
    DELIVERY_FAILED = "DeliveryFailed"
    # Raised only at the HTTP boundary; named here so the API's error bodies use one list.
    NOT_AUTHENTICATED = "NotAuthenticated"
    FORBIDDEN = "Forbidden"
    PAYLOAD_TOO_LARGE = "PayloadTooLarge"
    UNAVAILABLE = "Unavailable"
    INTERNAL = "InternalError"


class Problem(BaseModel):
    """One broken rule: which field, and what the rule is, in a coordinator's words."""

    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


class ProblemError(ValueError):
    """Raised by pure code when input or a guard is not satisfied; carries every problem found."""

    def __init__(self, problems: list[Problem], error_type: ErrorType = ErrorType.INVALID_INPUT):
        self.problems = problems
        self.error_type = error_type
        super().__init__("; ".join(str(p) for p in problems))
