"""Authentication (bearer tokens; browser sessions where a route takes them), role checks and
the access log of every denial.

Every route that needs a token is an `AuthenticatedRoute`: its request is authenticated before
FastAPI reads the body or solves a dependency, so a request without valid credentials is 401
whatever its body. Failed authentication is throttled per client address (`api.throttle`):
past the limit, the client gets 429 with `Retry-After` until the window passes. A refused
password at the pages' sign-in counts against the same client (`api.pages.routes`).

JSON API routes take bearer tokens only, never a cookie, so a form on another site can never
drive them with a browser's session. A `SessionOrTokenRoute` (the codec server's) also takes
the session cookie of a user signed in at the pages (`core.sessions`), on a request whose
`Origin` is the Web UI's (`QI_UI_ORIGIN`) and no other.

The access log (logger `qi.api.access`) names the user, role, method and route template of a
denied request, and why (an unknown, expired or revoked token, a disabled user; a token by its
prefix alone); never the token, the body, the query or the intervention's data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from api.context import get_context
from core.sessions import SessionPolicy, SignedIn, signed_in
from core.users import Authentication, check_token
from models.access import Operation, reach
from models.commands import Event
from models.errors import ApiError, ErrorType, Problem
from models.tables import ApiUserPublic
from models.vocabulary import Reach

__all__ = [
    "SESSION_COOKIE",
    "AuthenticatedRoute",
    "Caller",
    "SessionOrTokenRoute",
    "access_log",
    "authenticate",
    "bearer",
    "deny",
    "live_session",
    "not_authenticated",
    "permit",
    "throttled",
    "unseen",
]

# The pages' session (core.sessions): `Secure` over https, always `HttpOnly`, `SameSite=Lax`.
SESSION_COOKIE = "qi_session"

access_log = logging.getLogger("qi.api.access")

# For the OpenAPI document (the docs page's Authorize button); `authenticate` reads the header.
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


def not_authenticated() -> ApiError:
    """One answer for every refused token, so a client learns nothing of why."""
    return ApiError(
        [Problem(field="Authorization", rule="a valid bearer token is required")],
        ErrorType.NOT_AUTHENTICATED,
        headers={"WWW-Authenticate": "Bearer"},
    )


def throttled(seconds: int) -> ApiError:
    return ApiError(
        [Problem(field="Authorization", rule="too many failed authentications from this "
                 f"client; try again in {seconds} s")],
        ErrorType.TOO_MANY_REQUESTS,
        headers={"Retry-After": str(seconds)},
    )


def _bearer_token(request: Request) -> str | None:
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    return token if scheme.lower() == "bearer" and token else None


def _reason(checked: Authentication) -> str:
    assert checked.refusal is not None
    return f"{checked.refusal.value} {checked.prefix}" if checked.prefix else checked.refusal.value


def live_session(request: Request) -> SignedIn | None:
    """The live session the request's cookie names (its use recorded), if any. Blocking: the
    pages call it from their threadpool."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    context = get_context(request)
    return signed_in(context.engine, session_id, SessionPolicy.of(context.settings),
                     datetime.now(UTC))


def _from_web_ui(request: Request) -> bool:
    return request.headers.get("origin") == get_context(request).settings.resolved_ui_origin


async def authenticate(request: Request, *, session: bool = False) -> ApiUserPublic:
    """The user whose token the request carries (once per request) or, with `session`, whose
    session its cookie names when it has no token; 429 while its client is throttled, else 401
    for missing or refused credentials, counted against the client."""
    known: ApiUserPublic | None = getattr(request.state, "user", None)
    if known is not None:
        return known
    context = get_context(request)
    client = request.client.host if request.client else "-"
    wait = context.throttle.retry_after(client)
    if wait:
        deny(request, None, f"too many failed authentications from {client}")
        raise throttled(wait)
    token = _bearer_token(request)
    user: ApiUserPublic | None = None
    if token is not None:
        checked = await run_in_threadpool(check_token, context.engine, token,
                                          now=datetime.now(UTC))
        user = checked.user if checked.accepted else None
        named, reason = checked.user, "" if checked.accepted else _reason(checked)
    elif session and request.cookies.get(SESSION_COOKIE):
        live = await run_in_threadpool(live_session, request)
        user = live.user if live is not None else None
        named, reason = None, "session ended, unknown or its user disabled"
    else:
        named, reason = None, "no bearer token or session" if session else "no bearer token"
    if user is None:
        context.throttle.fail(client)
        deny(request, named, reason)
        raise not_authenticated()
    request.state.user = user
    return user


class AuthenticatedRoute(APIRoute):
    """A route that authenticates its request before anything else reads it: with a bearer
    token."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def authenticated(request: Request) -> Response:
            await authenticate(request, session=self.takes_session(request))
            return await handler(request)

        return authenticated

    def takes_session(self, request: Request) -> bool:
        return False


class SessionOrTokenRoute(AuthenticatedRoute):
    """An `AuthenticatedRoute` that also takes a signed-in browser's session cookie, on a
    request whose `Origin` is the Web UI's: the codec server's, which the Web UI calls from
    the browser."""

    def takes_session(self, request: Request) -> bool:
        return _from_web_ui(request)


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
