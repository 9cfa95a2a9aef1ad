"""The service's own pages, rendered on the server: signing in with a password, and where a
signed-in user lands. Built on the NHS.UK design system (nhsuk-frontend's CSS, JavaScript and
icons, served from `assets/`, which `make install` builds; the Jinja macros of
nhsuk-frontend-jinja). When the service behind a page is unavailable, the page says so in the
design system's words (`api.pages.unavailable`); the API keeps its own error format."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from starlette.staticfiles import StaticFiles

from api.auth import live_session
from api.pages import commands, dashboard, intervention, start, unavailable
from api.pages.access import PageError, SignInFirst
from api.pages.rendering import Pages
from api.pages.routes import router
from api.pages.urls import SIGN_IN

__all__ = ["ASSETS", "install"]

ASSETS = Path(__file__).resolve().parent / "assets"

log = logging.getLogger("qi.api")


def install(app: FastAPI) -> None:
    """Add the pages and their assets (at /assets) to `app`."""
    if not (ASSETS / "pages.min.css").is_file():
        log.warning("the pages' assets are missing from %s: run `make install` (it needs "
                    "Node.js 20 or newer); the pages show without their styles until then",
                    ASSETS)
    app.state.pages = Pages()
    app.mount("/assets", StaticFiles(directory=ASSETS, check_dir=False), name="assets")
    app.include_router(router)
    app.include_router(dashboard.router)
    app.include_router(intervention.router)
    app.include_router(commands.router)
    app.include_router(start.router)
    app.add_exception_handler(SignInFirst, _sign_in_first)
    app.add_exception_handler(PageError, _error_page)
    unavailable.install(app)  # after the API's handlers, which it keeps for the API


async def _sign_in_first(request: Request, error: Exception) -> Response:
    return RedirectResponse(SIGN_IN, status_code=303)


async def _error_page(request: Request, error: Exception) -> Response:
    assert isinstance(error, PageError)
    signed = await run_in_threadpool(live_session, request)
    pages: Pages = request.app.state.pages
    return pages.render(request, "error.jinja", {
        "title": error.title, "message": error.message, "signed_in": signed,
    }, status_code=error.status_code)
