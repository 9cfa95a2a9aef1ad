"""`record_intervention`: one transaction per snapshot, repeatable, never rolled back."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, timedelta, timezone

import pytest
from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.recording import RecordingActivities
from core.read_model import audit_trail, get_intervention
from models.errors import ErrorType
from models.intervention import (
    Action,
    AuditEntry,
    Deadline,
    DeadlineKind,
    Escalation,
    Finding,
    InterventionData,
    Meeting,
    PanelMember,
    State,
)
from models.tables import Action as ActionRow
from models.tables import AuditEntry as AuditRow
from models.tables import Deadline as DeadlineRow
from models.tables import Finding as FindingRow
from models.tables import Intervention
from models.tables import Meeting as MeetingRow
from models.tables import PanelMember as PanelRow
from models.vocabulary import (
    ActionStatus,
    EscalationLevel,
    FindingCategory,
    MeetingFormat,
    PanelRole,
)
from tests.snapshots import START, TODAY, count, record, record_input, snapshot

ID = "urgent-risk-review-rxx01-0001"


def _member(name: str, role: PanelRole) -> PanelMember:
    email = name.lower().replace(" ", ".") + "@panel.example.nhs.uk"
    return PanelMember(name=name, email=email, roles=(role,), interests_declared=True)


def _action(action_id: str, due_on: date, status: ActionStatus = ActionStatus.OPEN) -> Action:
    return Action(
        id=action_id,
        finding_id="F1",
        description="Publish a rota with a named senior on every night shift",
        owner_name="Dr Morgan Hale",
        owner_email="dme@northshire.example.nhs.uk",
        due_on=due_on,
        status=status,
    )


def _full_snapshot(entries: int = 5) -> InterventionData:
    return snapshot(
        ID,
        entries=entries,
        chair="Dr Ada Senior",
        panel=[
            _member("Dr Ada Senior", PanelRole.SENIOR_PANEL_MEMBER),
            _member("Dr Ben Expert", PanelRole.SUBJECT_EXPERT),
            _member("Dr Cai External", PanelRole.EXTERNAL_MEMBER),
        ],
        meetings=[Meeting(id="M1", format=MeetingFormat.VIRTUAL, scheduled_on=TODAY)],
        findings=[
            Finding(
                id="F1",
                category=FindingCategory.MANDATORY_REQUIREMENT,
                text="Night-time supervision rota",
                raised_on=TODAY,
            )
        ],
        actions=[
            _action("A1", TODAY - timedelta(days=3)),
            _action("A2", TODAY + timedelta(days=10)),
            _action("A3", TODAY - timedelta(days=30), ActionStatus.ACCEPTED),
        ],
        deadlines=[
            Deadline(kind=DeadlineKind.action_plan, due_on=TODAY + timedelta(days=4), set_on=TODAY),
            Deadline(
                kind=DeadlineKind.draft_report,
                due_on=TODAY - timedelta(days=1),
                set_on=TODAY,
                met_on=TODAY,
            ),
        ],
    )


def _child_counts(engine: Engine) -> dict[str, int]:
    tables = [PanelRow, MeetingRow, FindingRow, ActionRow, DeadlineRow, AuditRow, Intervention]
    return {t.__tablename__: count(engine, t) for t in tables}  # type: ignore[misc]


def test_recording_twice_leaves_one_row_of_each(engine: Engine) -> None:
    data = _full_snapshot()

    record(engine, data)
    record(engine, data)

    assert _child_counts(engine) == {
        "panel_member": 3,
        "meeting": 1,
        "finding": 1,
        "action": 3,
        "deadline": 2,
        "audit_entry": 5,
        "intervention": 1,
    }


def test_projection_holds_the_derived_columns(engine: Engine) -> None:
    data = _full_snapshot()
    data.escalations.append(
        Escalation(level=EscalationLevel.DEAN, reason="Overdue", by="c.okafor", at=START)
    )

    record(engine, data)

    row = get_intervention(engine, ID)
    assert row is not None
    assert (row.state, row.version, row.score, row.risk_band) == (
        State.actions_tracked,
        5,
        16,
        "extreme",
    )
    assert (row.open_actions, row.overdue_actions) == (2, 1)
    assert row.next_deadline == TODAY - timedelta(days=3)  # A1, overdue, before the plan due
    assert row.escalated is True
    assert row.closed_at is None
    assert row.updated_at == START + timedelta(days=4)
    assert row.started_at.tzinfo is not None
    assert row.started_at.utcoffset() == timedelta(0)
    assert [m.chair for m in row.panel] == [True, False, False]
    assert row.panel[1].roles == [PanelRole.SUBJECT_EXPERT]


def test_closing_snapshot_sets_closed_at_from_its_audit_entry(engine: Engine) -> None:
    record(engine, snapshot(ID, entries=6))

    row = get_intervention(engine, ID)
    assert row is not None
    assert row.state is State.closed
    assert row.closed_at == START + timedelta(days=5)


def test_older_snapshot_does_not_roll_back_a_newer_one(engine: Engine) -> None:
    newer = _full_snapshot(entries=5)
    older = snapshot(ID, entries=2)

    record(engine, newer)
    record(engine, older)

    row = get_intervention(engine, ID)
    assert row is not None
    assert (row.version, row.state) == (5, State.actions_tracked)
    assert len(row.panel) == 3
    assert len(row.actions) == 3


def test_newer_snapshot_replaces_child_rows(engine: Engine) -> None:
    record(engine, _full_snapshot(entries=4))
    newer = _full_snapshot(entries=5)
    newer.panel = newer.panel[:1]
    newer.actions = []

    record(engine, newer)

    row = get_intervention(engine, ID)
    assert row is not None
    assert [m.name for m in row.panel] == ["Dr Ada Senior"]
    assert row.actions == []
    assert count(engine, ActionRow) == 0


def test_audit_trail_is_append_only_and_ordered(engine: Engine) -> None:
    first = snapshot(ID, entries=1)
    record(engine, first)
    later = snapshot(ID, entries=3)
    # A later snapshot that disagrees about an entry already stored must not rewrite it.
    later.audit[0] = later.audit[0].model_copy(update={"summary": "rewritten"})

    record(engine, later)

    trail = audit_trail(engine, ID)
    assert [e.seq for e in trail] == [1, 2, 3]
    assert trail[0].summary == "start: planned -> planned"
    assert [e.to_state for e in trail] == [State.planned, State.panel_convened, State.meetings_held]
    assert trail[2].at.tzinfo is not None


def test_newest_entry_carries_the_activity_idempotency_key(engine: Engine) -> None:
    record(engine, snapshot(ID, entries=1))
    record(engine, snapshot(ID, entries=3))

    with engine.connect() as conn:
        keys = conn.execute(
            AuditRow.__table__.select().order_by(AuditRow.__table__.c.seq)  # type: ignore[attr-defined]
        ).all()
    assert [k.idempotency_key for k in keys] == [f"{ID}:1:record", f"{ID}:2", f"{ID}:3:record"]


def test_a_key_claimed_by_another_entry_fails_permanently_and_writes_nothing(
    engine: Engine,
) -> None:
    record(engine, snapshot(ID, entries=1))
    reused = record_input(snapshot(ID, entries=2)).model_copy(
        update={"idempotency_key": f"{ID}:1:record"}
    )

    with pytest.raises(ApplicationError) as raised:
        ActivityEnvironment().run(RecordingActivities(engine).record_intervention, reused)

    assert raised.value.type == ErrorType.INVALID_INPUT
    assert raised.value.non_retryable
    row = get_intervention(engine, ID)
    assert row is not None
    assert row.version == 1
    assert count(engine, AuditRow) == 1


def test_repeated_sequence_numbers_are_refused(engine: Engine) -> None:
    data = snapshot(ID, entries=2)
    data.audit.append(data.audit[1])

    with pytest.raises(ApplicationError, match="repeats a sequence number") as raised:
        record(engine, data)

    assert raised.value.non_retryable
    assert count(engine, Intervention) == 0


def test_timestamps_without_a_timezone_are_refused(engine: Engine) -> None:
    data = snapshot(ID, entries=1)
    data.audit = [
        AuditEntry.model_validate({**data.audit[0].model_dump(), "at": START.replace(tzinfo=None)})
    ]

    with pytest.raises(ApplicationError, match="without a timezone") as raised:
        record(engine, data)

    assert raised.value.type == ErrorType.INVALID_INPUT
    assert count(engine, AuditRow) == 0


def test_timestamps_are_stored_in_utc(engine: Engine) -> None:
    plus_two = timezone(timedelta(hours=2))
    record(engine, snapshot(ID, entries=1, started_at=START.astimezone(plus_two)))

    row = get_intervention(engine, ID)
    assert row is not None
    assert row.started_at == START
    assert row.started_at.tzinfo == UTC


def test_concurrent_attempts_leave_one_row_at_the_newest_version(engine: Engine) -> None:
    # What a worker with a thread pool sees when timed-out attempts overlap their retries.
    snapshots = [_full_snapshot(entries=n) for n in (3, 5, 4, 5, 3, 4, 5, 3)]

    with ThreadPoolExecutor(max_workers=len(snapshots)) as pool:
        list(pool.map(lambda data: record(engine, data), snapshots))

    row = get_intervention(engine, ID)
    assert row is not None
    assert row.version == 5
    assert _child_counts(engine)["audit_entry"] == 5
    assert _child_counts(engine)["panel_member"] == 3
