"""Write an intervention's snapshot into the read model: one transaction, safe to repeat.

The workflow may run this activity more than once for one snapshot (retries), and an attempt
that timed out can still commit after a newer snapshot has landed. So the intervention row is
only replaced by a snapshot with a higher version, and audit entries are only ever inserted.

An audit entry arriving under a number the read model holds for a different entry means the
workflow's history was rewritten by a reset outside the service (or the workflow was ended
there, and its last attempt came late): nothing of it is written, and the attempt is retried
until the service has noticed the reset and the workflow numbers its entries after the ones
already held (`models.outside`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import SQLModel, col
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from core.database import dialect_insert
from models.effects import RecordInterventionInput
from models.errors import ErrorType
from models.intervention import AuditEntry as AuditRecord
from models.intervention import Deadline as DeadlineValue
from models.intervention import InterventionData
from models.intervention import Meeting as MeetingValue
from models.intervention import PanelMember as PanelMemberValue
from models.outside import step
from models.projection import ProjectChanges, summarize
from models.tables import (
    Action,
    AuditEntry,
    Deadline,
    Finding,
    Intervention,
    InterventionPublic,
    Meeting,
    Notification,
    NotificationStatus,
    PanelMember,
)

__all__ = ["RecordInterventionInput", "RecordingActivities"]

Row = dict[str, Any]


def _plain(values: Row) -> Row:
    """Enum members as their values, so every driver stores the same text."""
    return {k: v.value if isinstance(v, Enum) else v for k, v in values.items()}


def _newest(data: InterventionData) -> AuditRecord | None:
    return max(data.audit, key=lambda e: e.seq, default=None)


def _intervention_row(summary: InterventionPublic) -> Row:
    return _plain(summary.model_dump())


def _panel_rows(owner: Row, panel: list[PanelMemberValue], chair: str | None) -> list[Row]:
    chosen = (chair or "").casefold()
    return [
        {
            **owner,
            **_plain(m.model_dump()),
            "seq": i,
            "roles": [r.value for r in m.roles],
            "chair": m.name.casefold() == chosen,
        }
        for i, m in enumerate(panel, start=1)
    ]


def _meeting_rows(owner: Row, meetings: list[MeetingValue]) -> list[Row]:
    return [
        {
            **owner,
            **_plain(m.model_dump(exclude={"attendance"})),
            **(m.attendance.model_dump() if m.attendance else {}),
        }
        for m in meetings
    ]


def _deadline_rows(owner: Row, deadlines: list[DeadlineValue]) -> list[Row]:
    return [{**owner, **_plain(d.model_dump()), "seq": i} for i, d in enumerate(deadlines, 1)]


def _child_rows(data: InterventionData) -> list[tuple[type[SQLModel], list[Row]]]:
    owner = {"intervention_id": data.intervention_id}
    findings = [{**owner, **_plain(f.model_dump())} for f in data.findings]
    actions = [{**owner, **_plain(a.model_dump(exclude={"progress"}))} for a in data.actions]
    return [
        (PanelMember, _panel_rows(owner, data.panel, data.chair)),
        (Meeting, _meeting_rows(owner, data.meetings)),
        (Finding, findings),
        (Action, actions),
        (Deadline, _deadline_rows(owner, data.deadlines)),
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


def _refuse_diverged(conn: Connection, intervention_id: str, entries: list[AuditRecord]) -> None:
    """Refuse (retryably, so the transaction is rolled back) entries whose numbers the read
    model held already for different steps."""
    if not entries:
        return
    incoming = {e.seq: step(e) for e in entries}
    a = AuditEntry
    held = conn.execute(
        select(col(a.seq), col(a.command), col(a.actor), col(a.from_state), col(a.to_state),
               col(a.summary), col(a.reason))
        .where(col(a.intervention_id) == intervention_id, col(a.seq).in_(list(incoming)))
    )
    taken = sorted(seq for seq, *content in held if tuple(content) != incoming[seq])
    if taken:
        raise ApplicationError(
            f"the read model holds other audit entries of {intervention_id} under numbers "
            f"{', '.join(map(str, taken))}: its workflow was reset (or ended) outside the "
            "service; recorded once the service has noticed",
            type=ErrorType.UNAVAILABLE,
            # Expected, and waited out: not a failure to log or count at every retry.
            category=ApplicationErrorCategory.BENIGN,
        )


def _describe(exc: IntegrityError | DataError) -> str:
    """Which rule the database applied, without the row's values (they may identify people)."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None:
        return str(diag.constraint_name or diag.message_primary)
    return str(exc.orig)  # SQLite names only the constraint or column


class RecordingActivities:
    """Read-model writes; the engine is the worker's, shared by every activity thread."""

    def __init__(self, engine: Engine, on_queued: Callable[[], None] | None = None) -> None:
        self._engine = engine
        self._insert = dialect_insert(engine)
        self._on_queued = on_queued  # told after messages were committed to the outbox

    @activity.defn(name="record_intervention")
    def record_intervention(self, input: RecordInterventionInput) -> None:
        data = input.data
        _check(data)
        try:
            with self._engine.begin() as conn:
                if not self.write_snapshot(conn, input):
                    activity.logger.info(
                        "read model already holds %s at version %d or later; row kept",
                        data.intervention_id,
                        data.last_seq,
                    )
        except (IntegrityError, DataError) as exc:
            # A constraint broken by this snapshot breaks it on every retry too.
            raise _invalid(
                f"read model rejected the snapshot of {data.intervention_id}: {_describe(exc)}"
            ) from None

    def write_snapshot(self, conn: Connection, input: RecordInterventionInput) -> bool:
        """Bring the read model up to a whole snapshot in `conn`'s transaction: the row and its
        children if the snapshot is newer (True), and every audit entry it lacks."""
        replaced = self._upsert_intervention(conn, summarize(input.data, input.today))
        if replaced:
            self._replace_children(conn, input.data)
        self._append_audit(conn, _audit_rows(input))
        return replaced

    def _upsert_intervention(self, conn: Connection, summary: InterventionPublic) -> bool:
        """Insert or replace the row; False when the stored version is the same or newer."""
        row = _intervention_row(summary)
        stmt = self._insert(Intervention).values(row)
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={name: stmt.excluded[name] for name in row if name != "id"},
            where=col(Intervention.version) < stmt.excluded.version,
        ).returning(col(Intervention.id))
        return conn.execute(stmt).first() is not None

    def _replace_children(self, conn: Connection, data: InterventionData) -> None:
        owner = {"intervention_id": data.intervention_id}
        for table, rows in _child_rows(data):
            self._replace(conn, table, owner, rows)

    def _append_audit(self, conn: Connection, rows: list[Row]) -> set[int]:
        """Insert the entries the read model lacks; the numbers of those it held already."""
        if not rows:
            return set()
        # Conflict target is the entry's identity only: a clash on idempotency_key means two
        # different entries claim one key, which must fail rather than be skipped.
        stmt = self._insert(AuditEntry).on_conflict_do_nothing(
            index_elements=["intervention_id", "seq"]
        ).returning(col(AuditEntry.seq))
        inserted = set(conn.execute(stmt, rows).scalars())
        return {row["seq"] for row in rows} - inserted

    @activity.defn(name="project_changes")
    def project_changes(self, input: ProjectChanges) -> None:
        """Bring the read model up to `input.version` and queue the messages the change
        announces, in one transaction; a repeated or late attempt changes nothing."""
        owner = {"intervention_id": input.intervention_id}
        try:
            with self._engine.begin() as conn:
                if self._upsert_intervention(conn, input.summary):
                    self._project_children(conn, owner, input)
                audit = [
                    {**_plain(e.model_dump()), **owner,
                     "idempotency_key": f"{input.intervention_id}:{e.seq}"}
                    for e in input.audit
                ]
                held = self._append_audit(conn, audit)
                _refuse_diverged(conn, input.intervention_id,
                                 [e for e in input.audit if e.seq in held])
                self._queue(conn, input)
        except (IntegrityError, DataError) as exc:
            raise _invalid(
                f"read model rejected the changes to {input.intervention_id}: {_describe(exc)}"
            ) from None
        if input.messages and self._on_queued is not None:
            self._on_queued()

    def _project_children(self, conn: Connection, owner: Row, input: ProjectChanges) -> None:
        if input.panel is not None:
            self._replace(conn, PanelMember, owner, _panel_rows(owner, input.panel, input.chair))
        if input.deadlines is not None:
            self._replace(conn, Deadline, owner, _deadline_rows(owner, input.deadlines))
        write = self._replace if input.replace else self._upserting
        write(conn, Meeting, owner, _meeting_rows(owner, input.meetings))
        write(conn, Finding, owner, [{**owner, **_plain(f.model_dump())} for f in input.findings])
        write(conn, Action, owner, [
            {**owner, **_plain(a.model_dump(exclude={"progress"}))} for a in input.actions
        ])

    def _upserting(
        self, conn: Connection, table: type[SQLModel], _owner: Row, rows: list[Row]
    ) -> None:
        self._upsert(conn, table, rows)

    def _replace(
        self, conn: Connection, table: type[SQLModel], owner: Row, rows: list[Row]
    ) -> None:
        columns = table.__table__.c  # type: ignore[attr-defined]
        conn.execute(delete(table).where(columns.intervention_id == owner["intervention_id"]))
        if rows:
            # The read model projects what it has columns for; a field added to the domain
            # model later must not make every write fail until a migration catches up.
            conn.execute(insert(table), [{k: r[k] for k in r if k in columns} for r in rows])

    def _upsert(self, conn: Connection, table: type[SQLModel], rows: list[Row]) -> None:
        columns = table.__table__.c  # type: ignore[attr-defined]
        for row in rows:
            values = {k: v for k, v in row.items() if k in columns}
            stmt = self._insert(table).values(values)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["intervention_id", "id"],
                set_={k: stmt.excluded[k] for k in values if k not in ("intervention_id", "id")},
            ))

    def _queue(self, conn: Connection, input: ProjectChanges) -> None:
        if not input.messages:
            return
        rows = [
            {
                "idempotency_key": m.key,
                "intervention_id": input.intervention_id,
                "recipients": list(m.message.to),
                "subject": m.message.subject,
                "body": m.message.body,
                "status": NotificationStatus.QUEUED.value,
                "attempts": 0,
                "created_at": func.now(),
                "next_attempt_at": func.now(),
            }
            for m in input.messages
        ]
        for row in rows:
            conn.execute(
                self._insert(Notification).values(row)
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
            )
