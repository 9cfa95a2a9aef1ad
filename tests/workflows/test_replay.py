"""Every committed history still replays: a change that breaks running interventions fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.intervention import InterventionWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_committed() -> None:
    assert HISTORIES, "tests/workflows/histories/ should hold at least one recorded history"


@pytest.mark.parametrize(
    "history",
    [WorkflowHistory.from_json(p.stem, p.read_text(encoding="utf-8")) for p in HISTORIES],
    ids=[p.stem for p in HISTORIES],
)
async def test_history_replays(history: WorkflowHistory) -> None:
    replayer = Replayer(workflows=[InterventionWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure
