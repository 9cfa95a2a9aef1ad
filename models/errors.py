"""The project's one error hierarchy, and the one list of error names.

    ProblemError                 input or a rule not satisfied (pure code: guards, catalogue)
    ├── InterventionError        a start, command or read refused by the client facade
    └── ApiError                 what only an HTTP request gets wrong (token, role, route)

Every error carries an `ErrorType` and the problems (field, rule) that say why. The CLI maps
the type to an exit code, the API to an HTTP status and its one error body; Temporal carries it
as `ApplicationError.type`. Catch `ProblemError` to handle them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel

__all__ = [
    "ApiError",
    "ErrorType",
    "InterventionError",
    "Problem",
    "ProblemError",
    "problem_type",
]


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
    TOO_MANY_REQUESTS = "TooManyRequests"
    UNKNOWN_HOST = "UnknownHost"
    UNAVAILABLE = "Unavailable"
    INTERNAL = "InternalError"


def problem_type(error_type: ErrorType) -> str:
    """The problem `type` URI of an error type, as the API's error bodies carry it (and clients
    read it back): CommandRefused is /problems/command-refused."""
    words = "".join(f"-{c.lower()}" if c.isupper() else c for c in error_type.value)
    return f"/problems/{words.lstrip('-')}"


class Problem(BaseModel):
    """One broken rule: which field, and what the rule is, in a coordinator's words."""

    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


class ProblemError(ValueError):
    """The base: input or a guard is not satisfied; carries every problem found.

    Raised as it is by pure code (guards, the catalogue, the read model's queries). A
    `ValueError`, so pydantic validators that raise it report a validation error."""

    def __init__(
        self, problems: list[Problem], error_type: ErrorType = ErrorType.INVALID_INPUT
    ) -> None:
        self.problems = problems
        self.error_type = error_type
        super().__init__("; ".join(str(p) for p in problems))


class InterventionError(ProblemError):
    """Raised by the client facade (`core.interventions.Interventions`): a start or command
    the lifecycle refused (`COMMAND_REFUSED`), invalid input (`INVALID_INPUT`), or an unknown
    intervention (`UNKNOWN_REFERENCE`)."""


class ApiError(ProblemError):
    """Raised by the HTTP API's routes and dependencies for what only a request can get wrong:
    no valid token, a role that may not, an intervention the user may not see, too many failed
    authentications. `headers` go on the response (e.g. `WWW-Authenticate`, `Retry-After`)."""

    def __init__(
        self,
        problems: list[Problem],
        error_type: ErrorType,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(problems, error_type)
        self.headers = dict(headers or {})
