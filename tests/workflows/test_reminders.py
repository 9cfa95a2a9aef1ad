"""Deadlines as durable timers: reminders, the escalation chain, progress chasing, pauses.

Each test runs on a time-skipping server of its own, moved to a fixed date so the expected
working days (and the bank holidays between them) can be written down literally.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from models.commands import Event
from models.intervention import Contacts, DeadlineKind
from models.status import InterventionStatus
from models.tables import AuditEntry
from tests import scenario
from tests.workflows.conftest import CONTACTS, Harness, _harness, skip_to
from workflows.monitoring import NEXT_DEADLINE, OVERDUE_ACTIONS

MON_2_DEC_2030 = datetime(2030, 12, 2, 9, 0, tzinfo=UTC)


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


async def _start(h: Harness) -> str:
    status = await h.service.start(scenario.start_request())
    return status.data.intervention_id


def _sent(status: InterventionStatus, prefix: str) -> list[tuple[str, str, date]]:
    return [
        (n.kind, n.recipient, n.on) for n in status.data.notices_sent if n.key.startswith(prefix)
    ]


async def test_missed_first_meeting_escalates_in_order_across_christmas(clocked: Harness) -> None:
    await skip_to(clocked.env, MON_2_DEC_2030)
    intervention_id = await _start(clocked)
    await clocked.service.command(intervention_id, Event.convene_panel, scenario.urgent_panel())
    status = await clocked.service.status(intervention_id)
    first_meeting = next(d for d in status.data.deadlines if d.kind is DeadlineKind.first_meeting)
    assert first_meeting.due_on == date(2030, 12, 16)  # 10 working days after Mon 2 Dec

    await skip_to(clocked.env, _at(date(2031, 1, 3)))
    status = await clocked.service.status(intervention_id)
    assert _sent(status, "deadline:first_meeting") == [
        ("reminder", "coordinator", date(2030, 12, 11)),
        ("reminder", "coordinator", date(2030, 12, 13)),
        ("escalation", "coordinator", date(2030, 12, 17)),
        ("escalation", "quality_lead", date(2030, 12, 23)),
        # 25 and 26 December and 1 January are bank holidays; 28-29 Dec a weekend.
        ("escalation", "dean", date(2031, 1, 2)),
    ]
    await clocked.settled(intervention_id)
    recipients = [m.to for m in clocked.notifier.sent if "first meeting" in m.subject]
    assert recipients[-2:] == [[CONTACTS.quality_lead_email], [CONTACTS.dean_email]]


async def test_escalations_are_in_the_audit_trail_and_read_model(clocked: Harness) -> None:
    await skip_to(clocked.env, MON_2_DEC_2030)
    intervention_id = await _start(clocked)
    await skip_to(clocked.env, _at(date(2030, 12, 11)))
    with Session(clocked.engine) as session:
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.intervention_id == intervention_id)
        ).all()
    commands = [(a.actor, a.command) for a in audit]
    # convene_panel is due Mon 9 Dec (5 working days): reminded 4 and 6 Dec, escalated 10 Dec.
    assert commands == [
        (scenario.COORDINATOR, "start"),
        ("system", "reminder"),
        ("system", "reminder"),
        ("system", "escalation"),
    ]


async def test_monthly_progress_reminders_stop_when_the_action_is_accepted(
    clocked: Harness,
) -> None:
    tracking_from = date(2031, 1, 6)
    await skip_to(clocked.env, _at(tracking_from, 9))
    intervention_id = await _start(clocked)
    for event, payload in scenario.tracking_path(tracking_from, due_on=date(2032, 6, 30)):
        await clocked.service.command(intervention_id, event, payload)

    await skip_to(clocked.env, _at(date(2032, 1, 7)))
    await clocked.service.command(
        intervention_id,
        Event.accept_action,
        {"actor": scenario.COORDINATOR, "action_id": "A1", "evidence": "Rota audit for 2031"},
    )
    await skip_to(clocked.env, _at(date(2032, 6, 1)))
    status = await clocked.service.status(intervention_id)
    progress = [on for kind, _, on in _sent(status, "progress:")]
    assert progress == [
        date(2031, 2, 6),
        date(2031, 3, 6),
        date(2031, 4, 4),  # 6 April is a Sunday: the Friday before
        date(2031, 5, 6),
        date(2031, 6, 6),
        date(2031, 7, 4),  # Sunday 6 July
        date(2031, 8, 6),
        date(2031, 9, 5),  # Saturday 6 September
        date(2031, 10, 6),
        date(2031, 11, 6),
        date(2031, 12, 5),  # Saturday 6 December
        date(2032, 1, 6),
    ]
    assert not [n for n in status.upcoming if n.kind == "progress"]


async def test_rescheduled_meeting_moves_its_reminders(clocked: Harness) -> None:
    await skip_to(clocked.env, MON_2_DEC_2030)
    intervention_id = await _start(clocked)
    await clocked.service.command(intervention_id, Event.convene_panel, scenario.urgent_panel())
    await clocked.service.command(
        intervention_id,
        Event.schedule_meeting,
        {"actor": scenario.COORDINATOR, "scheduled_on": "2030-12-12", "format": "virtual"},
    )
    await clocked.service.command(
        intervention_id,
        Event.reschedule_meeting,
        {"actor": scenario.COORDINATOR, "meeting_id": "M1", "scheduled_on": "2030-12-20"},
    )
    await skip_to(clocked.env, _at(date(2030, 12, 21)))
    status = await clocked.service.status(intervention_id)
    assert _sent(status, "meeting:") == [
        ("meeting_reminder", "panel", date(2030, 12, 17)),
        ("meeting_reminder", "panel", date(2030, 12, 19)),
    ]
    await clocked.settled(intervention_id)
    panel_messages = [m for m in clocked.notifier.sent if "meeting M1" in m.subject]
    assert len(panel_messages) == 2
    assert len(panel_messages[0].to) == 4


async def test_pause_stops_notices_and_resume_shifts_every_deadline(clocked: Harness) -> None:
    await skip_to(clocked.env, MON_2_DEC_2030)
    intervention_id = await _start(clocked)
    before = await clocked.service.status(intervention_id)
    assert [d.due_on for d in before.data.deadlines] == [date(2030, 12, 9)]
    await clocked.service.command(
        intervention_id,
        Event.pause_clock,
        {"actor": scenario.COORDINATOR, "reason": "Provider placed in special measures"},
    )
    await skip_to(clocked.env, _at(date(2030, 12, 16)))
    paused = await clocked.service.status(intervention_id)
    assert paused.data.notices_sent == []
    assert paused.upcoming == []

    await clocked.service.command(
        intervention_id, Event.resume_clock, {"actor": scenario.COORDINATOR}
    )
    resumed = await clocked.service.status(intervention_id)
    assert resumed.data.pauses[-1].working_days == 10
    # 9 Dec + 10 working days paused = 23 Dec.
    assert [d.due_on for d in resumed.data.deadlines] == [date(2030, 12, 23)]
    assert resumed.waiting_for is not None
    assert resumed.waiting_for.on == date(2030, 12, 18)  # 3 working days before 23 Dec


async def test_overdue_action_raises_the_search_attribute(clocked: Harness) -> None:
    tracking_from = date(2031, 1, 6)
    await skip_to(clocked.env, _at(tracking_from, 9))
    intervention_id = await _start(clocked)
    for event, payload in scenario.tracking_path(tracking_from, due_on=date(2031, 1, 31)):
        await clocked.service.command(intervention_id, event, payload)
    handle = clocked.client.get_workflow_handle(intervention_id)
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(OVERDUE_ACTIONS) == 0
    assert attributes.get(NEXT_DEADLINE) == datetime(2031, 1, 31, tzinfo=UTC)

    # Due Friday 31 January; the owner is chased on Monday 3 February, when it counts overdue.
    await skip_to(clocked.env, _at(date(2031, 2, 3)))
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(OVERDUE_ACTIONS) == 1
    status = await clocked.service.status(intervention_id)
    assert ("escalation", "action_owner", date(2031, 2, 3)) in _sent(status, "action:A1")


async def test_an_escalation_with_no_address_for_its_rung_is_noted_not_sent(
    clock_env: WorkflowEnvironment, engine: Engine
) -> None:
    only_lead = Contacts(quality_lead_email=CONTACTS.quality_lead_email)
    async for h in _harness(clock_env, engine, contacts=only_lead):
        await skip_to(h.env, MON_2_DEC_2030)
        intervention_id = await _start(h)  # the panel is never convened
        await skip_to(h.env, _at(date(2031, 1, 3)))
        status = await h.service.status(intervention_id)
        await h.settled(intervention_id)

    escalations = [(n.recipient, n.sent) for n in status.data.notices_sent
                   if n.key.startswith("deadline:convene_panel") and n.kind == "escalation"]
    assert escalations == [("coordinator", True), ("quality_lead", True), ("dean", False)]
    [noted] = [e for e in status.data.audit if "to dean" in e.summary]
    assert noted.summary.endswith(
        "; not sent: no Postgraduate Dean address is configured (QI_DEAN_EMAIL)")
    tag = f"[{status.data.reference}] "
    assert status.data.reference is not None
    assert all(m.subject.startswith(tag) for m in h.notifier.sent)  # reminders and escalations
    subjects = [m.subject.removeprefix(tag) for m in h.notifier.sent]
    assert not any(s.startswith("Final escalation") for s in subjects)
    assert any(s.startswith("Escalation 2 to the quality lead: convene panel") for s in subjects)
