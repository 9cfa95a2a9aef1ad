"""`describe`'s "allowed next" is honest: a command it calls sendable is accepted now, one it
says would be refused is refused, with the same reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from models.commands import Event, RecordMeeting
from models.errors import ProblemError
from models.intervention import Attendance, State
from models.status import NextStep, describe
from models.vocabulary import MeetingFormat
from tests.lifecycle.conftest import COORDINATOR, Journey

TYPES = ["urgent_risk_review", "programme_review", "learner_educator_review",
         "senior_leader_engagement", "specialty_expert_review", "sharing_good_practice"]


def _step(journey: Journey, event: Event) -> NextStep:
    steps = {s.command: s for s in describe(journey.data, journey.today).next_steps}
    return steps[event]


def _accepted(journey: Journey, event: Event) -> bool:
    try:
        journey.attempt(event, journey.command(event))
    except ProblemError:
        return False
    return True


def test_resume_clock_is_refused_until_the_clock_is_paused(urgent: Journey) -> None:
    assert _step(urgent, Event.resume_clock).blocked_by == ["the clock is not paused"]
    assert _step(urgent, Event.pause_clock).blocked_by == []

    urgent.do(Event.pause_clock)

    assert _step(urgent, Event.resume_clock).blocked_by == []
    assert _step(urgent, Event.pause_clock).blocked_by == [
        f"the clock is already paused (since {urgent.data.paused_since})"]


def test_reschedule_meeting_needs_a_booked_meeting_not_yet_held(urgent: Journey) -> None:
    urgent.reach(State.panel_convened)
    assert _step(urgent, Event.reschedule_meeting).blocked_by != []

    urgent.do(Event.schedule_meeting)
    assert _step(urgent, Event.reschedule_meeting).blocked_by == []

    urgent.do(Event.record_meeting, RecordMeeting(
        actor=COORDINATOR, meeting_id="M1", held_on=urgent.today, format=MeetingFormat.VIRTUAL,
        attendance=Attendance(learners=3)))
    assert _step(urgent, Event.reschedule_meeting).blocked_by != []


def test_action_commands_need_an_open_action(urgent: Journey) -> None:
    urgent.reach(State.actions_tracked)
    assert _step(urgent, Event.accept_action).blocked_by == []
    urgent.settle()

    for event in (Event.accept_action, Event.transfer_action, Event.record_action_progress):
        assert _step(urgent, event).blocked_by == ["no action is open"]


def test_a_command_that_moves_the_state_says_what_its_payload_needs(urgent: Journey) -> None:
    step = _step(urgent, Event.convene_panel)

    assert step.blocked_by == []
    assert "a chair must be named" in step.needs


@pytest.mark.parametrize("type_code", TYPES)
def test_sendable_means_accepted_and_refused_means_refused(
    journey: Callable[..., Journey], type_code: str
) -> None:
    """At every state of a whole journey, for every command `describe` lists: blocked ones
    are refused; sendable ones without needs are accepted with a valid payload."""
    j = journey(type_code)
    checked = 0
    while (step := j.next_step()) is not None:
        for listed in describe(j.data, j.today).next_steps:
            if listed.blocked_by:
                assert not _accepted(j, listed.command), (listed, j.data.state)
                checked += 1
            elif not listed.needs:
                assert _accepted(j, listed.command), (listed, j.data.state)
                checked += 1
        j.do(*step)
    assert checked > 20
