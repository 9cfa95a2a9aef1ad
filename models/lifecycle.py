"""The intervention lifecycle, defined once: states, commands, transitions and their guards.

Read by the workflow's update validators, the API/CLI "allowed next commands", the README
diagram and the tests. Only the state value is persisted; a machine is rebuilt at that state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from transitions import Machine
from transitions.extensions import GraphMachine

from models import guards as g
from models.commands import Event
from models.errors import ErrorType, Problem, ProblemError
from models.intervention import InterventionData, State

__all__ = ["TRANSITIONS", "Lifecycle", "Step", "mermaid_diagram"]

# transitions logs every trigger at INFO, which a replaying workflow would repeat endlessly.
logging.getLogger("transitions").setLevel(logging.ERROR)

OPEN_STATES = tuple(s for s in State if not s.terminal)


@dataclass(frozen=True)
class Step:
    event: Event
    sources: tuple[State, ...]
    dest: State | None  # None: an internal transition (the command is allowed, state stays)
    guards: tuple[g.Guard, ...] = ()


_PANEL_GUARDS = (
    g.chair_named,
    g.panel_has_required_roles,
    g.chair_holds_lead_role,
    g.interests_declared,
    g.chair_not_conflicted,
    g.conflicted_members_excluded,
)
_MEETINGS = (State.panel_convened, State.meetings_held)
_ACTIONS = (State.report_issued, State.actions_tracked)

TRANSITIONS: tuple[Step, ...] = (
    Step(Event.convene_panel, (State.planned,), State.panel_convened, _PANEL_GUARDS),
    Step(Event.schedule_meeting, _MEETINGS, None, (g.meetings_scheduled_ahead,)),
    Step(Event.record_meeting, (State.panel_convened,), State.meetings_held,
         (g.held_meetings_complete,)),
    Step(Event.record_meeting, (State.meetings_held,), None, (g.held_meetings_complete,)),
    Step(Event.issue_report, (State.meetings_held,), State.report_issued,
         (g.report_final, g.findings_classified, g.factual_accuracy_closed)),
    Step(Event.add_action, (State.meetings_held, *_ACTIONS), None, (g.actions_fit_their_findings,)),
    Step(Event.agree_action_plan, (State.report_issued,), State.actions_tracked,
         (g.every_requirement_has_action,)),
    Step(Event.record_action_progress, _ACTIONS, None),
    Step(Event.accept_action, (State.actions_tracked,), None, (g.acceptances_independent,)),
    Step(Event.transfer_action, (State.actions_tracked,), None),
    Step(Event.approve_closure, (State.actions_tracked,), None, (g.closure_approver_allowed,)),
    Step(Event.close, (State.actions_tracked,), State.closed,
         (g.every_requirement_resolved, g.closure_approved)),
    Step(Event.cancel, (State.planned, State.panel_convened), State.cancelled,
         (g.no_meeting_held,)),
    Step(Event.escalate, OPEN_STATES, None),
    Step(Event.reschedule_meeting, _MEETINGS, None, (g.meetings_scheduled_ahead,)),
    Step(Event.pause_clock, OPEN_STATES, None),
    Step(Event.resume_clock, OPEN_STATES, None),
)


def _holds(guard: g.Guard):  # type: ignore[no-untyped-def]
    def condition(data: InterventionData, today: date) -> bool:
        return not guard(data, today)

    condition.__name__ = guard.__name__
    return condition


def _machine_table() -> list[dict[str, object]]:
    return [
        {
            "trigger": step.event.value,
            "source": list(step.sources),
            "dest": step.dest,
            "conditions": [_holds(guard) for guard in step.guards],
        }
        for step in TRANSITIONS
    ]


class _Model:
    state: State


class Lifecycle:
    """A machine at one intervention's current state."""

    def __init__(self, state: State) -> None:
        self._model = _Model()
        self._machine = Machine(
            model=self._model,
            states=State,
            transitions=_machine_table(),
            initial=state,
            auto_transitions=False,
            send_event=False,
        )

    @property
    def state(self) -> State:
        return self._model.state

    def allowed(self) -> list[Event]:
        """Commands this state accepts at all (their guards may still refuse)."""
        triggers = set(self._machine.get_triggers(self.state.name))
        return [e for e in Event if e.value in triggers]

    def refusals(self, event: Event, data: InterventionData, today: date) -> list[Problem]:
        """Why `event` cannot happen now with `data` (the data after the command's change)."""
        if event not in self.allowed():
            allowed = ", ".join(self.allowed()) or "nothing (the intervention has ended)"
            return [Problem(field="command", rule=f"{event} is not allowed while the "
                            f"intervention is {self.state}; allowed now: {allowed}")]
        steps = [s for s in TRANSITIONS if s.event is event and self.state in s.sources]
        problems = [p for step in steps for guard in step.guards for p in guard(data, today)]
        if not problems and not self._model.may_trigger(event.value, data=data, today=today):  # type: ignore[attr-defined]
            problems = [Problem(field="command", rule=f"{event} is refused by the lifecycle")]
        return problems

    def fire(self, event: Event, data: InterventionData, today: date) -> State:
        """Move the machine; raises `ProblemError` with every reason when refused."""
        problems = self.refusals(event, data, today)
        if problems:
            raise ProblemError(problems, ErrorType.COMMAND_REFUSED)
        self._model.trigger(event.value, data=data, today=today)  # type: ignore[attr-defined]
        return self.state


def mermaid_diagram() -> str:
    """The lifecycle as mermaid source, generated from the one transition table."""
    graph = GraphMachine(
        model=_Model(),
        states=State,
        transitions=_machine_table(),
        initial=State.planned,
        auto_transitions=False,
        graph_engine="mermaid",
        show_conditions=False,
        title="Intervention lifecycle",
    )
    source: str = graph.get_graph().draw(None)
    return source.strip() + "\n"
