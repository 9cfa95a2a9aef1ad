"""Read-side queries over the read model, for the CLI, the HTTP API and the pages.

Everything returned is a public model detached from the session; table objects never leave.
The read model lags the workflows by one activity: use the workflow's query for the latest.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Engine, func
from sqlmodel import SQLModel, col, select

from core.database import session
from models.errors import Problem, ProblemError
from models.intervention import Ended, RecordedState, State, recorded_state
from models.tables import (
    Action,
    ActionPublic,
    AuditEntry,
    AuditEntryPublic,
    Deadline,
    Finding,
    Intervention,
    InterventionDetail,
    InterventionPublic,
    Meeting,
    PanelMember,
)

__all__ = [
    "MAX_PAGE",
    "ActionListed",
    "audit_trail",
    "check_page",
    "count_interventions",
    "filter_clauses",
    "get_intervention",
    "list_actions",
    "list_interventions",
]

MAX_PAGE = 500


def _state(value: RecordedState | str) -> RecordedState:
    try:
        return recorded_state(value)
    except ValueError:
        known = ", ".join(s.value for s in (*State, *Ended))
        raise ProblemError(
            [Problem(field="state", rule=f"unknown state {value!r}; known: {known}")]
        ) from None


def filter_clauses(
    state: RecordedState | str | None = None,
    type_code: str | None = None,
    provider_code: str | None = None,
    coordinator: str | None = None,
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the list's filters, which combine with AND; an unknown state is a
    problem naming `state`."""
    clauses: list[ColumnElement[bool]] = []
    if state is not None:
        clauses.append(col(Intervention.state) == _state(state).value)
    if type_code is not None:
        clauses.append(col(Intervention.type_code) == type_code)
    if provider_code is not None:
        clauses.append(col(Intervention.provider_code) == provider_code)
    if coordinator is not None:
        clauses.append(col(Intervention.coordinator) == coordinator)
    return clauses


def check_page(limit: int, offset: int) -> None:
    """A problem naming `limit` or `offset` when the page asked for is out of bounds."""
    problems = []
    if not 1 <= limit <= MAX_PAGE:
        problems.append(Problem(field="limit", rule=f"must be between 1 and {MAX_PAGE}"))
    if offset < 0:
        problems.append(Problem(field="offset", rule="must not be negative"))
    if problems:
        raise ProblemError(problems)


def list_interventions(
    engine: Engine,
    *,
    state: RecordedState | str | None = None,
    type_code: str | None = None,
    provider_code: str | None = None,
    coordinator: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[InterventionPublic]:
    """One page of interventions, newest started first; filters combine with AND."""
    check_page(limit, offset)
    query = (
        select(Intervention)
        .where(*filter_clauses(state, type_code, provider_code, coordinator))
        # id breaks ties so pages never overlap or skip rows started at the same instant.
        .order_by(col(Intervention.started_at).desc(), col(Intervention.id).desc())
        .limit(limit)
        .offset(offset)
    )
    with session(engine) as db:
        return [InterventionPublic.model_validate(row) for row in db.exec(query)]


def count_interventions(
    engine: Engine,
    *,
    state: RecordedState | str | None = None,
    type_code: str | None = None,
    provider_code: str | None = None,
    coordinator: str | None = None,
) -> int:
    """How many interventions the same filters match, for paging."""
    query = select(func.count()).select_from(Intervention)
    query = query.where(*filter_clauses(state, type_code, provider_code, coordinator))
    with session(engine) as db:
        return int(db.exec(query).one())


def _children(db: Any, table: type[SQLModel], intervention_id: str) -> list[Any]:
    """Child rows in the workflow's order: by position, or by id ("A2" before "A10")."""
    columns = table.__table__.c  # type: ignore[attr-defined]
    rows = list(db.exec(select(table).where(columns.intervention_id == intervention_id)))
    if "seq" in columns:
        return sorted(rows, key=lambda r: r.seq)
    # Ids are a letter and a counter (models.changes), so shorter means earlier.
    return sorted(rows, key=lambda r: (len(r.id), r.id))


def get_intervention(engine: Engine, intervention_id: str) -> InterventionDetail | None:
    """One intervention with its panel, meetings, findings, actions and deadlines."""
    with session(engine) as db:
        row = db.get(Intervention, intervention_id)
        if row is None:
            return None
        return InterventionDetail.model_validate(
            {
                **{name: getattr(row, name) for name in InterventionPublic.model_fields},
                "panel": _children(db, PanelMember, intervention_id),
                "meetings": _children(db, Meeting, intervention_id),
                "findings": _children(db, Finding, intervention_id),
                "actions": _children(db, Action, intervention_id),
                "deadlines": _children(db, Deadline, intervention_id),
            }
        )


def audit_trail(engine: Engine, intervention_id: str) -> list[AuditEntryPublic]:
    """Every recorded transition and command of one intervention, oldest first."""
    query = (
        select(AuditEntry)
        .where(col(AuditEntry.intervention_id) == intervention_id)
        .order_by(col(AuditEntry.seq))
    )
    with session(engine) as db:
        return [AuditEntryPublic.model_validate(row) for row in db.exec(query)]


class ActionListed(ActionPublic):
    """An action with the intervention it belongs to, for lists across interventions."""

    intervention_id: str
    provider_code: str
    type_code: str


def list_actions(
    engine: Engine,
    *,
    state: RecordedState | str | None = None,
    type_code: str | None = None,
    provider_code: str | None = None,
    coordinator: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[ActionListed]:
    """One page of the actions of the interventions the filters match, in intervention order
    (newest started first), then by action id."""
    check_page(limit, offset)
    query = (
        select(Action, Intervention)
        .join(Intervention, col(Action.intervention_id) == col(Intervention.id))
        .where(*filter_clauses(state, type_code, provider_code, coordinator))
        .order_by(
            col(Intervention.started_at).desc(),
            col(Intervention.id).desc(),
            func.length(col(Action.id)),
            col(Action.id),
        )
        .limit(limit)
        .offset(offset)
    )
    with session(engine) as db:
        return [
            ActionListed.model_validate(
                {
                    **{name: getattr(action, name) for name in ActionPublic.model_fields},
                    "intervention_id": row.id,
                    "provider_code": row.provider_code,
                    "type_code": row.type_code,
                }
            )
            for action, row in db.exec(query)
        ]
