"""One page per lifecycle command, generated from the command registry
(`models.registry.COMMANDS`): GET `urls.command_page(reference, event)` shows its form, POST
sends it, as the signed-in user, and goes back to the intervention's page.

A post is checked in this order, and nothing is sent until every check passes: the form's
CSRF token (else 403, the "page had expired" page), the user's role (the 403 page, from the
same `models.access` table as the API), the intervention (the 404 page for one that does not
exist or belongs to another provider), the form's one-time key, the values (422, the form
again with each problem beside its field), then the lifecycle's rules (409, likewise). Who
sends comes from the session (`api.identity.command_identity`), never from the form. A field
naming an item of the intervention offers its items (`api.pages.form_context`), but what is
posted is the lifecycle's to accept, as any value is.

Once the command is done, the browser goes back to the intervention's page, which says once
what was done (`api.pages.notices`), without it in the address.

Each form carries a one-time key, sent as the update's ID (scoped to the user and the command,
`api.deps.idempotent_id`): a form posted twice, by a double click or a resend, does the command
once, and the second post answers as the first did.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from api import identity
from api.auth import Caller
from api.context import get_context
from api.deps import idempotent_id
from api.errors import STATUS_FOR
from api.pages import form_values as fv
from api.pages import urls
from api.pages.access import SignedInDep, page_caller, visible_intervention
from api.pages.form_context import fit
from api.pages.form_view import FORM_ID, Located, bind, from_problems, from_validation, summary
from api.pages.forms import command_form
from api.pages.hints import in_words
from api.pages.notices import leave_notice
from api.pages.rendering import Pages, words
from api.pages.routes import checked_session
from core.sessions import SignedIn
from models.commands import Event
from models.errors import ErrorType, ProblemError
from models.registry import COMMANDS
from models.status import InterventionStatus

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_KEY = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# A typed reference the intervention does not have (a finding, an action, a meeting) is the
# form's to correct, not a missing page.
_STATUS = {**STATUS_FOR, ErrorType.UNKNOWN_REFERENCE: 422}


def _pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def _form_page(request: Request, signed: SignedIn, status: InterventionStatus, reference: str,
               event: Event, values: fv.Values, errors: list[Located],
               status_code: int = 200) -> Response:
    form = command_form(event)
    reference = status.data.reference or reference  # the page's name, if it was reached by ID
    nodes, general = bind(form.fields, values, errors)
    fit(nodes, event, status.data)
    step = next((s for s in status.next_steps if s.command is event), None)
    return _pages(request).render(request, "command.jinja", {
        "title": f"{words(event)}, {reference}",
        "heading": words(event),
        "summary": form.summary,
        "reference": reference,
        "state": status.data.state,
        "step": step,
        "blocked_by": [_capital(in_words(b)) for b in step.blocked_by] if step else [],
        "needs": [_capital(in_words(n)) for n in step.needs] if step else [],
        "ended": status.ended_outside is not None or status.data.state.terminal,
        "signed_in": signed,
        "nodes": nodes,
        "errors": summary(nodes, general),
        "form_id": FORM_ID,
        "action": urls.command_page(reference, event),
        "back": urls.intervention_page(reference),
        "csrf_token": signed.csrf_token,
        # A new key each time the form is shown: a corrected form is a new attempt.
        "form_key": secrets.token_urlsafe(24),
    }, status_code=status_code)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _text(posted: FormData, name: str) -> str:
    value = posted.get(name)
    return value if isinstance(value, str) else ""


def _expired(request: Request, signed: SignedIn) -> Response:
    return _pages(request).render(request, "expired_form.jinja", {
        "title": "That page had expired", "signed_in": signed}, status_code=403)


def _checked(event: Event, payload: dict[str, Any],
             unread: list[dict[str, Any]]) -> tuple[BaseModel | None, list[Located]]:
    """The body the form makes, or what is wrong with it: what could not be read, and what
    the body model refuses of the rest (not that the unread is missing)."""
    form = command_form(event)
    try:
        body: BaseModel | None = form.model.model_validate(payload)
        refused: list[dict[str, Any]] = []
    except ValidationError as error:
        body = None
        skip = {tuple(u["loc"]) for u in unread}
        refused = [dict(e) for e in error.errors() if tuple(e["loc"]) not in skip]
    errors = from_validation(form.fields, [*unread, *refused])
    return (body if not errors else None), errors


async def _send(request: Request, caller: Caller, status: InterventionStatus, event: Event,
                body: BaseModel, key: str) -> tuple[int, list[Located]] | None:
    """Send the command as `caller`; None when it is done, else the status and the reasons it
    was refused (nothing changed). The service being unavailable is no refusal: it is raised,
    for the pages' error page (`api.pages.unavailable`)."""
    service = get_context(request).service
    intervention_id = status.data.intervention_id
    try:
        who = await identity.command_identity(caller, event, intervention_id, service)
        await service.command(intervention_id, event,
                              {**body.model_dump(exclude_unset=True), **who},
                              update_id=idempotent_id(caller, f"page {event.value}", key))
    except ProblemError as error:
        if error.error_type is ErrorType.UNAVAILABLE:
            raise
        return _STATUS[error.error_type], from_problems(error.problems)
    return None


def _pages_for(event: Event) -> tuple[Callable[..., Awaitable[Response]],
                                      Callable[..., Awaitable[Response]]]:
    form = command_form(event)

    async def show(request: Request, reference: str, signed: SignedInDep) -> Response:
        caller = page_caller(request, signed, event)
        status = await visible_intervention(request, caller, reference)
        values = fv.blank(form.fields)
        return _form_page(request, signed, status, reference, event, values, [])

    async def send(request: Request, reference: str) -> Response:
        posted = await request.form()
        checked = await run_in_threadpool(checked_session, request, _text(posted, "csrf_token"))
        if isinstance(checked, Response):
            return checked
        caller = page_caller(request, checked, event)
        status = await visible_intervention(request, caller, reference)
        values = fv.read(form.fields, posted)
        another = _text(posted, "add")
        if another:
            more = fv.with_another(form.fields, values, another)
            return _form_page(request, checked, status, reference, event, more or values, [])
        key = _text(posted, "form_key")
        if not _KEY.match(key):
            return _expired(request, checked)
        values = fv.compact(form.fields, values)
        body, errors = _checked(event, *fv.payload(form.fields, values))
        refused = (422, errors) if body is None else await _send(
            request, caller, status, event, body, key)
        if refused is None:
            named = status.data.reference or reference
            await leave_notice(request, named, event)
            return RedirectResponse(urls.intervention_page(named), status_code=303)
        status_code, errors = refused
        return _form_page(request, checked, status, reference, event,
                          fv.padded(form.fields, values), errors, status_code)

    show.__name__ = send.__name__ = event.value
    return show, send


for _event in COMMANDS:
    _show, _send_it = _pages_for(_event)
    _path = urls.command_page("{reference}", _event)
    router.add_api_route(_path, _show, methods=["GET"], name=f"{_event.value}_page")
    router.add_api_route(_path, _send_it, methods=["POST"], name=f"{_event.value}_send")
