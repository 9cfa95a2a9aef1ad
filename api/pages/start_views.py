"""The start pages as they are shown: each step's page with the answers given so far and what
is wrong with them, where its form posts, its Back link, and on the check page every answer
with its Change button, the risk score and the planned schedule (`models.preview`) of the type
if it were started today."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response

from api.context import get_context
from api.pages.planned import by_deadline
from api.pages.rendering import Pages
from api.pages.risk import RiskCell, risk_cell, risk_grid
from api.pages.start_answers import Answers, describe_value, needs_justification, risk_of
from api.pages.start_questions import ORDER, Question, Step, asked, question_at
from api.pages.urls import START
from core.sessions import SignedIn
from models.catalogue import Catalogue
from models.preview import preview_type
from models.tables import ApiUserPublic

__all__ = ["CHANGE", "CONFIRM", "STEP_PATHS", "TITLES", "show_step"]

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


def show_step(request: Request, signed: SignedIn, step: Step, answers: Answers,
              errors: dict[str, str] | None = None, *, checking: bool = False,
              general: list[str] | None = None, request_id: str | None = None,
              status_code: int | None = None) -> Response:
    """The page of `step`, with the answers given so far and what is wrong with them (by field
    path; `general`, what is wrong with none in particular). The check page keeps the
    `request_id` it is given, else gets a new one."""
    errors = errors or {}
    context = get_context(request)
    catalogue = context.catalogue
    user = signed.user
    summary = [{"text": text, "href": f"#{question_at(path).id}"}
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
    pages: Pages = request.app.state.pages
    return pages.render(request, _TEMPLATES[step], page, status_code=status)


def _sections(questions: list[Question]) -> list[tuple[str, list[Question]]]:
    """The questions under their headings, in the order asked; the risk's under its own."""
    sections: dict[str, list[Question]] = {}
    for q in questions:
        heading = "Risk" if q.kind == "scale" else _SECTIONS.get(q.path.split(".")[0], _OTHER)
        sections.setdefault(heading, []).append(q)
    return list(sections.items())


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
