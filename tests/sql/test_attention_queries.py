"""The dashboard's queries (`core.attention`) order, count and look up alike on SQLite and
PostgreSQL: booleans, CASE, NULLS LAST and GROUP BY are where the two differ."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from core.attention import (
    NextDue,
    Priority,
    StateCount,
    count_by_state,
    count_open_actions,
    list_by_priority,
    next_due,
    open_actions,
    providers,
)
from core.read_model import count_interventions, list_interventions
from models.errors import ProblemError
from models.intervention import DeadlineKind, Ended, State
from models.vocabulary import ActionStatus
from tests.pages.rows import action, deadline, intervention, write

TODAY = date(2027, 3, 1)


def _day(n: int) -> date:
    return TODAY + timedelta(days=n)


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    first = intervention(1, next_deadline=_day(3))
    tracked = intervention(2, state=State.actions_tracked, next_deadline=_day(9))
    write(engine, [
        first, tracked,
        intervention(3, escalated=True, next_deadline=_day(30)),
        intervention(4, overdue_actions=1, next_deadline=_day(20), provider_code="RYY02",
                     provider_name="Avon Trust"),
        intervention(5, next_deadline=_day(-1), coordinator="a.other"),
        intervention(6, state=State.closed, escalated=True, next_deadline=_day(-5)),
        intervention(7, state=Ended.outside),
        intervention(8),
        deadline(first, 1, DeadlineKind.convene_panel, _day(3)),
        deadline(first, 2, DeadlineKind.first_meeting, _day(3), met_on=_day(-2)),
        action(tracked, 10, _day(9)),
        action(tracked, 2, _day(9)),
        action(tracked, 3, _day(-4)),
        action(tracked, 4, _day(9), status=ActionStatus.TRANSFERRED),
    ])
    return engine


def _numbers(engine: Engine, **filters: object) -> list[int]:
    rows = list_by_priority(engine, **filters)  # type: ignore[arg-type]
    return [int(r.id.rsplit("-", 1)[1]) for r in rows]


def test_attention_puts_escalated_overdue_stalled_first_and_ended_ones_last_newest_first(
    seeded: Engine,
) -> None:
    assert _numbers(seeded) == [3, 4, 5, 1, 2, 8, 7, 6]


def test_approval_puts_actions_tracked_after_escalated(seeded: Engine) -> None:
    assert _numbers(seeded, priority=Priority.approval) == [3, 2, 4, 5, 1, 8, 7, 6]


def test_priority_lists_take_the_lists_filters(seeded: Engine) -> None:
    assert _numbers(seeded, coordinator="a.other") == [5]
    assert _numbers(seeded, provider_code="RYY02") == [4]
    assert _numbers(seeded, state="planned", coordinator="c.okafor") == [3, 4, 1, 8]
    assert count_interventions(seeded, coordinator="c.okafor") == 7
    assert len(list_interventions(seeded, coordinator="c.okafor", limit=500)) == 7


@pytest.mark.parametrize("size", [1, 2, 3, 5, 6, 7])
def test_priority_pages_cover_every_row_once_across_open_and_ended(
    seeded: Engine, size: int
) -> None:
    # Six open, two ended: pages end inside the open ones, at their end, and past it.
    pages = [list_by_priority(seeded, limit=size, offset=o) for o in range(0, 10, size)]

    assert [r.id for p in pages for r in p] == [r.id for r in list_by_priority(seeded)]
    assert len({r.id for p in pages for r in p}) == 8
    with pytest.raises(ProblemError):
        list_by_priority(seeded, limit=0)


def test_counts_by_state_in_lifecycle_order(seeded: Engine) -> None:
    assert count_by_state(seeded, today=TODAY) == [
        StateCount(state=State.planned, total=5, escalated=1, overdue=1, stalled=1),
        StateCount(state=State.actions_tracked, total=1, escalated=0, overdue=0, stalled=0),
        StateCount(state=State.closed, total=1, escalated=1, overdue=0, stalled=0),
        StateCount(state=Ended.outside, total=1, escalated=0, overdue=0, stalled=0),
    ]
    assert count_by_state(seeded, today=TODAY, provider_code="NONE") == []


def test_next_due_names_what_falls_due_on_the_next_deadline(seeded: Engine) -> None:
    page = list_by_priority(seeded)

    due = next_due(seeded, page)

    assert due == {
        "urgent-risk-review-00001": NextDue(deadlines=[DeadlineKind.convene_panel]),
        "urgent-risk-review-00002": NextDue(actions=["A2", "A10"]),
    }
    assert next_due(seeded, []) == {}


def test_open_actions_soonest_first_with_their_intervention(seeded: Engine) -> None:
    actions = open_actions(seeded, provider_code="RXX01")

    assert [(a.reference, a.id, a.due_on) for a in actions] == [
        ("QI-2027-0002", "A3", _day(-4)), ("QI-2027-0002", "A2", _day(9)),
        ("QI-2027-0002", "A10", _day(9))]
    assert count_open_actions(seeded, provider_code="RXX01") == 3
    assert open_actions(seeded, provider_code="RYY02") == []
    assert count_open_actions(seeded, provider_code="RYY02") == 0


def test_providers_by_name(seeded: Engine) -> None:
    assert [(p.code, p.name) for p in providers(seeded)] == [
        ("RYY02", "Avon Trust"), ("RXX01", "Northshire Hospitals NHS Trust")]
