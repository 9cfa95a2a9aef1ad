"""References are given out once per intervention, unique and without gaps under concurrent
starts, on SQLite and PostgreSQL, and resolve back to their intervention."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from core.references import allocate_reference, resolve_intervention_id
from models.errors import ErrorType, InterventionError
from models.references import parse_reference

NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


def _ids(n: int) -> list[str]:
    return [f"intervention-{uuid.uuid4()}" for _ in range(n)]


def test_fifty_concurrent_starts_get_unique_numbers_without_gaps(engine: Engine) -> None:
    ids = _ids(50)
    with ThreadPoolExecutor(max_workers=16) as pool:
        references = list(pool.map(lambda i: allocate_reference(engine, i, NOW), ids))

    numbers = sorted(parse_reference(r) or (0, 0) for r in references)
    assert numbers == [(2027, n) for n in range(1, 51)]


def test_the_same_intervention_racing_itself_gets_one_reference_and_leaves_no_gap(
    engine: Engine,
) -> None:
    [same] = _ids(1)
    with ThreadPoolExecutor(max_workers=8) as pool:
        references = set(pool.map(lambda _: allocate_reference(engine, same, NOW), range(20)))
    after = allocate_reference(engine, _ids(1)[0], NOW)

    assert references == {"QI-2027-0001"}
    assert after == "QI-2027-0002"


def test_each_year_counts_from_one(engine: Engine) -> None:
    first = allocate_reference(engine, _ids(1)[0], NOW)
    next_year = allocate_reference(engine, _ids(1)[0], NOW.replace(year=2028))

    assert (first, next_year) == ("QI-2027-0001", "QI-2028-0001")


@pytest.mark.parametrize("typed", ["QI-2027-0001", "qi-2027-1", " QI-2027-00001 "])
def test_a_reference_resolves_to_its_intervention_however_it_is_typed(
    engine: Engine, typed: str
) -> None:
    [intervention_id] = _ids(1)
    allocate_reference(engine, intervention_id, NOW)

    assert resolve_intervention_id(engine, typed) == intervention_id
    assert resolve_intervention_id(engine, intervention_id) == intervention_id


@pytest.mark.parametrize(
    ("typed", "rule"),
    [
        ("QI-2027-0042", "no intervention QI-2027-0042"),
        ("not-an-id", "'not-an-id' is neither a reference (like QI-2027-0042) nor an "
         "intervention ID (like intervention-<uuid>)"),
        (str(uuid.UUID(int=1)), "intervention IDs start with intervention-"),
    ],
    ids=["unknown-reference", "neither", "bare-uuid"],
)
def test_what_names_no_intervention_is_an_unknown_reference(
    engine: Engine, typed: str, rule: str
) -> None:
    with pytest.raises(InterventionError) as raised:
        resolve_intervention_id(engine, typed)

    assert raised.value.error_type is ErrorType.UNKNOWN_REFERENCE
    assert [(p.field, p.rule) for p in raised.value.problems] == [("intervention_id", rule)]
