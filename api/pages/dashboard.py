"""The page a signed-in user lands on, "What needs you", and its list as CSV.

One list of interventions from the read model, those needing attention first (`core.attention`):
a coordinator's own by default (or everyone's), a provider lead's provider's alone (with its
open actions), a dean's with escalations and closures awaiting approval first; panel members and
viewers read the whole list. Filters by state, type and provider come from a GET form whose
values are codes (`api.pages.list_query`); the counts by state follow the same filters but the
state. The CSV downloads take the same filters through the session, scoped as the API's exports
are, and change nothing, so a GET carries them safely.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine

from api.auth import Caller
from api.context import get_context
from api.downloads import csv_download
from api.pages.access import PageError, SignedInDep, page_caller
from api.pages.list_query import PAGE_SIZE, FieldError, ListQuery, Whose, read_query
from api.pages.rendering import Pages, words
from api.pages.urls import (
    DASHBOARD,
    DOWNLOAD_ACTIONS,
    DOWNLOAD_INTERVENTIONS,
    START,
    intervention_page,
)
from core.attention import (
    NextDue,
    Priority,
    count_by_state,
    count_open_actions,
    list_by_priority,
    next_due,
    open_actions,
    providers,
)
from core.read_model import ActionListed, count_interventions, list_actions, list_interventions
from core.sessions import SignedIn
from models.access import Operation, reach
from models.intervention import DeadlineKind, Ended, State
from models.tables import InterventionPublic
from models.vocabulary import Reach, Role

__all__ = ["pagination", "router", "waits_for"]

router = APIRouter(include_in_schema=False)

OPEN_ACTIONS_SHOWN = 25

# What a step's deadline waits for, as a person says it.
_WAITS_FOR = {
    DeadlineKind.convene_panel: "Panel to be convened",
    DeadlineKind.first_meeting: "First meeting",
    DeadlineKind.imr_response: "Response to an immediate mandatory requirement",
    DeadlineKind.draft_report: "Draft report",
    DeadlineKind.final_report: "Final report",
    DeadlineKind.action_plan: "Action plan",
}


def waits_for(due: NextDue | None) -> str:
    """What falls due on an intervention's next deadline, in words."""
    if due is None:
        return ""
    parts = [_WAITS_FOR[kind] for kind in dict.fromkeys(due.deadlines)]
    if due.actions:
        noun = "Action" if len(due.actions) == 1 else "Actions"
        parts.append(f"{noun} {', '.join(due.actions)}")
    return "; ".join(parts)


@dataclass(frozen=True)
class _Scope:
    """Who is asking, and the codes their filters may take."""

    caller: Caller
    types: dict[str, str]  # code: name
    providers: dict[str, str]  # code: name; a provider lead's own alone

    @property
    def role(self) -> Role:
        return self.caller.user.role


def _scope(request: Request, signed: SignedIn, operation: Operation) -> _Scope:
    caller = page_caller(request, signed, operation)
    context = get_context(request)
    own = caller.provider_scope
    choices = ({own: own} if own is not None
               else {p.code: p.name for p in providers(context.engine)})
    types = {code: t.name for code, t in sorted(context.catalogue.types.items(),
                                                 key=lambda item: item[1].name)}
    return _Scope(caller=caller, types=types, providers=choices)


def _read(request: Request, scope: _Scope) -> tuple[ListQuery, list[FieldError]]:
    return read_query(request.query_params, coordinator=scope.role is Role.coordinator,
                      types=scope.types, providers=scope.providers)


def _choices(scope: _Scope) -> dict[str, list[dict[str, str]]]:
    """Each filter's options, as the design system's select takes them."""

    def options(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
        return [{"value": value, "text": text} for value, text in pairs]

    return {
        "whose": options([(Whose.mine, "Mine"), (Whose.everyone, "Everyone's")]),
        "state": options((s.value, words(s)) for s in (*State, *Ended)),
        "type": options(scope.types.items()),
        "provider": options(scope.providers.items()),
    }


def _pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


@router.get(DASHBOARD)
def dashboard(request: Request, signed: SignedInDep) -> Response:
    scope = _scope(request, signed, Operation.read)
    query, errors = _read(request, scope)
    context = get_context(request)
    view: dict[str, Any] = {
        "title": "What needs you",
        "signed_in": signed,
        "role": scope.role.value,
        "query": query,
        "scope": scope,
        # The page number has no field of its own: its error leads to where the list would be.
        "errors": [{"text": e.text, "href": "#list" if e.field == "page" else f"#{e.field}"}
                   for e in errors],
        "field_errors": {e.field: e.text for e in errors},
        "choices": _choices(scope),
        "urls": {"dashboard": DASHBOARD, "start": START,
                 "interventions_csv": DOWNLOAD_INTERVENTIONS, "actions_csv": DOWNLOAD_ACTIONS},
        "operators": _operators(request, signed),
    }
    if errors:
        return _pages(request).render(request, "dashboard.jinja", view, status_code=400)
    view.update(_lists(context.engine, scope, query, datetime.now(UTC).date()))
    return _pages(request).render(request, "dashboard.jinja", view)


def _lists(engine: Engine, scope: _Scope, query: ListQuery, today: date) -> dict[str, Any]:
    where = query.where(scope.caller)
    if where is None:  # a provider lead asking for another provider's
        return {"rows": [], "total": 0, "pages": 0, "counts": [], "today": today}
    priority = Priority.approval if scope.role is Role.dean else Priority.attention
    rows = list_by_priority(engine, priority=priority, **where,
                            limit=PAGE_SIZE, offset=query.offset)
    total = count_interventions(engine, **where)
    unstated = {name: value for name, value in where.items() if name != "state"}
    due = next_due(engine, rows)
    pages = -(-total // PAGE_SIZE)
    lists: dict[str, Any] = {
        "rows": [_row(row, due.get(row.id), today) for row in rows],
        "total": total,
        "pages": pages,
        "pagination": pagination(query, pages),
        "counts": count_by_state(engine, today=today, **unstated),
        "today": today,
    }
    if scope.role is Role.provider_lead:
        lists["actions"] = [
            {**action.model_dump(), "name": action.reference or action.intervention_id,
             "href": intervention_page(action.reference or action.intervention_id)}
            for action in open_actions(engine, **where, limit=OPEN_ACTIONS_SHOWN)]
        lists["actions_total"] = count_open_actions(engine, **where)
    return lists


def pagination(query: ListQuery, pages: int) -> dict[str, Any] | None:
    """The design system's numbered pagination: the first and last pages, and those next to
    this one, with ellipses between; None when the list has one page."""
    if pages <= 1:
        return None
    current = query.page
    shown = sorted({1, pages, *range(max(1, current - 1), min(pages, current + 1) + 1)})
    items: list[dict[str, Any]] = []
    for number in shown:
        if items and number - items[-1]["number"] > 1:
            items.append({"ellipsis": True, "number": number - 1})
        items.append({"number": number, "href": f"{DASHBOARD}{query.query_string(page=number)}",
                      "current": number == current})
    link = {"previous": current - 1, "next": current + 1}
    return {
        "items": items,
        **{name: {"href": f"{DASHBOARD}{query.query_string(page=number)}"}
           for name, number in link.items() if 1 <= number <= pages},
    }


def _row(row: InterventionPublic, due: NextDue | None, today: date) -> dict[str, Any]:
    return {
        "item": row,
        "name": row.reference or row.id,
        "href": intervention_page(row.reference or row.id),
        "stalled": row.next_deadline is not None and row.next_deadline < today
        and not row.state.terminal,
        "waits_for": waits_for(due),
    }


def _operators(request: Request, signed: SignedIn) -> dict[str, Any] | None:
    """The Web UI link, for coordinators: where each intervention's workflow is seen."""
    if signed.user.role is not Role.coordinator:
        return None
    settings = get_context(request).settings
    namespace = settings.temporal_namespace or "default"
    return {"web_ui_url": f"{settings.resolved_ui_origin}/namespaces/{namespace}/workflows",
            # As the codec server decides: only those who may read every intervention.
            "opens_payloads": reach(signed.user.role, Operation.read) is Reach.all}


def _download_query(request: Request, signed: SignedIn) -> tuple[_Scope, ListQuery]:
    scope = _scope(request, signed, Operation.export)
    query, errors = _read(request, scope)
    if errors:
        raise PageError(400, "The download's filters are not right",
                        " ".join(f"{e.text}." for e in errors)
                        + " Go back to what needs you and choose the filters again.")
    return scope, query


@router.get(DOWNLOAD_INTERVENTIONS)
def download_interventions(request: Request, signed: SignedInDep) -> StreamingResponse:
    scope, query = _download_query(request, signed)
    return csv_download("interventions.csv", InterventionPublic, list_interventions,
                        get_context(request).engine, query.where(scope.caller))


@router.get(DOWNLOAD_ACTIONS)
def download_actions(request: Request, signed: SignedInDep) -> StreamingResponse:
    scope, query = _download_query(request, signed)
    return csv_download("actions.csv", ActionListed, list_actions,
                        get_context(request).engine, query.where(scope.caller))

