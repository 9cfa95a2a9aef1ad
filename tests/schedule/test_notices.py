"""The notice plan: what is reminded, escalated and nudged, and what stops it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from models.calendar import ENGLAND_AND_WALES
from models.catalogue import Recipient, load_catalogue
from models.commands import Event, PauseClock, RecordActionProgress, ResumeClock
from models.errors import ErrorType, ProblemError
from models.intervention import (
    Action,
    AuditEntry,
    Concern,
    Deadline,
    DeadlineKind,
    InterventionData,
    Provider,
    State,
)
from models.preview import preview_intervention, preview_type
from models.registry import apply_command
from models.schedule import Notice, NoticeKind, add_months, plan_notices

STARTED = datetime(2030, 12, 2, 9, tzinfo=UTC)



def _plan(data: InterventionData, today: date) -> list[Notice]:
    return plan_notices(data, today, ENGLAND_AND_WALES)

def _data(**changes: object) -> InterventionData:
    catalogue = load_catalogue()
    data = InterventionData(
        intervention_id="intervention-00000000-0000-0000-0000-000000000001",
        type=catalogue.get("urgent_risk_review"),
        risk_bands=catalogue.risk_bands,
        provider=Provider(code="RXX01", name="Northshire", site="ED", lead_name="Dr Hale",
                          lead_email="dme@example.nhs.uk"),
        concern=Concern(likelihood=4, impact=4, summary="Supervision gaps"),
        coordinator="c.okafor",
        coordinator_email="c.okafor@example.nhs.uk",
        started_at=STARTED,
        deadlines=[Deadline(kind=DeadlineKind.convene_panel, due_on=date(2030, 12, 9),
                            set_on=date(2030, 12, 2))],
        audit=[AuditEntry(seq=1, at=STARTED, actor="c.okafor", command="start",
                          from_state=State.planned, to_state=State.planned, summary="start")],
    )
    return data.model_copy(update=changes)


def test_open_deadline_gets_reminders_then_the_escalation_chain() -> None:
    notices = [n for n in _plan(_data(), date(2030, 12, 2)) if n.key.startswith("deadline")]
    assert [(n.kind, n.on, n.recipient) for n in notices] == [
        (NoticeKind.reminder, date(2030, 12, 4), Recipient.coordinator),
        (NoticeKind.reminder, date(2030, 12, 6), Recipient.coordinator),
        (NoticeKind.escalation, date(2030, 12, 10), Recipient.coordinator),
        (NoticeKind.escalation, date(2030, 12, 16), Recipient.quality_lead),
        (NoticeKind.escalation, date(2030, 12, 23), Recipient.dean),
    ]


def test_stall_nudge_counts_from_the_last_coordinator_command() -> None:
    stall = [n for n in _plan(_data(), date(2030, 12, 2)) if n.kind is NoticeKind.stall]
    assert [(n.on, n.recipient) for n in stall] == [(date(2030, 12, 16), Recipient.coordinator)]


def test_nothing_is_planned_while_paused_or_once_ended() -> None:
    now = datetime(2030, 12, 3, 10, tzinfo=UTC)
    paused = apply_command(_data(), Event.pause_clock,
                           PauseClock(actor="c.okafor", reason="Special measures"), now)
    assert _plan(paused, date(2030, 12, 3)) == []
    assert _plan(_data(state=State.closed), date(2030, 12, 3)) == []


def test_accepted_action_has_no_reminders() -> None:
    action = Action(id="A1", finding_id="F1", description="Rota", owner_name="Dr Hale",
                    owner_email="dme@example.nhs.uk", due_on=date(2031, 3, 31),
                    added_on=date(2030, 12, 2))
    open_plan = _plan(_data(actions=[action]), date(2030, 12, 2))
    assert any(n.action_id == "A1" for n in open_plan)
    accepted = action.model_copy(update={"status": "accepted"})
    assert not any(n.action_id for n in _plan(_data(actions=[accepted]), date(2030, 12, 2)))


def test_resume_when_not_paused_is_refused() -> None:
    with pytest.raises(ProblemError) as refused:
        apply_command(_data(), Event.resume_clock, ResumeClock(actor="c.okafor"), STARTED)
    assert refused.value.error_type is ErrorType.COMMAND_REFUSED
    assert str(refused.value) == "command: the clock is not paused"


def test_pause_twice_is_refused() -> None:
    paused = apply_command(_data(), Event.pause_clock,
                           PauseClock(actor="c.okafor", reason="Special measures"), STARTED)
    with pytest.raises(ProblemError, match="already paused"):
        apply_command(paused, Event.pause_clock,
                      PauseClock(actor="c.okafor", reason="Again"), STARTED)


def test_pause_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        PauseClock.model_validate({"actor": "c.okafor"})
    with pytest.raises(ValueError, match="reason"):
        PauseClock.model_validate({"actor": "c.okafor", "reason": "  "})


def test_progress_on_an_unknown_action_names_it() -> None:
    with pytest.raises(ProblemError, match="action_id: no action 'A9'"):
        apply_command(_data(), Event.record_action_progress,
                      RecordActionProgress(actor="c.okafor", action_id="A9", note="x"), STARTED)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2031, 1, 31), 1, date(2031, 2, 28)),
        (date(2032, 1, 31), 1, date(2032, 2, 29)),
        (date(2031, 11, 15), 3, date(2032, 2, 15)),
    ],
)
def test_add_months_clamps_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_type_preview_lists_each_deadline_with_its_reminders() -> None:
    items = preview_type(load_catalogue().get("urgent_risk_review"), date(2030, 12, 2))
    deadlines = [(i.about, i.on) for i in items if i.what == "deadline"]
    assert deadlines == [
        ("convene panel", date(2030, 12, 9)),
        ("first meeting", date(2030, 12, 23)),  # 10 working days after 9 Dec
        ("draft report", date(2031, 1, 16)),  # 15 after 23 Dec, over Christmas and New Year
        ("final report", date(2031, 2, 13)),  # 35 after 23 Dec
        ("action plan", date(2031, 3, 13)),  # 20 after 13 Feb
    ]
    assert [i.on for i in items] == sorted(i.on for i in items)
    assert {i.what for i in items} == {"deadline", "reminder", "escalation if missed"}


@pytest.mark.parametrize("code", [t.code for t in load_catalogue().active()])
def test_every_type_has_a_preview(code: str) -> None:
    items = preview_type(load_catalogue().get(code), date(2027, 1, 4))
    assert len([i for i in items if i.what == "deadline"]) == 5


def test_intervention_preview_merges_deadlines_and_upcoming_notices() -> None:
    data = _data()
    items = preview_intervention(data, _plan(data, date(2030, 12, 2)))
    assert items[0].on == date(2030, 12, 4)
    assert ("deadline", date(2030, 12, 9)) in [(i.what, i.on) for i in items]
