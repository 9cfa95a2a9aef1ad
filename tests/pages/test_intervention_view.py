"""What an intervention's page says, worked out without a service (`api.pages.intervention_view`
and `api.pages.wording`): codes and dates in words, UK times, the lifecycle of a closed
intervention, one ended outside the service, and the audit trail newest first."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import pairwise

import pytest

from api.pages.intervention_view import LIFECYCLE, audit_rows, ending, lifecycle
from api.pages.wording import clock, plain
from models.catalogue import load_catalogue
from models.commands import StartRequest
from models.intervention import AuditEntry, Ended, InterventionData, State
from models.outside import HowEnded, OutsideEnding
from models.status import describe
from tests import scenario

STARTED = datetime(2027, 3, 30, 23, 30, tzinfo=UTC)  # 31 March in the UK (summer time)


def _data(**changes: object) -> InterventionData:
    catalogue = load_catalogue()
    request = StartRequest.model_validate(scenario.start_request())
    data = InterventionData(
        intervention_id="intervention-00000000-0000-0000-0000-000000000001",
        reference="QI-2027-0001", type=catalogue.get(request.type),
        risk_bands=catalogue.risk_bands, provider=request.provider, concern=request.concern,
        coordinator=request.coordinator, coordinator_email=request.coordinator_email,
        started_at=STARTED)
    return data.model_copy(update=changes)


def _entry(seq: int, command: str, before: State | Ended, after: State | Ended, *,
           actor: str = "c.okafor", summary: str | None = None,
           reason: str | None = None) -> AuditEntry:
    return AuditEntry(seq=seq, at=STARTED.replace(day=31, hour=8 + seq, minute=0), actor=actor,
                      command=command, from_state=before, to_state=after,
                      summary=summary or f"{command}: {before} -> {after}", reason=reason)


@pytest.mark.parametrize(("written", "read"), [
    ("the panel needs a member in the role senior_panel_member",
     "the panel needs a member in the role senior panel member"),
    ("the clock is already paused (since 2027-04-01)",
     "the clock is already paused (since 1 April 2027)"),
    ("imr response for F1", "immediate mandatory requirement response for F1"),
    ("book one with schedule_meeting", "book one with schedule meeting"),
    # Not a code of the service's: left as it is.
    ("see ward_7b_rota", "see ward_7b_rota"),
    ("not a day 2027-13-45", "not a day 2027-13-45"),
])
def test_the_services_own_text_reads_in_words(written: str, read: str) -> None:
    assert plain(written) == read


@pytest.mark.parametrize(("hour", "minute", "said"), [
    (9, 0, "9am"), (14, 5, "2:05pm"), (12, 0, "midday"), (0, 0, "midnight"), (0, 30, "12:30am"),
])
def test_times_are_written_as_the_nhs_writes_them(hour: int, minute: int, said: str) -> None:
    assert clock(datetime(2027, 1, 4, hour, minute, tzinfo=UTC)) == said


def test_a_closed_intervention_has_done_every_step_and_is_at_the_last() -> None:
    audit = [_entry(1, "start", State.planned, State.planned),
             *[_entry(i + 2, "step", before, after)
               for i, (before, after) in enumerate(pairwise(LIFECYCLE))]]

    steps = lifecycle(_data(state=State.closed), audit)

    assert [s.state for s in steps] == list(LIFECYCLE)
    assert all(s.done for s in steps)
    assert [s.state for s in steps if s.current] == [State.closed]
    # Started just before midnight UTC: it is the next day in the UK.
    assert steps[0].reached_on == date(2027, 3, 31)


def test_a_planned_intervention_has_one_current_step_and_none_done() -> None:
    steps = lifecycle(_data(), [_entry(1, "start", State.planned, State.planned)])

    assert [(s.state, s.done, s.current) for s in steps][:2] == [
        (State.planned, False, True), (State.panel_convened, False, False)]
    assert [s.reached_on for s in steps[1:]] == [None] * 5


def test_an_intervention_ended_in_temporal_says_so_and_not_who() -> None:
    data = _data(state=State.panel_convened)
    ended = OutsideEnding(how=HowEnded.terminated, at=STARTED, last_state=State.panel_convened)
    status = describe(data, STARTED.date()).model_copy(
        update={"ended_outside": ended, "next_steps": []})

    said = ending(status, [])

    assert said is not None
    assert (said.title, said.outside, said.by, said.last_state) == (
        "Ended in Temporal (terminated)", True, None, State.panel_convened)
    assert ending(describe(data, STARTED.date()), []) is None


def test_the_trail_is_newest_first_in_words_with_reasons_as_typed() -> None:
    audit = [
        _entry(1, "start", State.planned, State.planned),
        _entry(2, "reminder", State.planned, State.planned, actor="system",
               summary="reminder to coordinator: convene panel due 2027-04-14"),
        _entry(3, "escalate", State.planned, State.planned, reason="Rota_gaps on 2027-04-01"),
        _entry(4, "convene_panel", State.planned, State.panel_convened),
    ]

    rows = audit_rows(audit)

    assert [(r.what, r.who) for r in rows] == [
        ("Convene panel", "c.okafor"), ("Escalate", "c.okafor"),
        ("Reminder sent", "The service"), ("Started", "c.okafor")]
    assert rows[0].moved == (State.planned, State.panel_convened)
    assert rows[0].summary is None  # the change of state says it all
    assert rows[1].reason == "Rota_gaps on 2027-04-01"  # a person's words, untouched
    assert rows[2].summary == "reminder to coordinator: convene panel due 14 April 2027"
    assert rows[3].moved is None
    assert rows[0].time == "1pm"  # 12:00 UTC on 31 March 2027 is 1pm UK summer time
