"""Every command the upgrade fixture and its test send, in one place.

If the facade's signatures change, adapt `send` and `start` here; the steps say only which
command comes next from each state, with payloads from tests/scenario.py.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel

from core.interventions import Interventions
from models.commands import Event
from models.intervention import State
from tests import scenario

__all__ = ["Entry", "advance", "close_all", "send", "start"]

Step = tuple[Event, dict[str, Any], State]


class Entry(BaseModel):
    """One intervention of the fixture: where it stands and what driving it on needs."""

    label: str
    intervention_id: str
    state: State
    paused: bool = False
    escalated: bool = False
    booked_meeting_ids: list[str] = []
    finding_ids: list[str] = []
    requirement_ids: list[str] = []  # findings that need an action before the plan is agreed
    action_ids: list[str] = []
    open_action_ids: list[str] = []
    closure_approved: bool = False


async def start(service: Interventions, label: str) -> Entry:
    status = await service.start(scenario.start_request())
    assert status.data.state is State.planned
    return Entry(label=label, intervention_id=status.data.intervention_id, state=State.planned)


async def send(service: Interventions, entry: Entry, event: Event, payload: dict[str, Any],
               expect: State) -> None:
    """Send one command; it must be accepted and leave the intervention in `expect`."""
    result = await service.command(entry.intervention_id, event, payload)
    assert result.state is expect, f"{entry.label}: {event.value} left it {result.state}"
    entry.state = result.state


def _actor() -> dict[str, Any]:
    return {"actor": scenario.COORDINATOR}


def _next_steps(entry: Entry, today: date) -> list[Step]:
    """The commands that move `entry` one state on, noting in it what they create."""
    if entry.state is State.planned:
        return [(Event.convene_panel, scenario.urgent_panel(), State.panel_convened)]
    if entry.state is State.panel_convened:
        booked = entry.booked_meeting_ids.pop(0) if entry.booked_meeting_ids else None
        return [(Event.record_meeting, scenario.meeting(today, meeting_id=booked),
                 State.meetings_held)]
    if entry.state is State.meetings_held:
        # scenario.report(): a mandatory requirement, then good practice.
        first = len(entry.finding_ids) + 1
        entry.finding_ids += [f"F{first}", f"F{first + 1}"]
        entry.requirement_ids.append(f"F{first}")
        return [(Event.issue_report,
                 scenario.report(factual_accuracy_closed_on=today.isoformat()),
                 State.report_issued)]
    if entry.state is State.report_issued:
        steps: list[Step] = []
        answered = entry.requirement_ids
        for finding_id in answered:
            action_id = f"A{len(entry.action_ids) + 1}"
            entry.action_ids.append(action_id)
            entry.open_action_ids.append(action_id)
            due = (today + timedelta(days=30)).isoformat()
            steps.append((Event.add_action, scenario.action(finding_id, due_on=due),
                          State.report_issued))
        entry.requirement_ids = []
        return [*steps, (Event.agree_action_plan, _actor(), State.actions_tracked)]
    if entry.state is State.actions_tracked:
        steps = [(Event.accept_action,
                  {**_actor(), "action_id": action_id, "evidence": "Rota audit shows full cover"},
                  State.actions_tracked) for action_id in entry.open_action_ids]
        entry.open_action_ids = []
        if not entry.closure_approved:
            entry.closure_approved = True
            steps.append((Event.approve_closure, {"actor": scenario.DEAN, "role": "dean"},
                          State.actions_tracked))
        return [*steps, (Event.close, _actor(), State.closed)]
    raise AssertionError(f"{entry.label}: nothing moves an intervention on from {entry.state}")


async def advance(service: Interventions, entry: Entry, to: State, today: date) -> Entry:
    """Drive `entry` on, one state at a time, until it is in `to` (resuming its clock first)."""
    if entry.paused:
        await send(service, entry, Event.resume_clock, _actor(), entry.state)
        entry.paused = False
    while entry.state is not to:
        for event, payload, expect in _next_steps(entry, today):
            await send(service, entry, event, payload, expect)
    return entry


async def close_all(service: Interventions, entries: list[Entry], today: date) -> None:
    """Drive every entry to closed side by side; one failing stops the others."""
    async with asyncio.TaskGroup() as group:
        for entry in entries:
            group.create_task(advance(service, entry, State.closed, today))
