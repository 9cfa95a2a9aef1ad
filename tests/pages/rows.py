"""Rows written straight into the read model (no workflow behind them), for pages that only
read it: exact, and cheap enough to write thousands (`bench.pages`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import SQLModel

from core.database import session
from models.catalogue import RiskBand
from models.intervention import DeadlineKind, State
from models.tables import Action, Deadline, Intervention
from models.vocabulary import ActionStatus

__all__ = ["STARTED", "action", "deadline", "intervention", "write"]

STARTED = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def intervention(number: int, **fields: Any) -> Intervention:
    """Intervention QI-2027-<number>, planned, started `number` minutes after STARTED (so a
    higher number is newer), coordinated by c.okafor at RXX01; `fields` override any column."""
    values: dict[str, Any] = {
        "id": f"urgent-risk-review-{number:05d}",
        "reference": f"QI-2027-{number:04d}",
        "type_code": "urgent_risk_review",
        "type_name": "Urgent Risk Review",
        "provider_code": "RXX01",
        "provider_name": "Northshire Hospitals NHS Trust",
        "site": "Northshire General, Emergency Department",
        "state": State.planned,
        "likelihood": 4,
        "impact": 4,
        "score": 16,
        "risk_band": RiskBand.EXTREME,
        "coordinator": "c.okafor",
        "started_at": STARTED + timedelta(minutes=number),
        "updated_at": STARTED + timedelta(minutes=number),
        "version": 1,
    }
    return Intervention(**(values | fields))


def action(of: Intervention, number: int, due_on: date, **fields: Any) -> Action:
    values: dict[str, Any] = {
        "intervention_id": of.id,
        "id": f"A{number}",
        "finding_id": "F1",
        "description": f"Rota gaps on night shifts closed, action {number}",
        "owner_name": "Dr Morgan Hale",
        "owner_email": "dme@northshire.example.nhs.uk",
        "due_on": due_on,
        "status": ActionStatus.OPEN,
    }
    return Action(**(values | fields))


def deadline(of: Intervention, seq: int, kind: DeadlineKind, due_on: date,
             **fields: Any) -> Deadline:
    values: dict[str, Any] = {"intervention_id": of.id, "seq": seq, "kind": kind,
                              "due_on": due_on, "set_on": of.started_at.date()}
    return Deadline(**(values | fields))


def write(engine: Engine, rows: Iterable[SQLModel]) -> None:
    """Insert `rows` in one transaction, interventions before the rows that belong to them."""
    with session(engine) as db:
        ordered = sorted(rows, key=lambda row: not isinstance(row, Intervention))
        db.add_all([row for row in ordered if isinstance(row, Intervention)])
        db.flush()
        db.add_all([row for row in ordered if not isinstance(row, Intervention)])
        db.commit()
