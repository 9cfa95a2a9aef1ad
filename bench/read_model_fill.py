"""A read model as a busy region's would be: N interventions across providers, types, states
and coordinators, some escalated, some with overdue actions, some past their deadline, with the
deadlines and actions behind them. Written in bulk (one INSERT of many rows per table), built
from the same row builders the page tests use (`tests.pages.rows`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, insert
from sqlmodel import SQLModel

from models.intervention import DeadlineKind, Ended, RecordedState, State
from models.tables import Action, Deadline, Intervention
from models.vocabulary import ActionStatus
from tests.pages.rows import action, deadline, intervention

__all__ = ["COORDINATOR", "PROVIDER", "Filled", "fill"]

COORDINATOR = "c.okafor"  # one of the coordinators; their own list is about 1 in 20
PROVIDER = "RXX01"  # one of the providers; its lead's list is about 1 in 40
_COORDINATORS = [COORDINATOR, *(f"coordinator.{n:02d}" for n in range(1, 20))]
_PROVIDERS = [PROVIDER, *(f"R{n:04d}" for n in range(1, 40))]
_TYPES = [("urgent_risk_review", "Urgent Risk Review"), ("programme_review", "Programme Review"),
          ("learner_educator_review", "Learner/Educator Review"),
          ("senior_leader_engagement", "Senior Leader Engagement"),
          ("specialty_expert_review", "Specialty / Expert Review"),
          ("sharing_good_practice", "Sharing Good Practice / Peer Review")]
# Most are open; a long-running service keeps its closed ones too.
_WEIGHTS: dict[RecordedState, int] = {
    State.planned: 3, State.panel_convened: 2, State.meetings_held: 2, State.report_issued: 2,
    State.actions_tracked: 4, State.closed: 6, State.cancelled: 1, Ended.outside: 1}
_STATES = [state for state, weight in _WEIGHTS.items() for _ in range(weight)]
_STEP_DEADLINE: dict[RecordedState, DeadlineKind] = {State.planned: DeadlineKind.convene_panel,
                  State.panel_convened: DeadlineKind.first_meeting,
                  State.meetings_held: DeadlineKind.draft_report,
                  State.report_issued: DeadlineKind.action_plan}


@dataclass(frozen=True)
class Filled:
    interventions: int
    actions: int
    deadlines: int


def _rows(number: int, today: date, rng: random.Random) -> Iterator[SQLModel]:
    state = rng.choice(_STATES)
    type_code, type_name = rng.choice(_TYPES)
    provider = _PROVIDERS[number % len(_PROVIDERS)]
    open_ = not state.terminal
    due = today + timedelta(days=rng.randint(-30, 90)) if open_ else None
    actions = rng.randint(2, 6) if state in (State.actions_tracked, State.closed) else 0
    overdue = rng.randint(1, 2) if state is State.actions_tracked and rng.random() < 0.2 else 0
    row = intervention(
        number, type_code=type_code, type_name=type_name, provider_code=provider,
        provider_name=f"Provider {provider} NHS Trust", state=state,
        coordinator=_COORDINATORS[number % len(_COORDINATORS)],
        escalated=open_ and rng.random() < 0.03, next_deadline=due,
        open_actions=actions if state is State.actions_tracked else 0,
        overdue_actions=overdue)
    yield row
    if due is not None and state in _STEP_DEADLINE:
        yield deadline(row, 1, _STEP_DEADLINE[state], due)
    for n in range(1, actions + 1):
        on = due if n == 1 and due else today + timedelta(days=rng.randint(-20, 120))
        yield action(row, n, on, status=ActionStatus.OPEN if open_ else ActionStatus.ACCEPTED)


def fill(engine: Engine, count: int, today: date, seed: int = 2027) -> Filled:
    """Write `count` interventions and their rows into an empty, migrated read model."""
    rng = random.Random(seed)
    tables: dict[type[SQLModel], list[dict[str, Any]]] = {
        Intervention: [], Deadline: [], Action: []}
    for number in range(1, count + 1):
        for row in _rows(number, today, rng):
            tables[type(row)].append(row.model_dump())
    with engine.begin() as db:
        for table, rows in tables.items():
            for start in range(0, len(rows), 2_000):
                db.execute(insert(table), rows[start:start + 2_000])
    return Filled(interventions=len(tables[Intervention]), actions=len(tables[Action]),
                  deadlines=len(tables[Deadline]))
