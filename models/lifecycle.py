"""The intervention lifecycle: the machine over the states, built from each command's
transitions and guards in the registry (`models.registry`).

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
from models.registry import COMMANDS

__all__ = ["TRANSITIONS", "Lifecycle", "Step", "mermaid_diagram"]

# transitions logs every trigger at INFO, which a replaying workflow would repeat endlessly.
logging.getLogger("transitions").setLevel(logging.ERROR)

@dataclass(frozen=True)
class Step:
    """One row of the transition table: a command from some states, to a state or staying."""

    event: Event
    sources: tuple[State, ...]
    dest: State | None  # None: an internal transition (the command is allowed, state stays)
    guards: tuple[g.Guard, ...] = ()


TRANSITIONS: tuple[Step, ...] = tuple(
    Step(event, t.sources, t.dest, t.guards)
    for event, spec in COMMANDS.items()
    for t in spec.transitions
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
