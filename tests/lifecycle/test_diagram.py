"""The mermaid diagram is drawn from the transition table and shows all of it."""

from __future__ import annotations

import re

import pytest

from models.commands import Event
from models.intervention import State
from models.lifecycle import TRANSITIONS, mermaid_diagram

S, E = State, Event

# Every command that moves an intervention to another state.
MOVES: list[tuple[State, Event, State]] = [
    (S.planned, E.convene_panel, S.panel_convened),
    (S.planned, E.cancel, S.cancelled),
    (S.panel_convened, E.record_meeting, S.meetings_held),
    (S.panel_convened, E.cancel, S.cancelled),
    (S.meetings_held, E.issue_report, S.report_issued),
    (S.report_issued, E.agree_action_plan, S.actions_tracked),
    (S.actions_tracked, E.close, S.closed),
]


@pytest.fixture(scope="module")
def diagram() -> str:
    return mermaid_diagram()


def _labels(diagram: str, source: State, dest: State) -> list[str]:
    """The commands on the arrow from `source` to `dest`."""
    arrow = re.search(rf"^\s*{source} --> {dest}: (.+)$", diagram, flags=re.MULTILINE)
    assert arrow is not None, f"no arrow {source} --> {dest}"
    return [label.strip() for label in arrow.group(1).split("|")]


def test_diagram_is_a_mermaid_state_diagram_starting_at_planned(diagram: str) -> None:
    assert "stateDiagram-v2" in diagram
    assert re.search(r"^\s*\[\*\] --> planned$", diagram, flags=re.MULTILINE)


@pytest.mark.parametrize("state", list(State), ids=str)
def test_diagram_shows_every_state(diagram: str, state: State) -> None:
    assert re.search(rf'^\s*state "{state}" as {state}$', diagram, flags=re.MULTILINE)


@pytest.mark.parametrize(("source", "event", "dest"), MOVES, ids=str)
def test_diagram_shows_every_state_changing_command(
    diagram: str, source: State, event: Event, dest: State
) -> None:
    assert event.value in _labels(diagram, source, dest)


def test_diagram_shows_each_move_in_the_transition_table(diagram: str) -> None:
    for step in TRANSITIONS:
        if step.dest is not None:
            for source in step.sources:
                assert step.event.value in _labels(diagram, source, step.dest)


def test_diagram_has_no_arrow_out_of_a_terminal_state(diagram: str) -> None:
    for state in (State.closed, State.cancelled):
        assert not re.search(rf"^\s*{state} -->", diagram, flags=re.MULTILINE)
