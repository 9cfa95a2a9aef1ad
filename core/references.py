"""Give each new intervention its reference (QI-2027-0042) from the read model's database, and
find the intervention a reference names.

A reference is allocated in one transaction that bumps the year's counter and records which
intervention the number names. Concurrent starts queue on the counter's row (PostgreSQL's row
lock, SQLite's write lock), so numbers are unique; a start that loses a race for the same
intervention ID rolls its bump back and reads the winner's reference, so a retried start keeps
its reference and leaves no gap. The one gap: a start without a request ID whose reference was
allocated but whose workflow never started (Temporal unreachable); its retry is a new
intervention, with the next number.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection, Engine, select
from sqlmodel import col

from core.database import dialect_insert
from models.errors import ErrorType, InterventionError, Problem
from models.references import format_reference, parse_reference
from models.tables import InterventionReference, ReferenceCounter

__all__ = ["ID_PREFIX", "allocate_reference", "resolve_intervention_id"]

ID_PREFIX = "intervention-"


def allocate_reference(engine: Engine, intervention_id: str, now: datetime) -> str:
    """The reference of `intervention_id`: the one it already has, else the next in `now`'s
    year. Safe to call again and from many processes at once."""
    known = _reference_of(engine, intervention_id)
    if known is not None:
        return known
    insert = dialect_insert(engine)
    with engine.connect() as conn:
        # A write first: it takes the lock (SQLite in WAL mode would otherwise fail at once).
        bump = insert(ReferenceCounter).values(year=now.year, last=1)
        bump = bump.on_conflict_do_update(
            index_elements=["year"], set_={"last": col(ReferenceCounter.last) + 1}
        ).returning(col(ReferenceCounter.last))
        number = conn.execute(bump).scalar_one()
        reference = format_reference(now.year, number)
        claim = insert(InterventionReference).values(
            intervention_id=intervention_id, reference=reference, issued_at=now
        ).on_conflict_do_nothing(index_elements=["intervention_id"])
        if conn.execute(claim.returning(col(InterventionReference.reference))).first():
            conn.commit()
            return reference
        conn.rollback()  # the same intervention got one meanwhile: give the number back
        known = _reference_of(conn, intervention_id)
    assert known is not None, "the row that conflicted is committed"
    return known


def _reference_of(engine: Engine | Connection, intervention_id: str) -> str | None:
    query = select(col(InterventionReference.reference)).where(
        col(InterventionReference.intervention_id) == intervention_id
    )
    if isinstance(engine, Connection):
        return engine.execute(query).scalar_one_or_none()
    with engine.connect() as conn:
        return conn.execute(query).scalar_one_or_none()


def _unknown(rule: str) -> InterventionError:
    return InterventionError(
        [Problem(field="intervention_id", rule=rule)], ErrorType.UNKNOWN_REFERENCE
    )


def resolve_intervention_id(engine: Engine | None, given: str) -> str:
    """The workflow ID for what someone typed: a reference (QI-2027-0042, any case) or the
    full ID (intervention-<uuid>). Raises UnknownReference for a reference no intervention
    has, or for something that is neither."""
    parsed = parse_reference(given)
    if parsed is not None:
        reference = format_reference(*parsed)
        found = None
        if engine is not None:
            query = select(col(InterventionReference.intervention_id)).where(
                col(InterventionReference.reference) == reference
            )
            with engine.connect() as conn:
                found = conn.execute(query).scalar_one_or_none()
        if found is None:
            raise _unknown(f"no intervention {reference}")
        return found
    rest = given.removeprefix(ID_PREFIX)
    try:
        uuid.UUID(rest)
    except ValueError:
        raise _unknown(f"{given!r} is neither a reference (like QI-2027-0042) nor an "
                       f"intervention ID (like {ID_PREFIX}<uuid>)") from None
    if not given.startswith(ID_PREFIX):
        raise _unknown(f"intervention IDs start with {ID_PREFIX}")
    return given
