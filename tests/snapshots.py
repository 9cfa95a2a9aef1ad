"""Intervention snapshots for read-model tests, and a way to record them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel
from temporalio.testing import ActivityEnvironment

from activities.recording import RecordingActivities
from models.catalogue import Catalogue, load_catalogue
from models.effects import RecordInterventionInput
from models.intervention import AuditEntry, Concern, InterventionData, Provider, State

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TODAY = date(2026, 3, 20)

# The path an intervention's audit follows; a snapshot with n entries is in PATH[n][2].
PATH: list[tuple[str, State, State]] = [
    ("start", State.planned, State.planned),
    ("convene_panel", State.planned, State.panel_convened),
    ("record_meeting", State.panel_convened, State.meetings_held),
    ("issue_report", State.meetings_held, State.report_issued),
    ("agree_action_plan", State.report_issued, State.actions_tracked),
    ("close", State.actions_tracked, State.closed),
]


@cache
def catalogue() -> Catalogue:
    return load_catalogue()


def audit(entries: int, start: datetime = START) -> list[AuditEntry]:
    return [
        AuditEntry(
            seq=i + 1,
            at=start + timedelta(days=i),
            actor="c.okafor",
            command=PATH[i][0],
            from_state=PATH[i][1],
            to_state=PATH[i][2],
            summary=f"{PATH[i][0]}: {PATH[i][1]} -> {PATH[i][2]}",
        )
        for i in range(entries)
    ]


def snapshot(
    intervention_id: str = "urgent-risk-review-rxx01-0001",
    *,
    entries: int = 1,
    type_code: str = "urgent_risk_review",
    provider_code: str = "RXX01",
    started_at: datetime = START,
    **fields: Any,
) -> InterventionData:
    """An intervention `entries` audit entries into its life (state follows the audit)."""
    values: dict[str, Any] = {
        "intervention_id": intervention_id,
        "type": catalogue().get(type_code),
        "risk_bands": catalogue().risk_bands,
        "provider": Provider(
            code=provider_code,
            name="Northshire Hospitals NHS Trust",
            site="Northshire General, Emergency Department",
            lead_name="Dr Morgan Hale",
            lead_email="dme@northshire.example.nhs.uk",
        ),
        "concern": Concern(likelihood=4, impact=4, summary="Supervision gaps on night shifts"),
        "coordinator": "c.okafor",
        "coordinator_email": "c.okafor@quality.example.nhs.uk",
        "started_at": started_at,
        "state": PATH[entries - 1][2] if entries else State.planned,
        "audit": audit(entries, started_at),
    }
    values.update(fields)
    return InterventionData(**values)


def record_input(data: InterventionData, today: date = TODAY) -> RecordInterventionInput:
    key = f"{data.intervention_id}:{len(data.audit)}:record"
    return RecordInterventionInput(idempotency_key=key, data=data, today=today)


def record(engine: Engine, data: InterventionData, today: date = TODAY) -> None:
    """Run the `record_intervention` activity once for this snapshot."""
    activities = RecordingActivities(engine)
    ActivityEnvironment().run(activities.record_intervention, record_input(data, today))


def count(engine: Engine, table: type[SQLModel]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
