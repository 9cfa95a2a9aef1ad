"""Nothing a user types reaches Temporal in the clear, and keys rotate under running
interventions.

A marker typed into every free-text field (and every e-mail address) of a whole lifecycle is
searched for in the raw bytes of the history and of the dev server's SQLite file. An
intervention started by a client that does not seal shows that the search finds what is there.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from temporalio.api.history.v1 import History
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from core.codec import ENCODING, sealing_converter
from core.interventions import Interventions
from core.keys import create_key_file, read_keys, write_keys
from models.catalogue import load_catalogue
from models.commands import Event
from models.intervention import State
from tests import scenario
from tests.environments import BIN, sealed
from tests.fakes import RecordingNotifier
from tests.workflows.conftest import Harness, _harness
from worker import build_worker
from workflows.intervention import InterventionWorkflow
from workflows.monitoring import ALL_KEYS

MARKER = f"qimark{uuid.uuid4().hex[:12]}"


async def _filed_server(folder: Path) -> WorkflowEnvironment:
    """A dev server of the test's own, keeping its data in a SQLite file in `folder`."""
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_database_filename=str(folder / "temporal.sqlite3"),
        data_converter=sealed(),
        search_attributes=ALL_KEYS,
        dev_server_log_level="error",
    )


def _marked(text: str) -> str:
    return f"{text} {MARKER}"


def _email(name: str) -> str:
    return f"{name}+{MARKER}@example.nhs.uk"


def _start() -> dict[str, Any]:
    return scenario.start_request(
        provider={"code": "RXX01", "name": _marked("Northshire Trust"),
                  "site": _marked("Emergency Department"), "lead_name": _marked("Dr Hale"),
                  "lead_email": _email("lead")},
        concern={"likelihood": 4, "impact": 4, "source": "national_training_survey",
                 "summary": _marked("Supervision gaps at night")},
        coordinator_email=_email("coordinator"),
    )


def _lifecycle() -> list[tuple[Event, dict[str, Any]]]:
    # As the service sends them, with the e-mail of the sender's account.
    actor = {"actor": scenario.COORDINATOR, "actor_email": _email("coordinator")}
    chair = _marked("Dr Ada Senior")
    members = [
        {**scenario.member("Dr Ada Senior", "senior_panel_member"), "name": chair},
        *[{**scenario.member(name, role), "name": _marked(name), "email": _email(role)}
          for name, role in [("Dr Ben Expert", "subject_expert"),
                             ("Dr Cai External", "external_member"),
                             ("Lee Lay", "lay_representative")]],
    ]
    report = scenario.report(findings=[
        {"category": "mandatory_requirement", "text": _marked("Night rota")},
        {"category": "mandatory_requirement", "text": _marked("Handover")},
    ])
    return [
        (Event.escalate, {**actor, "level": "dean", "reason": _marked("No reply")}),
        (Event.pause_clock, {**actor, "reason": _marked("Special measures")}),
        (Event.resume_clock, actor),
        (Event.convene_panel, {**actor, "chair": chair, "members": members}),
        (Event.record_meeting, scenario.meeting()),
        (Event.issue_report, report),
        *[(Event.add_action, scenario.action(finding, description=_marked("Do it"),
                                             owner_name=_marked("Dr Owner"),
                                             owner_email=_email("owner")))
          for finding in ("F1", "F2")],
        (Event.agree_action_plan, actor),
        (Event.record_action_progress, {**actor, "action_id": "A1", "note": _marked("Drafted")}),
        (Event.accept_action, {**actor, "action_id": "A1", "evidence": _marked("Published")}),
        (Event.transfer_action, {**actor, "action_id": "A2", "transferred_to": _marked("Board"),
                                 "reason": _marked("Trust-wide")}),
        (Event.approve_closure, {"actor": scenario.DEAN, "actor_email": _email("dean"),
                                 "role": "dean"}),
        (Event.close, actor),
    ]


def _raw_files(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file())


async def _history_bytes(client: Client, workflow_id: str) -> bytes:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return History(events=history.events).SerializeToString()


async def test_nothing_typed_in_a_whole_lifecycle_is_stored_in_the_clear(
    tmp_path: Path, engine: Engine
) -> None:
    folder = tmp_path / "temporal"
    folder.mkdir()
    env = await _filed_server(folder)
    try:
        async with asynccontextmanager(_harness)(env, engine) as harness:
            sealed_id, cancelled = await _drive_with_marker(harness)
            final = await harness.client.get_workflow_handle_for(
                InterventionWorkflow.run, sealed_id).result()
            histories = [await _history_bytes(harness.client, i) for i in (sealed_id, cancelled)]
        # The control: a client that does not seal leaves its input readable in both places.
        plain = await Client.connect(env.client.service_client.config.target_host,
                                     data_converter=pydantic_data_converter)
        control = f"control{uuid.uuid4().hex[:12]}"
        await plain.start_workflow("Unsealed", {"text": control}, id=f"plain-{control}",
                                   task_queue=f"nobody-{control}")
        control_history = await _history_bytes(plain, f"plain-{control}")
    finally:
        await env.shutdown()  # the server writes everything out to its file

    assert [MARKER.encode() in history for history in histories] == [False, False]
    assert control.encode() in control_history
    stored = _raw_files(folder)
    assert control.encode() in stored
    assert MARKER.encode() not in stored
    # Yet it is all there, for whoever holds the key.
    assert final.data.state is State.closed
    assert MARKER in final.data.provider.site


async def _drive_with_marker(harness: Harness) -> tuple[str, str]:
    """A whole lifecycle and a cancelled start, every free-text field marked."""
    sealed_id = (await harness.service.start(_start())).data.intervention_id
    for event, payload in _lifecycle():
        await harness.service.command(sealed_id, event, payload)
    await harness.client.get_workflow_handle(sealed_id).result()
    cancelled = (await harness.service.start(_start())).data.intervention_id
    await harness.service.command(cancelled, Event.cancel,
                                  {"actor": scenario.COORDINATOR, "reason": _marked("Error")})
    await harness.settled(sealed_id)
    await harness.settled(cancelled)
    return sealed_id, cancelled


async def test_summaries_are_sealed_too(dev: Harness) -> None:
    # The SDK passes user metadata (the Web UI's summary and details, timer summaries) through
    # the codec, so they are sealed like the rest; the Web UI opens them via the codec server.
    data = (await dev.service.start(scenario.start_request())).data
    history = await dev.client.get_workflow_handle(data.intervention_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    metadata = history.events[0].user_metadata
    assert started.input.payloads[0].metadata["encoding"] == ENCODING
    assert metadata.summary.metadata["encoding"] == ENCODING
    assert metadata.details.metadata["encoding"] == ENCODING
    (summary,) = await dev.client.data_converter.decode([metadata.summary], [str])
    assert summary.startswith(f"{data.reference} Urgent Risk Review: RXX01")


async def test_an_intervention_started_under_the_old_key_finishes_under_the_new(
    dev_env: WorkflowEnvironment, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "keys.json"
    create_key_file(path)
    old = read_keys(path)
    address = dev_env.client.service_client.config.target_host
    # The worker runs throughout, started with the old key file; it is never restarted.
    worker_client = await Client.connect(address, data_converter=sealing_converter(
        old, reload=lambda: read_keys(path)))
    task_queue = f"rotate-{uuid.uuid4()}"
    before = Interventions(worker_client, task_queue=task_queue, catalogue=load_catalogue())
    with ThreadPoolExecutor(max_workers=4) as executor:
        worker = build_worker(worker_client, task_queue=task_queue, engine=engine,
                              notifier=RecordingNotifier(), executor=executor)
        async with worker:
            intervention_id = (await before.start(scenario.start_request())).data.intervention_id
            for event, payload in scenario.URGENT_PATH[:3]:
                await before.command(intervention_id, event, payload)

            rotated = old.rotated()
            write_keys(path, rotated)  # `qi keys rotate`
            after = Interventions(
                await Client.connect(address, data_converter=sealing_converter(rotated)),
                task_queue=task_queue, catalogue=load_catalogue())
            for event, payload in scenario.URGENT_PATH[3:]:
                await after.command(intervention_id, event, payload)
            final = await after.status(intervention_id)

    assert final.data.state is State.closed
    # Key IDs are in the clear, in each sealed payload's metadata: the history holds both.
    history = await _history_bytes(dev_env.client, intervention_id)
    assert old.current.encode() in history
    assert rotated.current.encode() in history
