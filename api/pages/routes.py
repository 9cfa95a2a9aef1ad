"""Signing in and out (the page a signed-in user lands on is `api.pages.dashboard`).

Every form carries a CSRF token, checked before its POST does anything: a signed-in page's is
its session's (`core.sessions.csrf_token`); the sign-in form's, before there is a session,
matches a cookie of its own (`qi_sign_in`, sent back to /sign-in alone), which another site's
page can neither read nor set. A wrong user name or password gets the same answer, after the
same work (`core.sessions.sign_in`), and so does a disabled user's right one.

A refused sign-in counts against its client in the API's throttle of failed authentication
(`api.auth`), with the same limits as a refused token: past the limit, the sign-in page answers
429 with `Retry-After` and says in its error summary how long to wait, and no password is
checked until then.
"""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from api.auth import SESSION_COOKIE, deny, live_session
from api.context import get_context
from api.pages.rendering import Pages
from core.sessions import SessionPolicy, SignedIn, csrf_matches, end_session, sign_in

__all__ = ["SIGN_IN_COOKIE", "router"]

SIGN_IN_COOKIE = "qi_sign_in"

router = APIRouter(include_in_schema=False)

FormField = Annotated[str, Form()]


def _pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _set_cookie(request: Request, response: Response, name: str, value: str, *,
                path: str = "/", samesite: Literal["lax", "strict"] = "lax") -> None:
    response.set_cookie(name, value, path=path, httponly=True, samesite=samesite,
                        secure=request.url.scheme == "https")


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    if live_session(request) is not None:
        return _redirect("/")
    return _sign_in_form(request, name="", field_errors={})


def _sign_in_form(request: Request, name: str, field_errors: dict[str, str],
                  status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    token = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)
    errors = [{"text": text, "href": f"#{field}"} for field, text in field_errors.items()]
    context: dict[str, Any] = {"title": "Sign in", "name": name, "csrf_token": token,
                               "errors": errors, "field_errors": {
                                   k: v for k, v in field_errors.items() if k != "form"}}
    if "form" in field_errors:  # not about one field: the summary links to the first
        errors[-1]["href"] = "#name"
    response = _pages(request).render(request, "sign_in.jinja", context, status_code)
    response.headers.update(headers or {})
    _set_cookie(request, response, SIGN_IN_COOKIE, token, path="/sign-in", samesite="strict")
    return response


def _wait(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


@router.post("/sign-in")
async def sign_in_submit(request: Request, name: FormField = "", password: FormField = "",
                         csrf_token: FormField = "") -> Response:
    name = name.strip()
    expected = request.cookies.get(SIGN_IN_COOKIE)
    if not expected or not secrets.compare_digest(expected.encode(), csrf_token.encode()):
        return _sign_in_form(request, name, {"form": "This page had expired, so you were not "
                                             "signed in. Sign in again."}, 400)
    field_errors = {}
    if not name:
        field_errors["name"] = "Enter your user name"
    if not password:
        field_errors["password"] = "Enter your password"
    if field_errors:
        return _sign_in_form(request, name, field_errors, 400)
    context = get_context(request)
    client = request.client.host if request.client else "-"
    wait = context.throttle.retry_after(client)
    if wait:
        deny(request, None, f"too many failed authentications from {client}")
        return _sign_in_form(
            request, name,
            {"form": "There have been too many failed attempts to sign in from your computer "
             f"or network. Wait {_wait(wait)}, then try again."},
            429, headers={"Retry-After": str(wait)})
    now = datetime.now(UTC)
    previous = request.cookies.get(SESSION_COOKIE)
    session_id = await run_in_threadpool(sign_in, context.engine, name, password,
                                         SessionPolicy.of(context.settings), now)
    if session_id is None:
        context.throttle.fail(client)
        deny(request, None, "wrong user name or password, or user disabled")
        return _sign_in_form(request, name,
                             {"form": "The user name or password is not right"}, 400)
    if previous:  # a new ID at every sign-in: one planted before it is worth nothing after
        await run_in_threadpool(end_session, context.engine, previous, now)
    response = _redirect("/")
    _set_cookie(request, response, SESSION_COOKIE, session_id)
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


def checked_session(request: Request, csrf_token: str) -> SignedIn | Response:
    """A signed-in page's POST: its session if the form's token is the session's; else what to
    answer instead (the sign-in page, or that the form had expired)."""
    session_id = request.cookies.get(SESSION_COOKIE, "")
    signed = live_session(request)
    if signed is None:
        return _redirect("/sign-in")
    if not csrf_matches(session_id, csrf_token):
        return _pages(request).render(request, "expired_form.jinja", {
            "title": "That page had expired", "signed_in": signed}, status_code=403)
    return signed


@router.post("/sign-out")
def sign_out(request: Request, csrf_token: FormField = "") -> Response:
    checked = checked_session(request, csrf_token)
    if isinstance(checked, Response):
        return checked
    end_session(get_context(request).engine, request.cookies.get(SESSION_COOKIE, ""),
                datetime.now(UTC))
    response = _redirect("/signed-out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/signed-out")
def signed_out(request: Request) -> Response:
    return _pages(request).render(request, "signed_out.jinja", {"title": "You have signed out"})
