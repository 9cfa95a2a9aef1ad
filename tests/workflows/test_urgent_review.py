"""An Urgent Risk Review driven through its whole life on a real dev server."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, select
from temporalio.api.history.v1 import HistoryEvent

from models.commands import Event
from models.errors import ErrorType, InterventionError
from models.intervention import DeadlineKind, State
from models.tables import AuditEntry, Intervention
from tests import scenario
from tests.workflows.conftest import Harness
from workflows.intervention import InterventionWorkflow
from workflows.monitoring import INTERVENTION_STATE


async def _started(h: Harness, **overrides: object) -> str:
    status = await h.service.start(scenario.start_request(**overrides))
    return status.data.intervention_id


async def test_urgent_review_runs_from_planned_to_closed(dev: Harness) -> None:
    intervention_id = await _started(dev)
    states = []
    for event, payload in scenario.URGENT_PATH:
        result = await dev.service.command(intervention_id, event, payload)
        states.append(result.state)
    assert states == [
        State.panel_convened,
        State.meetings_held,
        State.report_issued,
        State.report_issued,
        State.actions_tracked,
        State.actions_tracked,
        State.actions_tracked,
        State.closed,
    ]
    handle = dev.client.get_workflow_handle_for(InterventionWorkflow.run, intervention_id)
    final = await handle.result()
    assert final.data.state is State.closed
    assert [a.command for a in final.data.audit] == [
        "start",
        *[e.value for e, _ in scenario.URGENT_PATH],
    ]
    assert all(a.actor for a in final.data.audit)
    described = await handle.describe()
    assert described.typed_search_attributes.get(INTERVENTION_STATE) == "closed"


async def test_every_step_is_recorded_in_the_read_model(dev: Harness) -> None:
    intervention_id = await _started(dev)
    for event, payload in scenario.URGENT_PATH[:3]:
        await dev.service.command(intervention_id, event, payload)
    await dev.settled(intervention_id)
    with Session(dev.engine) as session:
        row = session.get(Intervention, intervention_id)
        assert row is not None
        assert row.state == "report_issued"
        audit = session.exec(
            select(AuditEntry)
            .where(AuditEntry.intervention_id == intervention_id)
            .order_by(AuditEntry.seq)
        ).all()
    assert [a.command for a in audit] == [
        "start",
        "convene_panel",
        "record_meeting",
        "issue_report",
    ]


async def test_notifications_go_to_provider_lead_and_panel(dev: Harness) -> None:
    started = await dev.service.start(scenario.start_request())
    reference = started.data.reference
    assert reference is not None
    await dev.service.command(reference, Event.convene_panel, scenario.urgent_panel())
    await dev.settled(started.data.intervention_id)
    subjects = [m.subject for m in dev.notifier.sent]
    assert subjects[0] == (f"[{reference}] Quality intervention started: Urgent Risk Review at "
                           "Northshire Hospitals NHS Trust, Northshire General, Emergency "
                           "Department")
    assert f"Reference: {reference}" in dev.notifier.sent[0].body
    assert dev.notifier.sent[0].to == ["dme@northshire.example.nhs.uk"]
    assert subjects[1].startswith(f"[{reference}] Panel convened")
    assert len(dev.notifier.sent[1].to) == 4


async def test_deadlines_follow_the_lifecycle(dev: Harness) -> None:
    intervention_id = await _started(dev)
    status = await dev.service.status(intervention_id)
    assert [d.kind for d in status.data.deadlines] == [DeadlineKind.convene_panel]
    await dev.service.command(intervention_id, Event.convene_panel, scenario.urgent_panel())
    status = await dev.service.status(intervention_id)
    kinds = {d.kind: d for d in status.data.deadlines}
    assert kinds[DeadlineKind.convene_panel].met_on is not None
    assert kinds[DeadlineKind.first_meeting].met_on is None
    assert status.data.next_deadline() == kinds[DeadlineKind.first_meeting].due_on


async def test_same_request_id_returns_the_same_intervention(dev: Harness) -> None:
    first = await dev.service.start(scenario.start_request(), request_id="survey-2026-17")
    again = await dev.service.start(scenario.start_request(), request_id="survey-2026-17")
    other = await dev.service.start(scenario.start_request(), request_id="survey-2026-18")
    assert first.data.intervention_id == again.data.intervention_id
    assert first.data.started_at == again.data.started_at
    assert other.data.intervention_id != first.data.intervention_id
    assert "survey" not in first.data.intervention_id


async def _history_length(h: Harness, intervention_id: str) -> int:
    history = await h.client.get_workflow_handle(intervention_id).fetch_history()
    return len(history.events)


@pytest.mark.parametrize(
    ("event", "payload", "field", "rule"),
    [
        (
            Event.record_meeting,
            scenario.meeting(),
            "command",
            "record_meeting is not allowed while the intervention is planned",
        ),
        (
            Event.convene_panel,
            {
                **scenario.urgent_panel(),
                "members": [
                    scenario.member("Dr Ada Senior", "senior_panel_member"),
                    scenario.member("Dr Ben Expert", "subject_expert"),
                ],
            },
            "members",
            "needs a member in the role external_member",
        ),
        (
            Event.convene_panel,
            {
                **scenario.urgent_panel(),
                "members": [
                    scenario.member("Dr Ada Senior", "senior_panel_member", conflict="conflicted"),
                    *scenario.urgent_panel()["members"][1:],
                ],
            },
            "chair",
            "is conflicted; choose an unconflicted chair",
        ),
        (
            Event.close,
            {"actor": scenario.COORDINATOR},
            "command",
            "close is not allowed while the intervention is planned",
        ),
    ],
    ids=["meeting-before-panel", "panel-missing-external", "conflicted-chair", "close-at-start"],
)
async def test_refused_command_leaves_no_trace(
    dev: Harness, event: Event, payload: dict[str, object], field: str, rule: str
) -> None:
    intervention_id = await _started(dev)
    await dev.settled(intervention_id)
    before = await dev.service.status(intervention_id)
    length = await _history_length(dev, intervention_id)
    with pytest.raises(InterventionError) as refused:
        await dev.service.command(intervention_id, event, payload)
    assert refused.value.error_type is ErrorType.COMMAND_REFUSED
    assert any(p.field == field and rule in p.rule for p in refused.value.problems), refused.value
    assert await _history_length(dev, intervention_id) == length
    after = await dev.service.status(intervention_id)
    assert after.data == before.data


async def test_invalid_payload_names_the_field(dev: Harness) -> None:
    intervention_id = await _started(dev)
    with pytest.raises(InterventionError) as invalid:
        await dev.service.command(
            intervention_id,
            Event.escalate,
            {"actor": scenario.COORDINATOR, "level": "dean", "reason": ""},
        )
    assert invalid.value.error_type is ErrorType.INVALID_INPUT
    assert invalid.value.problems[0].field == "reason"


async def test_unknown_intervention_is_named(dev: Harness) -> None:
    with pytest.raises(InterventionError) as unknown:
        await dev.service.status("intervention-00000000-0000-0000-0000-000000000000")
    assert unknown.value.error_type is ErrorType.UNKNOWN_REFERENCE
    assert unknown.value.problems[0].field == "intervention_id"


async def test_low_score_needs_a_justification(dev: Harness) -> None:
    low = {"likelihood": 2, "impact": 2, "summary": "Isolated rota complaint"}
    with pytest.raises(InterventionError) as refused:
        await dev.service.start(scenario.start_request(concern=low))
    assert refused.value.problems[0].field == "concern.override_justification"
    justified = {**low, "override_justification": "Third report this year from the same unit"}
    assert await dev.service.start(scenario.start_request(concern=justified))


async def test_unknown_type_is_refused_before_starting(dev: Harness) -> None:
    with pytest.raises(InterventionError) as refused:
        await dev.service.start(scenario.start_request(type_code="desk_review"))
    assert refused.value.problems[0].field == "type"
    assert "urgent_risk_review" in refused.value.problems[0].rule


async def _timers_started(h: Harness, intervention_id: str) -> list[HistoryEvent]:
    for _ in range(200):  # up to 10 s
        history = await h.client.get_workflow_handle(intervention_id).fetch_history()
        timers = [e for e in history.events if e.HasField("timer_started_event_attributes")]
        if timers:
            return timers
        await asyncio.sleep(0.05)
    return []


async def test_the_wait_for_the_next_notice_has_a_readable_summary(dev: Harness) -> None:
    intervention_id = await _started(dev)
    # Once the start's effects are handed over, the loop goes to sleep until the first notice.
    timers = await _timers_started(dev, intervention_id)
    assert timers, "the workflow should be waiting on a timer for its first reminder"
    # Sealed in history like every payload (the SDK passes timer summaries through the codec).
    sealed = timers[-1].user_metadata.summary
    assert sealed.metadata["encoding"] == b"binary/encrypted"
    (summary,) = await dev.client.data_converter.decode([sealed], [str])
    assert summary.startswith("reminder to coordinator: convene panel due ")
    status = await dev.service.status(intervention_id)
    assert status.waiting_for is not None
    assert status.waiting_for.summary == summary


async def test_a_command_to_a_closed_intervention_is_refused_naming_its_state(
    dev: Harness,
) -> None:
    intervention_id = await _started(dev)
    for event, payload in scenario.URGENT_PATH:
        await dev.service.command(intervention_id, event, payload)
    await dev.client.get_workflow_handle(intervention_id).result()
    with pytest.raises(InterventionError) as refused:
        await dev.service.command(
            intervention_id, Event.escalate,
            {"actor": scenario.COORDINATOR, "level": "dean", "reason": "Late evidence"},
        )
    assert refused.value.error_type is ErrorType.COMMAND_REFUSED
    assert str(refused.value) == (
        "command: escalate is not allowed: the intervention is closed and takes no more commands"
    )
