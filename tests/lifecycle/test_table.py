"""(state, command) -> next state or refusal, for every state and every command."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from models import guards
from models.commands import Event
from models.errors import ErrorType, Problem, ProblemError
from models.intervention import State
from models.lifecycle import TRANSITIONS, Lifecycle

if TYPE_CHECKING:
    from tests.lifecycle.conftest import Journey

S, E = State, Event

# Every command each state accepts, and where it leads. A command not listed is refused.
TABLE: dict[tuple[State, Event], State] = {
    (S.planned, E.convene_panel): S.panel_convened,
    (S.planned, E.cancel): S.cancelled,
    (S.planned, E.escalate): S.planned,
    (S.planned, E.pause_clock): S.planned,
    (S.planned, E.resume_clock): S.planned,
    (S.panel_convened, E.schedule_meeting): S.panel_convened,
    (S.panel_convened, E.reschedule_meeting): S.panel_convened,
    (S.panel_convened, E.record_meeting): S.meetings_held,
    (S.panel_convened, E.cancel): S.cancelled,
    (S.panel_convened, E.escalate): S.panel_convened,
    (S.panel_convened, E.pause_clock): S.panel_convened,
    (S.panel_convened, E.resume_clock): S.panel_convened,
    (S.meetings_held, E.schedule_meeting): S.meetings_held,
    (S.meetings_held, E.reschedule_meeting): S.meetings_held,
    (S.meetings_held, E.record_meeting): S.meetings_held,
    (S.meetings_held, E.issue_report): S.report_issued,
    (S.meetings_held, E.add_action): S.meetings_held,
    (S.meetings_held, E.escalate): S.meetings_held,
    (S.meetings_held, E.pause_clock): S.meetings_held,
    (S.meetings_held, E.resume_clock): S.meetings_held,
    (S.report_issued, E.add_action): S.report_issued,
    (S.report_issued, E.agree_action_plan): S.actions_tracked,
    (S.report_issued, E.record_action_progress): S.report_issued,
    (S.report_issued, E.escalate): S.report_issued,
    (S.report_issued, E.pause_clock): S.report_issued,
    (S.report_issued, E.resume_clock): S.report_issued,
    (S.actions_tracked, E.add_action): S.actions_tracked,
    (S.actions_tracked, E.record_action_progress): S.actions_tracked,
    (S.actions_tracked, E.accept_action): S.actions_tracked,
    (S.actions_tracked, E.transfer_action): S.actions_tracked,
    (S.actions_tracked, E.approve_closure): S.actions_tracked,
    (S.actions_tracked, E.close): S.closed,
    (S.actions_tracked, E.escalate): S.actions_tracked,
    (S.actions_tracked, E.pause_clock): S.actions_tracked,
    (S.actions_tracked, E.resume_clock): S.actions_tracked,
}

# What must come first for a command's own rules to hold (its payload is always valid).
PREPARE: dict[Event, Callable[[Journey], object]] = {
    E.close: lambda journey: journey.settle(),
    E.reschedule_meeting: lambda journey: journey.do(E.schedule_meeting),
    E.resume_clock: lambda journey: journey.do(E.pause_clock),
}

REFUSED = [(state, event) for state in State for event in Event if (state, event) not in TABLE]


def _expected_allowed(state: State) -> list[Event]:
    return [event for event in Event if (state, event) in TABLE]


def _graph() -> dict[State, set[State]]:
    edges: dict[State, set[State]] = {state: set() for state in State}
    for step in TRANSITIONS:
        for source in step.sources:
            edges[source].add(step.dest or source)
    return edges


def test_transition_table_is_the_expected_one() -> None:
    actual = {
        (source, step.event): step.dest or source
        for step in TRANSITIONS
        for source in step.sources
    }
    assert actual == TABLE


@pytest.mark.parametrize("state", list(State), ids=str)
def test_allowed_lists_exactly_the_commands_of_the_state(state: State) -> None:
    assert Lifecycle(state).allowed() == _expected_allowed(state)


@pytest.mark.parametrize(("state", "event"), list(TABLE), ids=str)
def test_allowed_command_moves_to_its_destination(
    urgent: Journey, state: State, event: Event
) -> None:
    journey = urgent.reach(state)
    prepare = PREPARE.get(event)
    if prepare is not None:
        prepare(journey)
    assert journey.do(event) is TABLE[state, event]


@pytest.mark.parametrize(("state", "event"), REFUSED, ids=str)
def test_command_outside_its_states_is_refused_naming_command_and_state(
    urgent: Journey, state: State, event: Event
) -> None:
    data = urgent.reach(state).data
    lifecycle = Lifecycle(state)
    allowed = ", ".join(_expected_allowed(state)) or "nothing (the intervention has ended)"
    expected = Problem(
        field="command",
        rule=f"{event} is not allowed while the intervention is {state}; allowed now: {allowed}",
    )

    with pytest.raises(ProblemError) as caught:
        lifecycle.fire(event, data, urgent.today)

    assert caught.value.problems == [expected]
    assert caught.value.error_type is ErrorType.COMMAND_REFUSED
    assert lifecycle.state is state


def test_refusal_lists_what_is_allowed_now(urgent: Journey) -> None:
    data = urgent.reach(State.planned).data
    problems = Lifecycle(State.planned).refusals(Event.close, data, urgent.today)
    assert [p.rule for p in problems] == [
        "close is not allowed while the intervention is planned; "
        "allowed now: convene_panel, cancel, escalate, pause_clock, resume_clock"
    ]


@pytest.mark.parametrize(
    "type_code",
    [
        "urgent_risk_review",
        "programme_review",
        "learner_educator_review",
        "senior_leader_engagement",
        "specialty_expert_review",
        "sharing_good_practice",
    ],
)
def test_every_type_can_be_driven_from_planned_to_closed(
    journey: Callable[[str], Journey], type_code: str
) -> None:
    run = journey(type_code)
    visited = [run.data.state]
    for target in (
        State.panel_convened,
        State.meetings_held,
        State.report_issued,
        State.actions_tracked,
    ):
        visited.append(run.reach(target).data.state)
    run.settle()
    visited.append(run.do(Event.close))
    assert visited == [
        State.planned,
        State.panel_convened,
        State.meetings_held,
        State.report_issued,
        State.actions_tracked,
        State.closed,
    ]


# -- structure ---------------------------------------------------------------------------------


def test_every_state_is_reachable_from_planned() -> None:
    edges = _graph()
    seen, queue = {State.planned}, deque([State.planned])
    while queue:
        for dest in edges[queue.popleft()] - seen:
            seen.add(dest)
            queue.append(dest)
    assert seen == set(State)


@pytest.mark.parametrize("state", [State.closed, State.cancelled], ids=str)
def test_terminal_state_has_no_exits(state: State) -> None:
    assert state.terminal
    assert [step.event for step in TRANSITIONS if state in step.sources] == []
    assert Lifecycle(state).allowed() == []


def test_only_closed_and_cancelled_are_terminal() -> None:
    assert {state for state in State if state.terminal} == {State.closed, State.cancelled}


def test_every_command_appears_in_the_table() -> None:
    assert {step.event for step in TRANSITIONS} == set(Event)


def test_every_open_state_has_a_way_forward() -> None:
    edges = _graph()
    for state in State:
        if not state.terminal:
            assert edges[state] - {state}, f"{state} has no transition to another state"


def test_cancel_only_before_any_meeting_is_held() -> None:
    # States reachable from planned without a meeting being recorded as held.
    edges: dict[State, set[State]] = {state: set() for state in State}
    for step in TRANSITIONS:
        if step.event is not Event.record_meeting:
            for source in step.sources:
                edges[source].add(step.dest or source)
    before_meetings, queue = {State.planned}, deque([State.planned])
    while queue:
        for dest in edges[queue.popleft()] - before_meetings:
            before_meetings.add(dest)
            queue.append(dest)

    cancels = [step for step in TRANSITIONS if step.event is Event.cancel]

    assert len(cancels) == 1
    assert set(cancels[0].sources) == {State.planned, State.panel_convened}
    assert set(cancels[0].sources) <= before_meetings
    assert cancels[0].dest is State.cancelled
    assert guards.no_meeting_held in cancels[0].guards
