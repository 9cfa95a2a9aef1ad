"""Who is looking at a page, and what a page answers when they may not see or do something.

Every page but signing in needs a live session (`signed_in_user`): without one, the browser is
sent to sign in. Pages check roles and provider scope exactly as the API does, through the same
`models.access` table (`page_caller`, `visible_intervention`); what the API answers as JSON, a
page answers as an error page in the design system's words: 403 for a role that may not, and
404 for an intervention that does not exist or belongs to another provider (the same page, so
a provider lead learns nothing of others).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from api.auth import Caller, live_session, permit
from api.context import get_context
from api.deps import visible_status
from core.sessions import SignedIn
from models.access import Operation
from models.commands import Event
from models.errors import ApiError, ErrorType, ProblemError
from models.status import InterventionStatus

__all__ = [
    "PageError",
    "SignInFirst",
    "SignedInDep",
    "not_found",
    "page_caller",
    "signed_in_user",
    "visible_intervention",
]


class SignInFirst(Exception):
    """No live session: the page sends the browser to sign in."""


class PageError(Exception):
    """A page that cannot be shown, answered with the error page: its status, title and what a
    person can do about it."""

    def __init__(self, status_code: int, title: str, message: str) -> None:
        super().__init__(title)
        self.status_code = status_code
        self.title = title
        self.message = message


def not_found() -> PageError:
    return PageError(404, "Page not found",
                     "If you typed the web address, check it is correct. If you pasted it, "
                     "check you copied the entire address.")


async def signed_in_user(request: Request) -> SignedIn:
    signed = await run_in_threadpool(live_session, request)
    if signed is None:
        raise SignInFirst()
    return signed


SignedInDep = Annotated[SignedIn, Depends(signed_in_user)]


def page_caller(request: Request, signed: SignedIn, operation: Operation | Event) -> Caller:
    """The signed-in user as a caller of `operation`, if their role may do it (else 403)."""
    try:
        return permit(request, signed.user, operation)
    except ApiError:
        what = operation.value.replace("_", " ")
        raise PageError(403, "You cannot do this",
                        f"Your role ({signed.user.role.value.replace('_', ' ')}) may not "
                        f"{what}. Ask a quality coordinator if you think you should.") from None


async def visible_intervention(
    request: Request, caller: Caller, reference: str
) -> InterventionStatus:
    """The intervention by its reference (or full ID), if it exists and the caller may see it;
    the 404 page otherwise."""
    service = get_context(request).service
    try:
        return await visible_status(request, caller, service, reference)
    except ProblemError as error:
        if error.error_type is ErrorType.UNKNOWN_REFERENCE:
            raise not_found() from None
        raise
