"""Bearer-token authentication, role checks and the access log of every denial.

The access log (logger `qi.api.access`) names the user, role, method and route template of a
denied request, and why (an unknown, expired or revoked token, a disabled user; a token by its
prefix alone); never the token, the body, the query or the intervention's data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Request
from fastapi.security import HTTPBearer

from models.access import Operation, reach
from models.commands import Event
from models.errors import ApiError, ErrorType, Problem
from models.tables import ApiUserPublic
from models.vocabulary import Reach

__all__ = ["Caller", "access_log", "bearer", "deny", "not_authenticated", "permit", "unseen"]

access_log = logging.getLogger("qi.api.access")

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A token from `qi tokens issue NAME`, sent as `Authorization: Bearer <token>`",
)


@dataclass(frozen=True)
class Caller:
    """An authenticated user, and how far the operation being asked for reaches for them."""

    user: ApiUserPublic
    reach: Reach

    @property
    def provider_scope(self) -> str | None:
        """The provider the caller is limited to, if any."""
        return self.user.provider_code if self.reach is Reach.own_provider else None

    def sees(self, provider_code: str) -> bool:
        return self.reach is Reach.all or self.user.provider_code == provider_code


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", "-")


def deny(request: Request, user: ApiUserPublic | None, reason: str) -> None:
    access_log.warning(
        "denied user=%s role=%s method=%s route=%s reason=%s",
        user.name if user else "-",
        user.role if user else "-",
        request.method,
        _route(request),
        reason,
    )


def not_authenticated(request: Request, reason: str, user: ApiUserPublic | None = None
                      ) -> ApiError:
    """One answer for every refused token, so a client learns nothing of why; the access log
    says why."""
    deny(request, user, reason)
    return ApiError(
        [Problem(field="Authorization", rule="a valid bearer token is required")],
        ErrorType.NOT_AUTHENTICATED,
        headers={"WWW-Authenticate": "Bearer"},
    )


def permit(request: Request, user: ApiUserPublic, operation: Operation | Event) -> Caller:
    """The caller if the user's role may do `operation`; 403 otherwise."""
    allowed = reach(user.role, operation)
    if allowed is None:
        deny(request, user, f"role may not {operation.value}")
        raise ApiError(
            [Problem(field="role", rule=f"a {user.role.value} may not {operation.value}")],
            ErrorType.FORBIDDEN,
        )
    return Caller(user=user, reach=allowed)


def unseen(request: Request, caller: Caller, intervention_id: str) -> ApiError:
    """Another provider's intervention answers exactly like one that does not exist."""
    deny(request, caller.user, "intervention of another provider")
    return ApiError(
        [Problem(field="intervention_id", rule=f"no intervention {intervention_id}")],
        ErrorType.UNKNOWN_REFERENCE,
    )
