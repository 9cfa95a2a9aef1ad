"""Every committed history still replays: a change that breaks running interventions fails here.

The histories are recorded by `python -m tests.workflows.histories.record` (see its docstring
for what each one holds); a released one is never re-recorded.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from core.codec import ENCODING, SEALED_FOR, SealingCodec
from core.keys import read_keys
from models.commands import Command, Event, StartIntervention
from models.intervention import InterventionData
from models.registry import COMMANDS, apply_command, independence_problems
from tests import scenario
from tests.workflows.histories import record
from tests.workflows.histories.record import KEYS, RECORDINGS
from workflows.intervention import (
    INDEPENDENCE_BY_IDENTITY,
    SEALED_STARTS,
    SEALS_NAME_THEIR_INTERVENTION,
    InterventionWorkflow,
)

FOLDER = Path(__file__).parent / "histories"
HISTORIES = sorted(p for p in FOLDER.glob("*.json") if p != KEYS)


def _load(stem: str) -> WorkflowHistory:
    """A committed history under its own workflow ID, as a worker replays it (a seal names the
    workflow it was made for); histories from servers that did not record the ID, by name."""
    text = (FOLDER / f"{stem}.json").read_text(encoding="utf-8")
    started = json.loads(text)["events"][0]["workflowExecutionStartedEventAttributes"]
    return WorkflowHistory.from_json(started.get("workflowId", stem), text)


def _events(stem: str) -> list[EventType.ValueType]:
    return [event.event_type for event in _load(stem).events]


def _updates(stem: str) -> list[str]:
    return [
        event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for event in _load(stem).events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]


def test_every_file_in_the_folder_is_a_replayed_history() -> None:
    # A history saved under another suffix, or beside the folder, would silently not replay.
    others = {p.name for p in FOLDER.iterdir() if p.suffix not in {".json", ".py"}}
    assert others <= {"__pycache__"}
    assert {p.name for p in FOLDER.glob("*.json")} - {p.name for p in HISTORIES} == {KEYS.name}
    assert {p.stem for p in HISTORIES} >= set(RECORDINGS), "a recording is not committed"


def test_every_history_can_be_recorded_again() -> None:
    recordable = {
        stem
        for stem in (p.stem for p in HISTORIES)
        for name in RECORDINGS
        if stem == name or stem.startswith(f"{name}_run")
    }
    assert recordable == {p.stem for p in HISTORIES}


def _patches(history: WorkflowHistory) -> set[str]:
    return {
        json.loads(event.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)[
            "id"]
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    }


def _accepted(history: WorkflowHistory) -> list[tuple[Event, Payload, datetime]]:
    """Every command the history accepted, in order: its payload as recorded, and when."""
    return [
        (Event(request.input.name), request.input.args.payloads[0],
         event.event_time.ToDatetime(tzinfo=UTC))
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        for request in [event.workflow_execution_update_accepted_event_attributes.accepted_request]
        if request.input.name in set(Event)
    ]


def _decode(payload: Payload, as_type: type[Any]) -> Any:
    return pydantic_data_converter.payload_converter.from_payloads([payload], [as_type])[0]


def _commands(history: WorkflowHistory) -> list[tuple[Event, Command]]:
    return [(e, _decode(p, COMMANDS[e].contract)) for e, p, _ in _accepted(history)]


def _people_refused(history: WorkflowHistory) -> dict[Event, list[str]]:
    """What the rules comparing people say of each command the history accepted, each asked of
    the data it met."""
    started = history.events[0]
    start = _decode(started.workflow_execution_started_event_attributes.input.payloads[0],
                    StartIntervention)
    data: InterventionData = start.initial_data(started.event_time.ToDatetime(tzinfo=UTC))
    refused: dict[Event, list[str]] = {}
    for event, payload, at in _accepted(history):
        command = _decode(payload, COMMANDS[event].contract)
        data = apply_command(data, event, command, at)
        rules = [p.rule for p in independence_problems(event, data, command)]
        if rules:
            refused[event] = rules
    return refused


def test_the_history_from_before_the_rules_holds_commands_they_refuse() -> None:
    # So its replay proves that handlers replay such commands as they were accepted.
    history = _load("lead_undeclared_v2")
    assert INDEPENDENCE_BY_IDENTITY not in _patches(history)
    assert all(command.actor_email is None for _, command in _commands(history))
    refused = _people_refused(history)
    assert set(refused) == {Event.convene_panel, Event.approve_closure}
    assert refused[Event.convene_panel][0].startswith(
        "Dr M. Hale has the e-mail of the provider's lead, Dr Morgan Hale")
    assert refused[Event.approve_closure][0].startswith(
        "this Urgent Risk Review is coordinated by c.okafor")


def test_the_history_since_the_rules_carries_every_senders_email() -> None:
    history = _load("signed_in_review_v3")
    assert INDEPENDENCE_BY_IDENTITY in _patches(history)
    commands = _commands(history)
    assert [event for event, _ in commands] == [event for event, _ in scenario.SIGNED_IN_PATH]
    assert all(command.actor_email for _, command in commands)
    assert _people_refused(history) == {}


async def test_handlers_hold_commands_since_the_rules_to_them() -> None:
    """The recorded panel declares the provider lead's conflict; with it undeclared, the
    handler (which replay runs; validators do not) refuses, and the replay no longer matches."""
    history = _load("signed_in_review_v3")
    convene = next(p for event, p, _ in _accepted(history) if event is Event.convene_panel)
    panel = json.loads(convene.data)
    assert panel["members"][-1]["conflict"] == "managed"
    panel["members"][-1]["conflict"] = "none"
    convene.data = json.dumps(panel).encode()
    replayer = Replayer(workflows=[InterventionWorkflow], data_converter=pydantic_data_converter)

    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)

    assert result.replay_failure is not None
    assert "Nondeterminism" in type(result.replay_failure).__name__


def _sealed(stem: str) -> bool:
    started = _load(stem).events[0].workflow_execution_started_event_attributes
    return started.input.payloads[0].metadata["encoding"] == ENCODING


@pytest.mark.parametrize(("history", "converter"), [
    *[(p.stem, "sealing") for p in HISTORIES],
    *[(p.stem, "plain") for p in HISTORIES if not _sealed(p.stem)],
])
async def test_history_replays(history: str, converter: str) -> None:
    # Sealing: what workers run now, with the keys the sealed histories were recorded with;
    # histories from before sealing hold plain payloads, which its codec passes through.
    chosen = pydantic_data_converter if converter == "plain" else record.converter()
    # debug_mode: no 2 s deadlock timer per activation, which a busy machine can trip while
    # the sandbox first imports the workflow; what is tested here is determinism alone.
    replayer = Replayer(workflows=[InterventionWorkflow], data_converter=chosen, debug_mode=True)
    result = await replayer.replay_workflow(_load(history), raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_reminders_history_holds_fired_timers_and_clock_commands(version: str) -> None:
    events = _events(f"reminders_{version}")
    assert events.count(EventType.EVENT_TYPE_TIMER_FIRED) >= 5
    assert events[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    assert {"reschedule_meeting", "pause_clock", "resume_clock", "close"} <= set(
        _updates(f"reminders_{version}")
    )


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_continue_as_new_history_hands_over_to_a_second_run(version: str) -> None:
    assert _events(f"continue_as_new_{version}")[-1] == (
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    )
    second = _load(f"continue_as_new_{version}_run2").events
    assert second[0].workflow_execution_started_event_attributes.continued_execution_run_id
    assert second[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    assert "close" in _updates(f"continue_as_new_{version}_run2")


@pytest.mark.parametrize("stem", ["urgent_review_v4", "continue_as_new_v4",
                                  "continue_as_new_v4_run2"])
def test_histories_since_the_seal_is_checked_are_sealed_and_went_through_the_check(
    stem: str
) -> None:
    # So their replay goes through the patched path: the start checked for the service's seal.
    assert _sealed(stem)
    assert SEALED_STARTS in _patches(_load(stem))


def test_outside_changes_history_holds_a_noted_cancellation_request_and_a_noted_reset() -> None:
    first = _events("outside_changes_v4")
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED in first
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED not in first  # it carried on
    assert first[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED  # by the reset
    second = _load("outside_changes_v4_run2").events
    assert any(
        e.workflow_task_failed_event_attributes.cause
        == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW
        for e in second
    )
    assert _updates("outside_changes_v4_run2")[:2] == ["escalate", "note_reset"]
    # The projection the reset's numbers held up was cancelled and handed over again.
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in _events("outside_changes_v4_run2")
    assert second[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED


def _opened(payload: Payload) -> Payload:
    """A sealed payload of the histories, opened with the test-only keys they were sealed with."""
    return SealingCodec(read_keys(KEYS))._open(payload)[0]


@pytest.mark.parametrize("stem", ["urgent_review_v5", "continue_as_new_v5",
                                  "continue_as_new_v5_run2"])
def test_histories_since_seals_name_their_intervention_went_through_the_check(stem: str) -> None:
    # So their replay goes through the patched path: the start held to the seal naming it.
    history = _load(stem)
    assert SEALS_NAME_THEIR_INTERVENTION in _patches(history)
    start = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    named = {_opened(start).metadata[SEALED_FOR]}
    named |= {_opened(payload).metadata[SEALED_FOR] for _, payload, _ in _accepted(history)}
    assert named == {history.workflow_id.encode()}


def test_the_run_continued_as_new_is_handed_the_seals_its_first_run_took() -> None:
    first, second = _load("continue_as_new_v5"), _load("continue_as_new_v5_run2")
    taken = sorted(p.data[:12].hex() for _, p, _ in _accepted(first))
    started = second.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    handed = json.loads(_opened(started).data)["seals_taken"]

    assert len(taken) >= 4
    assert handed == taken
