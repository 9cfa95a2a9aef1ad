"""Write an intervention's snapshot into the read model: one transaction, safe to repeat.

The workflow may run this activity more than once for one snapshot (retries), and an attempt
that timed out can still commit after a newer snapshot has landed. So the intervention row is
only replaced by a snapshot with a higher version, and audit entries are only ever inserted.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import SQLModel, col
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.database import dialect_insert
from models.effects import RecordInterventionInput
from models.errors import ErrorType
from models.intervention import AuditEntry as AuditRecord
from models.intervention import InterventionData
from models.tables import Action, AuditEntry, Deadline, Finding, Intervention, Meeting, PanelMember

__all__ = ["RecordInterventionInput", "RecordingActivities"]

Row = dict[str, Any]


def _plain(values: Row) -> Row:
    """Enum members as their values, so every driver stores the same text."""
    return {k: v.value if isinstance(v, Enum) else v for k, v in values.items()}


def _newest(data: InterventionData) -> AuditRecord | None:
    return max(data.audit, key=lambda e: e.seq, default=None)


def _closed_at(data: InterventionData) -> Any:
    if not data.state.terminal:
        return None
    entries = [e for e in data.audit if e.to_state is data.state]
    newest = max(entries, key=lambda e: e.seq, default=None)
    return newest.at if newest else data.started_at


def _intervention_row(input: RecordInterventionInput) -> Row:
    data = input.data
    newest = _newest(data)
    return _plain(
        {
            "id": data.intervention_id,
            "type_code": data.type.code,
            "type_name": data.type.name,
            "provider_code": data.provider.code,
            "provider_name": data.provider.name,
            "site": data.provider.site,
            "state": data.state,
            "likelihood": data.concern.likelihood,
            "impact": data.concern.impact,
            "score": data.concern.score,
            "risk_band": data.risk_band,
            "coordinator": data.coordinator,
            "started_at": data.started_at,
            # Derived from the snapshot, not a clock, so a repeated write stores the same value.
            "updated_at": newest.at if newest else data.started_at,
            "closed_at": _closed_at(data),
            "next_deadline": data.next_deadline(),
            "open_actions": len(data.open_actions()),
            "overdue_actions": len(data.overdue_actions(input.today)),
            "escalated": bool(data.escalations),
            "version": len(data.audit),
        }
    )


def _child_rows(data: InterventionData) -> list[tuple[type[SQLModel], list[Row]]]:
    owner = {"intervention_id": data.intervention_id}
    chair = (data.chair or "").casefold()
    panel = [
        {
            **owner,
            **_plain(m.model_dump()),
            "seq": i,
            "roles": [r.value for r in m.roles],
            "chair": m.name.casefold() == chair,
        }
        for i, m in enumerate(data.panel, start=1)
    ]
    meetings = [
        {
            **owner,
            **_plain(m.model_dump(exclude={"attendance"})),
            **(m.attendance.model_dump() if m.attendance else {}),
        }
        for m in data.meetings
    ]
    findings = [{**owner, **_plain(f.model_dump())} for f in data.findings]
    actions = [{**owner, **_plain(a.model_dump(exclude={"progress"}))} for a in data.actions]
    deadlines = [
        {**owner, **_plain(d.model_dump()), "seq": i} for i, d in enumerate(data.deadlines, 1)
    ]
    return [
        (PanelMember, panel),
        (Meeting, meetings),
        (Finding, findings),
        (Action, actions),
        (Deadline, deadlines),
    ]


def _audit_rows(input: RecordInterventionInput) -> list[Row]:
    data = input.data
    newest = _newest(data)
    return [
        {
            **_plain(e.model_dump()),
            "intervention_id": data.intervention_id,
            # Entries before the newest were written by earlier snapshots (or are being
            # back-filled now); only the newest belongs to this activity's key.
            "idempotency_key": (
                input.idempotency_key if e is newest else f"{data.intervention_id}:{e.seq}"
            ),
        }
        for e in data.audit
    ]


def _invalid(message: str) -> ApplicationError:
    return ApplicationError(message, type=ErrorType.INVALID_INPUT, non_retryable=True)


def _check(data: InterventionData) -> None:
    seqs = [e.seq for e in data.audit]
    if len(set(seqs)) != len(seqs):
        raise _invalid(f"audit of {data.intervention_id} repeats a sequence number")
    stamps: Sequence[Any] = [data.started_at, *(e.at for e in data.audit)]
    if any(t.utcoffset() is None for t in stamps):
        raise _invalid(f"snapshot of {data.intervention_id} has a timestamp without a timezone")


def _describe(exc: IntegrityError | DataError) -> str:
    """Which rule the database applied, without the row's values (they may identify people)."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None:
        return str(diag.constraint_name or diag.message_primary)
    return str(exc.orig)  # SQLite names only the constraint or column


class RecordingActivities:
    """Read-model writes; the engine is the worker's, shared by every activity thread."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._insert = dialect_insert(engine)

    @activity.defn(name="record_intervention")
    def record_intervention(self, input: RecordInterventionInput) -> None:
        data = input.data
        _check(data)
        try:
            with self._engine.begin() as conn:
                if self._upsert_intervention(conn, input):
                    self._replace_children(conn, data)
                else:
                    activity.logger.info(
                        "read model already holds %s at version %d or later; row kept",
                        data.intervention_id,
                        len(data.audit),
                    )
                self._append_audit(conn, input)
        except (IntegrityError, DataError) as exc:
            # A constraint broken by this snapshot breaks it on every retry too.
            raise _invalid(
                f"read model rejected the snapshot of {data.intervention_id}: {_describe(exc)}"
            ) from None

    def _upsert_intervention(self, conn: Connection, input: RecordInterventionInput) -> bool:
        """Insert or replace the row; False when the stored version is the same or newer."""
        row = _intervention_row(input)
        stmt = self._insert(Intervention).values(row)
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={name: stmt.excluded[name] for name in row if name != "id"},
            where=col(Intervention.version) < stmt.excluded.version,
        ).returning(col(Intervention.id))
        return conn.execute(stmt).first() is not None

    def _replace_children(self, conn: Connection, data: InterventionData) -> None:
        for table, rows in _child_rows(data):
            columns = table.__table__.c  # type: ignore[attr-defined]
            conn.execute(delete(table).where(columns.intervention_id == data.intervention_id))
            if rows:
                # The read model projects what it has columns for; a field added to the domain
                # model later must not make every snapshot fail until a migration catches up.
                conn.execute(insert(table), [{k: r[k] for k in r if k in columns} for r in rows])

    def _append_audit(self, conn: Connection, input: RecordInterventionInput) -> None:
        rows = _audit_rows(input)
        if not rows:
            return
        # Conflict target is the entry's identity only: a clash on idempotency_key means two
        # different entries claim one key, which must fail rather than be skipped.
        stmt = self._insert(AuditEntry).on_conflict_do_nothing(
            index_elements=["intervention_id", "seq"]
        )
        conn.execute(stmt, rows)
