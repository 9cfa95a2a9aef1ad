"""The read model as the pages' dashboard asks it: interventions in the order they need
attention, how many are in each state, what each one's next deadline is for, the providers to
filter by, and a provider's open actions.

Each answer is one SQL statement, ordered and counted by the database, with the list's own
filters (`core.read_model.filter_clauses`, on the intervention table's indexes). Child rows are
reached through their primary keys, which lead with the intervention's ID.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Engine, and_, case, func, nulls_last
from sqlmodel import col, select

from core.database import session
from core.read_model import check_page, filter_clauses
from models.intervention import DeadlineKind, Ended, RecordedState, State, recorded_state
from models.tables import Action, Deadline, Intervention, InterventionPublic
from models.vocabulary import ActionStatus

__all__ = [
    "NextDue",
    "OpenAction",
    "Priority",
    "ProviderChoice",
    "StateCount",
    "count_by_state",
    "count_open_actions",
    "list_by_priority",
    "next_due",
    "open_actions",
    "providers",
]

# The lifecycle's open states; every other recorded state has ended.
_OPEN = [s.value for s in State if not s.terminal]


class Priority(StrEnum):
    """Which open interventions a list puts first. Ended ones follow every open one, newest
    first: they need nobody."""

    # Escalated, then with overdue actions; then the soonest due, which puts those past their
    # next deadline (stalled) first.
    attention = "attention"
    # Escalated, then awaiting closure approval (actions_tracked); then as `attention`.
    approval = "approval"


def _first(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 0), else_=1)


def _is_open() -> ColumnElement[bool]:
    return col(Intervention.state).in_(_OPEN)


def _stalled(today: date) -> ColumnElement[bool]:
    return and_(col(Intervention.next_deadline) < today, _is_open())


def _escalated() -> ColumnElement[bool]:
    return col(Intervention.escalated).is_(True)


# Newest first, the ID breaking ties so pages never overlap (as the plain list).
_NEWEST = (col(Intervention.started_at).desc(), col(Intervention.id).desc())


def _open_order(priority: Priority) -> list[Any]:
    approval = ([_first(col(Intervention.state) == State.actions_tracked.value)]
                if priority is Priority.approval else [])
    return [_first(_escalated()), *approval, _first(col(Intervention.overdue_actions) > 0),
            nulls_last(col(Intervention.next_deadline).asc()), *_NEWEST]


def list_by_priority(
    engine: Engine,
    *,
    priority: Priority = Priority.attention,
    state: RecordedState | str | None = None,
    type_code: str | None = None,
    provider_code: str | None = None,
    coordinator: str | None = None,
    limit: int = 25,
    offset: int = 0,
) -> list[InterventionPublic]:
    """One page of the interventions the filters match, those needing attention first.

    The open ones are ordered by the database, IDs alone (a narrow sort of the open rows, not
    of every row the service ever held); the ended ones after them walk the started_at index.
    The page's rows are then read by primary key."""
    check_page(limit, offset)
    where = filter_clauses(state, type_code, provider_code, coordinator)
    key = col(Intervention.id)
    with session(engine) as db:
        opened = int(db.exec(select(func.count()).select_from(Intervention)
                             .where(*where, _is_open())).one())
        ids: list[str] = []
        if offset < opened:
            ids += db.exec(select(key).where(*where, _is_open())
                           .order_by(*_open_order(priority)).limit(limit).offset(offset))
        if len(ids) < limit:
            ids += db.exec(select(key).where(*where, col(Intervention.state).not_in(_OPEN))
                           .order_by(*_NEWEST).limit(limit - len(ids))
                           .offset(max(0, offset - opened)))
        rows = {row.id: row for row in db.exec(
            select(Intervention).where(key.in_(ids)))} if ids else {}
        return [InterventionPublic.model_validate(rows[i]) for i in ids]


class StateCount(BaseModel):
    """How many interventions are in one state, and how many of those need attention."""

    state: RecordedState
    total: int
    escalated: int
    overdue: int  # with overdue actions
    stalled: int  # past their next deadline


def _how_many(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def count_by_state(
    engine: Engine,
    *,
    today: date,
    type_code: str | None = None,
    provider_code: str | None = None,
    coordinator: str | None = None,
) -> list[StateCount]:
    """The interventions the filters match, counted by state in lifecycle order; a state
    without any is left out."""
    query = (
        sa.select(
            col(Intervention.state),
            func.count(),
            _how_many(_escalated()),
            _how_many(col(Intervention.overdue_actions) > 0),
            _how_many(_stalled(today)),
        )
        .where(*filter_clauses(None, type_code, provider_code, coordinator))
        .group_by(col(Intervention.state))
    )
    with engine.connect() as db:
        counts = [StateCount(state=recorded_state(state), total=total, escalated=escalated,
                             overdue=overdue, stalled=stalled)
                  for state, total, escalated, overdue, stalled in db.execute(query)]
    order = [*State, *Ended]
    return sorted(counts, key=lambda c: order.index(c.state))


class NextDue(BaseModel):
    """What an intervention's next deadline is for: deadlines of its steps, or its actions'
    due dates (both, when they fall on the same day)."""

    deadlines: list[DeadlineKind] = []
    actions: list[str] = []  # action IDs


def next_due(engine: Engine, interventions: Sequence[InterventionPublic]) -> dict[str, NextDue]:
    """For each of `interventions` (one page) that has a next deadline, what falls due then."""
    ids = [i.id for i in interventions if i.next_deadline is not None]
    if not ids:
        return {}
    owner = col(Intervention.id)
    deadlines = (
        select(col(Deadline.intervention_id), col(Deadline.kind))
        .join(Intervention, and_(owner == col(Deadline.intervention_id),
                                 col(Intervention.next_deadline) == col(Deadline.due_on)))
        .where(col(Deadline.intervention_id).in_(ids), col(Deadline.met_on).is_(None))
        .order_by(col(Deadline.intervention_id), col(Deadline.seq))
    )
    actions = (
        select(col(Action.intervention_id), col(Action.id))
        .join(Intervention, and_(owner == col(Action.intervention_id),
                                 col(Intervention.next_deadline) == col(Action.due_on)))
        .where(col(Action.intervention_id).in_(ids),
               col(Action.status) == ActionStatus.OPEN.value)
        .order_by(col(Action.intervention_id), func.length(col(Action.id)), col(Action.id))
    )
    found: dict[str, NextDue] = {}
    with session(engine) as db:
        for intervention_id, kind in db.exec(deadlines):
            found.setdefault(intervention_id, NextDue()).deadlines.append(DeadlineKind(kind))
        for intervention_id, action_id in db.exec(actions):
            found.setdefault(intervention_id, NextDue()).actions.append(action_id)
    return found


class ProviderChoice(BaseModel):
    code: str
    name: str


def providers(engine: Engine) -> list[ProviderChoice]:
    """Every provider with an intervention in the read model, by name: the codes from the
    provider_code index, and each one's name from one of its interventions (a provider's
    interventions all carry the name it was started with)."""
    codes = select(col(Intervention.provider_code)).distinct().subquery()
    name = (select(col(Intervention.provider_name))
            .where(col(Intervention.provider_code) == codes.c.provider_code)
            .limit(1)
            .scalar_subquery())
    query = select(codes.c.provider_code, name).order_by(name, codes.c.provider_code)
    with session(engine) as db:
        return [ProviderChoice(code=code, name=label) for code, label in db.exec(query)]


class OpenAction(BaseModel):
    """An open action, with the intervention it belongs to as a page names it."""

    intervention_id: str
    reference: str | None
    id: str
    description: str
    owner_name: str
    due_on: date


def _open_actions(
    state: RecordedState | str | None, type_code: str | None, provider_code: str | None,
    coordinator: str | None,
) -> list[ColumnElement[bool]]:
    return [col(Action.status) == ActionStatus.OPEN.value,
            *filter_clauses(state, type_code, provider_code, coordinator)]


def open_actions(
    engine: Engine,
    *,
    state: RecordedState | str | None = None,
    type_code: str | None = None,
    provider_code: str | None = None,
    coordinator: str | None = None,
    limit: int = 25,
    offset: int = 0,
) -> list[OpenAction]:
    """One page of the open actions of the interventions the filters match, soonest due
    first."""
    check_page(limit, offset)
    query = (
        sa.select(col(Action.intervention_id), col(Intervention.reference), col(Action.id),
                  col(Action.description), col(Action.owner_name), col(Action.due_on))
        .join(Intervention, col(Intervention.id) == col(Action.intervention_id))
        .where(*_open_actions(state, type_code, provider_code, coordinator))
        .order_by(col(Action.due_on), col(Intervention.started_at).desc(),
                  col(Intervention.id).desc(), func.length(col(Action.id)), col(Action.id))
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as db:
        return [OpenAction(intervention_id=intervention_id, reference=reference, id=action_id,
                           description=text, owner_name=owner, due_on=due)
                for intervention_id, reference, action_id, text, owner, due in db.execute(query)]


def count_open_actions(
    engine: Engine,
    *,
    state: RecordedState | str | None = None,
    type_code: str | None = None,
    provider_code: str | None = None,
    coordinator: str | None = None,
) -> int:
    query = (
        select(func.count())
        .select_from(Action)
        .join(Intervention, col(Intervention.id) == col(Action.intervention_id))
        .where(*_open_actions(state, type_code, provider_code, coordinator))
    )
    with session(engine) as db:
        return int(db.exec(query).one())
