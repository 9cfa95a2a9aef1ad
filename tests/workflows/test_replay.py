"""Every committed history still replays: a change that breaks running interventions fails here.

The histories are recorded by `python -m tests.workflows.histories.record` (see its docstring
for what each one holds); a released one is never re-recorded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from core.codec import ENCODING
from tests.workflows.histories import record
from tests.workflows.histories.record import KEYS, RECORDINGS
from workflows.intervention import SEALED_STARTS, InterventionWorkflow

FOLDER = Path(__file__).parent / "histories"
HISTORIES = sorted(p for p in FOLDER.glob("*.json") if p != KEYS)


def _load(stem: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(stem, (FOLDER / f"{stem}.json").read_text(encoding="utf-8"))


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
    replayer = Replayer(workflows=[InterventionWorkflow], data_converter=chosen)
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


@pytest.mark.parametrize("stem", ["urgent_review_v3", "continue_as_new_v3",
                                  "continue_as_new_v3_run2"])
def test_histories_since_the_patch_are_sealed_and_refuse_unsealed_starts(stem: str) -> None:
    # So their replay goes through the patched path: the start checked for the service's seal.
    assert _sealed(stem)
    patches = [
        e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data
        for e in _load(stem).events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    assert any(SEALED_STARTS.encode() in data for data in patches)
