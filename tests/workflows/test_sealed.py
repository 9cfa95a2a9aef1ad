"""Nothing a user types reaches Temporal in the clear, and keys rotate under running
interventions.

A marker typed into every free-text field (and every e-mail address and user name) of a whole
lifecycle is searched for in the raw bytes of the history, in what the `temporal` CLI shows of
it, and in the dev server's SQLite file. An intervention started by a client that does not seal
shows that the search finds what is there.
"""

from __future__ import annotations

import base64
import contextlib
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from click.testing import CliRunner
from pydantic import BaseModel
from sqlalchemy import Engine
from temporalio.api.history.v1 import History
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from cli import cli
from core.codec import ENCODING, sealing_converter
from core.interventions import Interventions
from core.keys import KeyRing, create_key_file, read_keys, write_keys
from core.settings import Settings
from core.temporal import data_converter
from models.catalogue import load_catalogue
from models.commands import Command, Event, StartRequest
from models.errors import InterventionError
from models.intervention import State
from models.registry import COMMANDS
from models.sealing import Unsealed, refusal
from tests import scenario
from tests.environments import BIN, sealed
from tests.fakes import RecordingNotifier
from tests.temporal_cli import temporal
from tests.workflows.conftest import Harness, _harness
from worker import build_worker
from workflows.intervention import InterventionWorkflow
from workflows.monitoring import ALL_KEYS

MARKER = f"qimark{uuid.uuid4().hex[:12]}"
# Strings that are codes or references by design (readable in search attributes, or naming
# a meeting, finding or action), not free text.
NOT_FREE_TEXT = {"type", "provider.code", "meeting_id", "finding_id", "action_id"}


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


COORDINATOR = f"c.okafor.{MARKER}"
# As the service sends commands: with the user name and e-mail of the sender's account.
COORDINATOR_SENDS = {"actor": COORDINATOR, "actor_email": _email("coordinator")}
DEAN_SENDS = {"actor": f"dean.patel.{MARKER}", "actor_email": _email("dean")}


def _start() -> dict[str, Any]:
    return scenario.start_request(
        provider={"code": "RXX01", "name": _marked("Northshire Trust"),
                  "site": _marked("Emergency Department"), "lead_name": _marked("Dr Hale"),
                  "lead_email": _email("lead")},
        concern={"likelihood": 4, "impact": 4, "source": "national_training_survey",
                 "summary": _marked("Supervision gaps at night"),
                 "override_justification": _marked("Dean asked for a review")},
        coordinator=COORDINATOR,
        coordinator_email=_email("coordinator"),
    )


def _panel() -> dict[str, Any]:
    chair = _marked("Dr Ada Senior")
    members = [
        {**scenario.member("Dr Ada Senior", "senior_panel_member"), "name": chair,
         "email": _email("chair")},
        *[{**scenario.member(name, role), "name": _marked(name), "email": _email(role)}
          for name, role in [("Dr Ben Expert", "subject_expert"),
                             ("Dr Cai External", "external_member"),
                             ("Lee Lay", "lay_representative")]],
    ]
    return {"chair": chair, "members": members}


def _steps_to_tracking() -> list[tuple[Event, dict[str, Any]]]:
    today = scenario.today().isoformat()
    report = scenario.report(findings=[
        {"category": "mandatory_requirement", "text": _marked("Night rota")},
        {"category": "mandatory_requirement", "text": _marked("Handover")},
    ])
    steps = [
        (Event.escalate, {"level": "dean", "reason": _marked("No reply")}),
        (Event.pause_clock, {"reason": _marked("Special measures")}),
        (Event.resume_clock, {"reason": _marked("Measures lifted")}),
        (Event.convene_panel, {**_panel(), "reason": _marked("Panel agreed")}),
        (Event.schedule_meeting, {"scheduled_on": today, "format": "virtual",
                                  "reason": _marked("Booked")}),
        (Event.reschedule_meeting, {"meeting_id": "M1", "scheduled_on": today,
                                    "reason": _marked("Room moved")}),
        (Event.record_meeting, {**scenario.meeting(meeting_id="M1"),
                                "immediate_mandatory_requirements": [_marked("Unsafe handover")],
                                "reason": _marked("Held")}),
        (Event.issue_report, {**report, "reason": _marked("Report out")}),
        *[(Event.add_action, scenario.action(finding, description=_marked("Do it"),
                                             owner_name=_marked("Dr Owner"),
                                             owner_email=_email("owner"),
                                             reason=_marked("Owner agreed")))
          for finding in ("F1", "F2", "F3")],
        (Event.agree_action_plan, {"reason": _marked("Plan agreed")}),
    ]
    return [(event, {**payload, **COORDINATOR_SENDS}) for event, payload in steps]


def _lifecycle() -> list[tuple[Event, dict[str, Any]]]:
    """Planned to closed, every free-text field (and every e-mail address and user name)
    marked; `test_the_marked_lifecycle_marks_every_free_text_field` keeps it so."""
    steps = [
        (Event.record_action_progress, {"action_id": "A1", "note": _marked("Drafted"),
                                        "evidence": _marked("Attached"),
                                        "reason": _marked("Update")}),
        (Event.accept_action, {"action_id": "A1", "evidence": _marked("Published"),
                               "reason": _marked("Seen")}),
        (Event.accept_action, {"action_id": "A2", "evidence": _marked("Audited")}),
        (Event.transfer_action, {"action_id": "A3", "transferred_to": _marked("Board"),
                                 "reason": _marked("Trust-wide")}),
        (Event.approve_closure, {"role": "dean", "reason": _marked("Done")}),
        (Event.close, {"reason": _marked("All resolved")}),
    ]
    return [*_steps_to_tracking(), *[
        (event, {**payload, **(DEAN_SENDS if event is Event.approve_closure
                               else COORDINATOR_SENDS)})
        for event, payload in steps]]


CANCEL = (Event.cancel, {**COORDINATOR_SENDS, "reason": _marked("Started in error")})


def _texts(annotation: Any, path: str) -> set[str]:
    """The paths of the str fields in `annotation` (enums are str too, but not free text)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _texts(args[0], path)
    if origin in (Union, UnionType):
        return set().union(*(_texts(arg, path) for arg in args))
    if origin in (list, tuple):
        return _texts(args[0], f"{path}[]")
    if annotation is str:
        return {path}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        prefix = f"{path}." if path else ""
        return set().union(set(), *(_texts(field.annotation, prefix + name)
                                    for name, field in annotation.model_fields.items()))
    return set()


def _free_text(model: type[BaseModel]) -> set[str]:
    return {f for f in _texts(model, "") if f.removesuffix("[]") not in NOT_FREE_TEXT}


def _marked_paths(value: Any, path: str = "") -> set[str]:
    if isinstance(value, dict):
        return set().union(set(), *(_marked_paths(v, f"{path}.{k}".lstrip("."))
                                    for k, v in value.items()))
    if isinstance(value, list):
        return set().union(set(), *(_marked_paths(v, f"{path}[]") for v in value))
    return {path} if isinstance(value, str) and MARKER in value else set()


def test_the_marked_lifecycle_marks_every_free_text_field() -> None:
    fields = {("start", f) for f in _free_text(StartRequest)} | {
        (event.value, f) for event, spec in COMMANDS.items() for f in _free_text(spec.contract)}
    marked = {("start", f) for f in _marked_paths(_start())} | {
        (event.value, f) for event, payload in [*_lifecycle(), CANCEL]
        for f in _marked_paths(payload)}

    assert ("convene_panel", "members[].name") in fields  # the walk finds nested fields
    assert fields - marked == set()


def _raw_files(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file())


async def _history_bytes(client: Client, workflow_id: str) -> bytes:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return History(events=history.events).SerializeToString()


def _exposes(text: str, secret: str) -> bool:
    """Whether `secret` is in `text`, or in any base64 string in it (how the CLI's JSON
    shows a payload's data)."""
    if secret in text:
        return True
    for word in re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", text):
        with contextlib.suppress(ValueError):
            if secret.encode() in base64.b64decode(word + "=" * (-len(word) % 4)):
                return True
    return False


async def _cli_views(address: str, workflow_id: str) -> str:
    """What the `temporal` CLI shows of a workflow, without a codec: its whole history and
    its description, as JSON and as text."""
    views = [("workflow", "show", "--output", "json"), ("workflow", "describe", "--output", "json"),
             ("workflow", "describe")]
    shown = [await temporal(address, *view, "-w", workflow_id) for view in views]
    assert [ran.returncode for ran in shown] == [0, 0, 0], [ran.stderr for ran in shown]
    return "\n".join(ran.stdout for ran in shown)


async def test_nothing_typed_in_a_whole_lifecycle_is_stored_in_the_clear(
    tmp_path: Path, engine: Engine
) -> None:
    folder = tmp_path / "temporal"
    folder.mkdir()
    env = await _filed_server(folder)
    address = env.client.service_client.config.target_host
    try:
        async with asynccontextmanager(_harness)(env, engine) as harness:
            ids = await _drive_with_marker(harness)
            final = await harness.client.get_workflow_handle_for(
                InterventionWorkflow.run, ids[0]).result()
            histories = [await _history_bytes(harness.client, i) for i in ids]
            views = [await _cli_views(address, i) for i in ids]
        # The control: a client that does not seal leaves its input readable everywhere.
        plain = await Client.connect(address, data_converter=pydantic_data_converter)
        control = f"control{uuid.uuid4().hex[:12]}"
        await plain.start_workflow("Unsealed", {"text": control}, id=f"plain-{control}",
                                   task_queue=f"nobody-{control}")
        control_history = await _history_bytes(plain, f"plain-{control}")
        control_view = await _cli_views(address, f"plain-{control}")
    finally:
        await env.shutdown()  # the server writes everything out to its file

    assert [MARKER.encode() in history for history in histories] == [False] * 3
    assert [_exposes(view, MARKER) for view in views] == [False] * 3
    assert control.encode() in control_history
    assert _exposes(control_view, control)
    stored = _raw_files(folder)
    assert control.encode() in stored
    assert MARKER.encode() not in stored
    # Yet it is all there, for whoever holds the key.
    assert final.data.state is State.closed
    assert MARKER in final.data.provider.site


async def _drive_with_marker(harness: Harness) -> tuple[str, str, str]:
    """A whole lifecycle, a cancelled start and one left tracking its actions (so the
    description shows what a running one waits for), every free-text field marked."""
    closed = (await harness.service.start(_start())).data.intervention_id
    for event, payload in _lifecycle():
        await harness.service.command(closed, event, payload)
    await harness.client.get_workflow_handle(closed).result()
    cancelled = (await harness.service.start(_start())).data.intervention_id
    await harness.service.command(cancelled, *CANCEL)
    running = (await harness.service.start(_start())).data.intervention_id
    for event, payload in _steps_to_tracking():
        await harness.service.command(running, event, payload)
    for intervention_id in (closed, cancelled, running):
        await harness.settled(intervention_id)
    return closed, cancelled, running


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
    old, leaked = read_keys(path), KeyRing.generate()
    write_keys(path, KeyRing(current=old.current, keys={**old.keys, **leaked.keys}))
    address = dev_env.client.service_client.config.target_host
    # The worker reads the key file as production's do, and is never restarted.
    settings = Settings(_env_file=None, keys_file=path)  # type: ignore[call-arg]
    worker_client = await Client.connect(address, data_converter=data_converter(settings))
    task_queue = f"rotate-{uuid.uuid4()}"

    def service(ring: KeyRing | None = None) -> Interventions:
        client = worker_client if ring is None else Client(
            worker_client.service_client, namespace=worker_client.namespace,
            data_converter=sealing_converter(ring))
        return Interventions(client, task_queue=task_queue, catalogue=load_catalogue())

    with ThreadPoolExecutor(max_workers=4) as executor:
        worker = build_worker(worker_client, task_queue=task_queue, engine=engine,
                              notifier=RecordingNotifier(), executor=executor)
        async with worker:
            intervention_id = (await service().start(scenario.start_request())).data.intervention_id
            for event, payload in scenario.URGENT_PATH[:3]:
                await service().command(intervention_id, event, payload)

            # A leaked key is taken out of the file; then the file is rotated.
            write_keys(path, old)
            assert CliRunner().invoke(cli, ["keys", "rotate", "--file", str(path)]).exit_code == 0
            rotated = read_keys(path)
            refusals = []
            for stale in (leaked, KeyRing.generate()):  # taken out; never in the file
                with pytest.raises(InterventionError) as refused:
                    await service(stale).command(intervention_id, *scenario.URGENT_PATH[3])
                refusals.append(refused.value.problems[0].rule)
            for event, payload in scenario.URGENT_PATH[3:]:
                await service(rotated).command(intervention_id, event, payload)
            final = await service(rotated).status(intervention_id)

    assert refusals == [refusal(Command, Unsealed.unknown_key)] * 2
    assert final.data.state is State.closed
    assert [a.command for a in final.data.audit] == [
        "start", *[event.value for event, _ in scenario.URGENT_PATH]]
    # Key IDs are in the clear, in each sealed payload's metadata: the history holds both.
    history = await _history_bytes(dev_env.client, intervention_id)
    assert old.current.encode() in history
    assert rotated.current.encode() in history
    assert leaked.current.encode() not in history
