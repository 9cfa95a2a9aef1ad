"""Starting an intervention in the browser: choose the type, give the provider and the concern
with its risk, explain a start below the high band, check every answer against the planned
schedule, and start.

Each step's form carries the answers of the others in hidden fields and posts them (never in a
URL: the summary is confidential); every POST checks the session's CSRF token before anything
else, then that the user's role may start. The check page gives the form a one-time request ID,
which the start is keyed by (as the API keys an `Idempotency-Key`), so submitting it twice
starts one intervention. Who coordinates is the signed-in user, and their account's e-mail is
the coordinator's; neither is asked.
"""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from temporalio.service import RPCError

from api.auth import Caller
from api.context import get_context
from api.deps import idempotent_id
from api.identity import coordinator_email
from api.pages.access import SignedInDep, page_caller
from api.pages.rendering import Pages
from api.pages.routes import checked_session
from api.pages.start_answers import (
    Answers,
    check_answers,
    needs_justification,
    read_answers,
    start_body,
)
from api.pages.start_questions import ORDER, Question, Step, asked
from api.pages.start_views import CHANGE, CONFIRM, STEP_PATHS, show_step
from api.pages.urls import START, intervention_page
from core.sessions import SignedIn
from models.access import Operation
from models.errors import ErrorType, Problem, ProblemError

__all__ = ["router"]

log = logging.getLogger("qi.api")

router = APIRouter(include_in_schema=False)

_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{32}")


def _pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


@router.get(START)
async def choose_type(request: Request, signed: SignedInDep) -> Response:
    page_caller(request, signed, Operation.start)
    return show_step(request, signed, Step.type, {})


class _Posted:
    """A start form's POST, once its CSRF token and the user's role have been checked."""

    def __init__(self, form: FormData, signed: SignedIn, caller: Caller) -> None:
        self.form = form
        self.signed = signed
        self.caller = caller
        self.answers = read_answers(form, signed.user)
        self.checking = form.get("checking") == "1"


async def _posted(request: Request) -> _Posted | Response:
    form = await request.form()
    token = form.get("csrf_token")
    checked = await run_in_threadpool(checked_session, request,
                                      token if isinstance(token, str) else "")
    if isinstance(checked, Response):
        return checked
    return _Posted(form, checked, page_caller(request, checked, Operation.start))


@router.post(STEP_PATHS[Step.type])
async def type_answered(request: Request) -> Response:
    return await _answered(request, Step.type)


@router.post(STEP_PATHS[Step.details])
async def details_answered(request: Request) -> Response:
    return await _answered(request, Step.details)


@router.post(STEP_PATHS[Step.justification])
async def justification_answered(request: Request) -> Response:
    return await _answered(request, Step.justification)


async def _answered(request: Request, step: Step) -> Response:
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    catalogue = get_context(request).catalogue
    refusal = check_answers(posted.answers, catalogue, posted.signed.user, until=step)
    if refusal is not None:
        return show_step(request, posted.signed, refusal.step, posted.answers, refusal.errors,
                         checking=posted.checking)
    following = _next_step(step, posted.answers, request, posted)
    return show_step(request, posted.signed, following, posted.answers, checking=posted.checking)


def _next_step(step: Step, answers: Answers, request: Request, posted: _Posted) -> Step:
    """The step after `step`; when changing an answer from the check page, the first later
    step that still needs something, else the check page again."""
    catalogue = get_context(request).catalogue
    for later in ORDER[ORDER.index(step) + 1:]:
        if later is Step.justification and not needs_justification(answers,
                                                                     catalogue.risk_bands):
            continue
        if later is Step.check or not posted.checking:
            return later
        if check_answers(answers, catalogue, posted.signed.user, until=later) is not None:
            return later
    return Step.check


@router.post(CHANGE)
async def change(request: Request) -> Response:
    """A step shown again with its answers, from a Back link or the check page's Change."""
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    wanted = posted.form.get("change")
    step = next((q.step for q in asked(posted.signed.user) if q.path == wanted),
                Step(wanted) if wanted in {s.value for s in STEP_PATHS} else Step.type)
    return show_step(request, posted.signed, step, posted.answers, checking=posted.checking)


@router.post(CONFIRM)
async def confirm(request: Request) -> Response:
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    request_id = posted.form.get("request_id")
    if not isinstance(request_id, str) or not _REQUEST_ID.fullmatch(request_id):
        return _pages(request).render(request, "expired_form.jinja", {
            "title": "That page had expired", "signed_in": posted.signed}, status_code=400)
    context = get_context(request)
    refusal = check_answers(posted.answers, context.catalogue, posted.signed.user,
                            until=Step.check)
    if refusal is not None:
        return show_step(request, posted.signed, refusal.step, posted.answers, refusal.errors,
                         checking=True)
    body = start_body(posted.answers, context.catalogue.risk_bands)
    try:
        start = {**body, "coordinator": posted.caller.user.name,
                 "coordinator_email": coordinator_email(posted.caller,
                                                        body.get("coordinator_email"))}
        status = await context.service.start(
            start, request_id=idempotent_id(posted.caller, "start", request_id))
    except ProblemError as error:
        return _refused(request, posted, error.problems, error.error_type, request_id)
    except RPCError as error:
        log.warning("a start from the pages could not reach Temporal: %s", error.status)
        problem = Problem(field="temporal", rule="unavailable")
        return _refused(request, posted, [problem], ErrorType.UNAVAILABLE, request_id)
    reference = status.data.reference or status.data.intervention_id
    return RedirectResponse(intervention_page(reference), status_code=303)


_NOT_STARTED = ("The intervention could not be started because the service is not working "
                "properly right now. Your answers are still here: try again in a few minutes.")


def _refused(request: Request, posted: _Posted, problems: list[Problem],
             error_type: ErrorType, request_id: str) -> Response:
    """The step with the fields the service refused, or the check page saying what went wrong;
    the check page keeps its request ID, so trying again cannot start a second one."""
    questions = {q.path: q for q in asked(posted.signed.user)}
    errors = {p.field: _said(questions[p.field], p.rule) for p in problems
              if p.field in questions}
    if errors:
        step = min((questions[path].step for path in errors), key=ORDER.index)
        return show_step(request, posted.signed, step, posted.answers,
                         {path: text for path, text in errors.items()
                          if questions[path].step is step}, checking=True)
    if error_type in (ErrorType.INVALID_INPUT, ErrorType.COMMAND_REFUSED):
        general = [_sentence(p.rule) for p in problems]
    else:
        log.warning("a start from the pages failed: %s", error_type)
        general = [_NOT_STARTED]
    return show_step(request, posted.signed, Step.check, posted.answers, checking=True,
                     general=general, request_id=request_id,
                     status_code=503 if error_type is ErrorType.UNAVAILABLE else 400)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _said(question: Question, rule: str) -> str:
    noun = question.noun[:1].upper() + question.noun[1:]
    return _sentence(f"{noun}: {rule}")


