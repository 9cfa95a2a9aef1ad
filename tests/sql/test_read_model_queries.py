"""Read-model queries: filters a coordinator uses, newest first, in pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from core.read_model import (
    audit_trail,
    count_interventions,
    get_intervention,
    list_interventions,
)
from models.errors import ProblemError
from models.intervention import Finding, State
from models.tables import InterventionPublic
from models.vocabulary import FindingCategory
from tests.snapshots import START, TODAY, record, snapshot

# (id, type, provider, audit entries -> state), started one day apart in this order.
SEED = [
    ("urgent-1", "urgent_risk_review", "RXX01", 1),
    ("urgent-2", "urgent_risk_review", "RYY02", 2),
    ("programme-1", "programme_review", "RXX01", 1),
    ("urgent-3", "urgent_risk_review", "RXX01", 6),
    ("learner-1", "learner_educator_review", "RYY02", 1),
]


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    for day, (intervention_id, type_code, provider, entries) in enumerate(SEED):
        record(
            engine,
            snapshot(
                intervention_id,
                entries=entries,
                type_code=type_code,
                provider_code=provider,
                started_at=START + timedelta(days=day),
            ),
        )
    return engine


def _ids(rows: list[InterventionPublic]) -> list[str]:
    return [r.id for r in rows]


def test_list_is_newest_first(seeded: Engine) -> None:
    rows = list_interventions(seeded)

    assert _ids(rows) == ["learner-1", "urgent-3", "programme-1", "urgent-2", "urgent-1"]
    assert all(isinstance(r, InterventionPublic) for r in rows)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"state": "planned"}, ["learner-1", "programme-1", "urgent-1"]),
        ({"state": State.closed}, ["urgent-3"]),
        ({"type_code": "urgent_risk_review"}, ["urgent-3", "urgent-2", "urgent-1"]),
        ({"provider_code": "RYY02"}, ["learner-1", "urgent-2"]),
        (
            {"state": "planned", "type_code": "urgent_risk_review", "provider_code": "RXX01"},
            ["urgent-1"],
        ),
        ({"provider_code": "NOPE"}, []),
    ],
)
def test_filters_combine(seeded: Engine, filters: dict[str, str], expected: list[str]) -> None:
    assert _ids(list_interventions(seeded, **filters)) == expected  # type: ignore[arg-type]
    assert count_interventions(seeded, **filters) == len(expected)  # type: ignore[arg-type]


def test_pages_cover_every_row_once(seeded: Engine) -> None:
    pages = [list_interventions(seeded, limit=2, offset=offset) for offset in (0, 2, 4, 6)]

    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert [i for page in pages for i in _ids(page)] == _ids(list_interventions(seeded))


def test_unknown_state_is_refused_with_the_known_ones(seeded: Engine) -> None:
    with pytest.raises(ProblemError, match=r"unknown state 'plannd'; known: planned, "):
        list_interventions(seeded, state="plannd")


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (501, 0), (10, -1)])
def test_page_bounds_are_checked(seeded: Engine, limit: int, offset: int) -> None:
    with pytest.raises(ProblemError):
        list_interventions(seeded, limit=limit, offset=offset)


def test_get_intervention_returns_detail_or_none(seeded: Engine) -> None:
    detail = get_intervention(seeded, "urgent-3")

    assert detail is not None
    assert (detail.state, detail.version, detail.type_code) == (
        State.closed,
        6,
        "urgent_risk_review",
    )
    assert get_intervention(seeded, "missing") is None


def test_child_rows_keep_the_workflow_order(engine: Engine) -> None:
    findings = [
        Finding(
            id=f"F{n}",
            category=FindingCategory.RECOMMENDATION,
            text=f"Finding {n}",
            raised_on=TODAY,
        )
        for n in range(1, 12)
    ]
    record(engine, snapshot("ordered", entries=4, findings=findings))

    detail = get_intervention(engine, "ordered")

    assert detail is not None
    assert [f.id for f in detail.findings] == [f"F{n}" for n in range(1, 12)]


def test_audit_trail_is_ordered_and_scoped(seeded: Engine) -> None:
    trail = audit_trail(seeded, "urgent-3")

    assert [e.seq for e in trail] == [1, 2, 3, 4, 5, 6]
    assert {e.intervention_id for e in trail} == {"urgent-3"}
    assert trail[-1].to_state is State.closed
    assert audit_trail(seeded, "missing") == []
