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
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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
from api.pages.planned import by_deadline
from api.pages.rendering import Pages
from api.pages.risk import RiskCell, risk_cell, risk_grid
from api.pages.routes import checked_session
from api.pages.start_form import (
    ORDER,
    Answers,
    Question,
    Step,
    asked,
    check_answers,
    describe_value,
    needs_justification,
    read_answers,
    risk_of,
    start_body,
)
from api.pages.urls import START, intervention_page
from core.sessions import SignedIn
from models.access import Operation
from models.catalogue import Catalogue
from models.errors import ErrorType, Problem, ProblemError
from models.preview import preview_type
from models.tables import ApiUserPublic

__all__ = ["CHANGE", "CONFIRM", "STEP_PATHS", "router"]

log = logging.getLogger("qi.api")

router = APIRouter(include_in_schema=False)

# Where each step's answers are posted.
STEP_PATHS: dict[Step, str] = {step: f"{START}/{step.value}" for step in ORDER
                               if step is not Step.check}
CHANGE = f"{START}/change"
CONFIRM = f"{START}/confirm"

TITLES = {
    Step.type: "Choose the type of intervention",
    Step.details: "Provider and concern",
    Step.justification: "Why does this concern need an intervention?",
    Step.check: "Check your answers before starting",
}
_TEMPLATES = {step: f"start_{step.value}.jinja" for step in ORDER}
# The headings questions are grouped under, by the first part of their path.
_SECTIONS = {"type": "Intervention", "provider": "Placement provider", "concern": "The concern",
             "coordinator_email": "You"}
_OTHER = "Other details"
_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{32}")


def _pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


@router.get(START)
async def choose_type(request: Request, signed: SignedInDep) -> Response:
    page_caller(request, signed, Operation.start)
    return _show(request, signed, Step.type, {})


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
        return _show(request, posted.signed, refusal.step, posted.answers, refusal.errors,
                     checking=posted.checking)
    following = _next_step(step, posted.answers, request, posted)
    return _show(request, posted.signed, following, posted.answers, checking=posted.checking)


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
    return _show(request, posted.signed, step, posted.answers, checking=posted.checking)


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
        return _show(request, posted.signed, refusal.step, posted.answers, refusal.errors,
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
        return _show(request, posted.signed, step, posted.answers,
                     {path: text for path, text in errors.items()
                      if questions[path].step is step}, checking=True)
    if error_type in (ErrorType.INVALID_INPUT, ErrorType.COMMAND_REFUSED):
        general = [_sentence(p.rule) for p in problems]
    else:
        log.warning("a start from the pages failed: %s", error_type)
        general = [_NOT_STARTED]
    return _show(request, posted.signed, Step.check, posted.answers, checking=True,
                 general=general, request_id=request_id, status_code=503
                 if error_type is ErrorType.UNAVAILABLE else 400)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _said(question: Question, rule: str) -> str:
    noun = question.noun[:1].upper() + question.noun[1:]
    return _sentence(f"{noun}: {rule}")


def _show(request: Request, signed: SignedIn, step: Step, answers: Answers,
          errors: dict[str, str] | None = None, *, checking: bool = False,
          general: list[str] | None = None, request_id: str | None = None,
          status_code: int | None = None) -> Response:
    """The page of `step`, with the answers given so far and what is wrong with them."""
    errors = errors or {}
    context = get_context(request)
    catalogue = context.catalogue
    user = signed.user
    summary = [{"text": text, "href": f"#{_question(user, path).id}"}
               for path, text in errors.items()]
    summary += [{"text": text, "href": "#start-intervention"} for text in general or []]
    page: dict[str, Any] = {
        "title": TITLES[step],
        "signed_in": signed,
        "user": user,
        "step": step.value,
        "errors": summary,
        "field_errors": errors,
        "answers": answers,
        "questions": asked(user, step),
        "carried": [q for q in asked(user) if q.step is not step and q.path in answers],
        "checking": checking,
        "action": STEP_PATHS.get(step, CONFIRM),
        "change_path": CHANGE,
        "back": _back(step, answers, request),
        "types": catalogue.active(),
        "bands": catalogue.risk_bands,
    }
    risk = risk_of(answers)
    if risk is not None:
        page["cell"] = risk_cell(catalogue.risk_bands, *risk, chosen=True)
    if step is Step.details:
        page["grid"] = risk_grid(catalogue.risk_bands, risk)
        page["sections"] = _sections(page["questions"])
    if step is Step.check:
        page.update(_check_page(request, user, answers, request_id))
    status = status_code or (400 if summary else 200)
    return _pages(request).render(request, _TEMPLATES[step], page, status_code=status)


def _sections(questions: list[Question]) -> list[tuple[str, list[Question]]]:
    """The questions under their headings, in the order asked; the risk's under its own."""
    sections: dict[str, list[Question]] = {}
    for q in questions:
        heading = "Risk" if q.kind == "scale" else _SECTIONS.get(q.path.split(".")[0], _OTHER)
        sections.setdefault(heading, []).append(q)
    return list(sections.items())


def _question(user: ApiUserPublic, path: str) -> Question:
    return next(q for q in asked(user) if q.path == path)


def _back(step: Step, answers: Answers, request: Request) -> str | None:
    """The step before `step` that was asked, if any."""
    bands = get_context(request).catalogue.risk_bands
    earlier = [s for s in ORDER[:ORDER.index(step)]
               if s is not Step.justification or needs_justification(answers, bands)]
    return earlier[-1].value if earlier else None


@dataclass(frozen=True)
class _Row:
    """A row of the check page: an answer (with its question, to change it) or what follows
    from the answers (the risk score, the coordinator)."""

    label: str
    value: str = ""
    question: Question | None = None
    cell: RiskCell | None = None


def _check_sections(user: ApiUserPublic, answers: Answers,
                    catalogue: Catalogue) -> list[tuple[str, list[_Row]]]:
    bands = catalogue.risk_bands
    sections: dict[str, list[_Row]] = {}
    for q in asked(user):
        if q.step is Step.justification and not needs_justification(answers, bands):
            continue
        heading = _SECTIONS.get(q.path.split(".")[0], _OTHER)
        sections.setdefault(heading, []).append(
            _Row(q.key, describe_value(q, answers, catalogue), question=q))
        risk = risk_of(answers)
        if q.path == "concern.impact" and risk is not None:
            sections[heading].append(_Row("Risk score", cell=risk_cell(bands, *risk)))
    you = sections.setdefault(_SECTIONS["coordinator_email"], [])
    you.insert(0, _Row("Coordinator", user.name))
    if user.email is not None:
        you.append(_Row("Your email address", user.email))
    return list(sections.items())


def _check_page(request: Request, user: ApiUserPublic, answers: Answers,
                request_id: str | None) -> dict[str, Any]:
    catalogue = get_context(request).catalogue
    kind = next(t for t in catalogue.active() if t.code == answers["type"])
    today = datetime.now(UTC).date()  # the day the service counts a start from
    deadlines, others = by_deadline(preview_type(kind, today))
    return {
        "kind": kind,
        "sections": _check_sections(user, answers, catalogue),
        "today": today,
        "deadlines": deadlines,
        "other_items": others,
        "request_id": request_id or secrets.token_urlsafe(24),
    }
