"""A page's answer when the service behind it is unavailable: Temporal unreachable (an
`RPCError`), the read model's database unreachable (SQLAlchemy's `OperationalError`, or an
error of type `UNAVAILABLE`), or a command whose outcome Temporal could not report in time;
and, with 500, when a page fails in a way nobody expected.

A page answers 503 with the design system's "Sorry, there is a problem with the service"
page, in words a person can act on; the API's routes keep their own answer (its problem
details, `api.errors`), for the handlers here pass every error that is not a page's on to the
handler the app had for it.

A page is a route whose endpoint is defined in this package (`api.pages`), so a page added
later is one too, whichever router it is on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from sqlalchemy.exc import OperationalError
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from api.pages.rendering import Pages
from models.errors import ErrorType, ProblemError

__all__ = ["NOT_CHANGED", "UNKNOWN_OUTCOME", "install", "is_page"]

log = logging.getLogger("qi.api")

Handler = Callable[[Request, Exception], Awaitable[Response]]

TITLE = "Sorry, there is a problem with the service"
NOT_CHANGED = ("Try again later.", "Nothing was changed.")
# Temporal took the command but did not say in time whether it was done.
UNKNOWN_OUTCOME = ("Try again later.", "We could not find out whether what you sent was done. "
                   "Look at the intervention's page before you send it again.")

_PACKAGE = __name__.rpartition(".")[0]


def is_page(request: Request) -> bool:
    """Whether the request was routed to one of the pages (not the API, not the assets)."""
    endpoint = getattr(request.scope.get("route"), "endpoint", None)
    module = getattr(endpoint, "__module__", "") or ""
    return module == _PACKAGE or module.startswith(f"{_PACKAGE}.")


def _unavailable(error: Exception) -> bool:
    if isinstance(error, ProblemError):
        return error.error_type is ErrorType.UNAVAILABLE
    return isinstance(error, (RPCError, OperationalError, WorkflowUpdateRPCTimeoutOrCancelledError))


def _page(request: Request, error: Exception) -> Response:
    # The kind of failure only: a database error's text carries its statement and parameters.
    log.warning("a page could not reach the service (%s%s)", type(error).__name__,
                f" {error.status.name}" if isinstance(error, RPCError) else "")
    said = (UNKNOWN_OUTCOME if isinstance(error, WorkflowUpdateRPCTimeoutOrCancelledError)
            else NOT_CHANGED)
    pages: Pages = request.app.state.pages
    # Who is signed in is not looked up: the database may be what is unavailable.
    return pages.render(request, "unavailable.jinja", {"title": TITLE, "paragraphs": said},
                        status_code=503)


def _for_pages(previous: Handler | None) -> Handler:
    async def handle(request: Request, error: Exception) -> Response:
        if is_page(request) and _unavailable(error):
            return _page(request, error)
        if previous is None:  # as if this handler were not there
            raise error
        return await previous(request, error)

    return handle


def _unexpected_for_pages(previous: Handler | None) -> Handler:
    """Anything else a page did not expect: the same page with 500, logged with its traceback
    as the API logs its own; whether a form's sending was done is not known."""

    async def handle(request: Request, error: Exception) -> Response:
        if not is_page(request):
            if previous is None:
                raise error
            return await previous(request, error)
        log.error("a page failed", exc_info=error)
        said = UNKNOWN_OUTCOME if request.method == "POST" else NOT_CHANGED[:1]
        pages: Pages = request.app.state.pages
        return pages.render(request, "unavailable.jinja", {"title": TITLE, "paragraphs": said},
                            status_code=500)

    return handle


def install(app: FastAPI) -> None:
    """Answer the pages' requests with the error page when the service is unavailable or fails
    unexpectedly; every other request as the app did before."""
    for kind in (ProblemError, RPCError, OperationalError,
                 WorkflowUpdateRPCTimeoutOrCancelledError):
        previous = app.exception_handlers.get(kind)
        app.add_exception_handler(kind, _for_pages(previous))  # type: ignore[arg-type]
    unexpected = app.exception_handlers.get(Exception)
    app.add_exception_handler(Exception, _unexpected_for_pages(unexpected))  # type: ignore[arg-type]
