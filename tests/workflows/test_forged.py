"""Only what the service sealed is taken. A start or command sent straight to the Temporal port
with the official `temporal` CLI is refused with the reason, and leaves no trace.

A forged command is refused before it is accepted (by the update's validator, or, for a
payload that will not open, while its argument is decoded): the history gains no event,
nothing changes, and the next real command is taken. Nothing forged fails a workflow task.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlmodel import Session, select
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.converter import WorkflowSerializationContext
from temporalio.exceptions import ApplicationError

from core.codec import ENCODING, KEY_ID, OPENED_WITH, SealingCodec
from core.interventions import intervention_id_for
from core.keys import KeyRing, read_keys
from models.commands import Command, Event, StartIntervention, StartRequest
from models.outbox import NoteResend
from models.sealing import Inbound, Unsealed, refusal
from models.tables import Intervention, Notification
from tests import scenario
from tests.environments import key_file
from tests.history import idle
from tests.temporal_cli import Ran, history_events, payload_input, temporal
from tests.workflows.conftest import Harness
from workflows.intervention import InterventionWorkflow

FORGED = {"actor": "dean.forged", "level": "dean", "reason": "Forged at the Temporal port"}
TASK_FAILED = "EVENT_TYPE_WORKFLOW_TASK_FAILED"

Forgery = Callable[[str, dict[str, Any]], Awaitable[tuple[list[str], Unsealed]]]


def _json(document: dict[str, Any]) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(document).encode())


def _as_the_service(ring: KeyRing, workflow_id: str) -> SealingCodec:
    """A codec sealing as the service's clients do (the SDK gives it the workflow's context)."""
    context = WorkflowSerializationContext(namespace="default", workflow_id=workflow_id)
    return SealingCodec(ring).with_context(context)


async def _in_the_clear(workflow_id: str, document: dict[str, Any]) -> tuple[list[str], Unsealed]:
    return ["--input", json.dumps(document)], Unsealed.not_sealed


async def _with_a_mark_of_its_own(
    workflow_id: str, document: dict[str, Any]
) -> tuple[list[str], Unsealed]:
    marked = _json(document)
    marked.metadata[OPENED_WITH] = read_keys(key_file()).current.encode()
    return payload_input(marked), Unsealed.not_sealed


async def _sealed_by_the_codec_server(
    workflow_id: str, document: dict[str, Any]
) -> tuple[list[str], Unsealed]:
    # What `POST /codec/encode` (and `temporal --codec-endpoint`) seals, for any reader.
    (sealed,) = await SealingCodec(read_keys(key_file())).encode([_json(document)])
    return payload_input(sealed), Unsealed.not_sealed


async def _under_a_key_the_service_does_not_hold(
    workflow_id: str, document: dict[str, Any]
) -> tuple[list[str], Unsealed]:
    (sealed,) = await _as_the_service(KeyRing.generate(), workflow_id).encode([_json(document)])
    return payload_input(sealed), Unsealed.unknown_key


async def _altered(workflow_id: str, document: dict[str, Any]) -> tuple[list[str], Unsealed]:
    codec = _as_the_service(read_keys(key_file()), workflow_id)
    (sealed,) = await codec.encode([_json(document)])
    flipped = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    return payload_input(Payload(metadata=sealed.metadata, data=flipped)), Unsealed.altered


async def _too_short_to_be_sealed(
    workflow_id: str, document: dict[str, Any]
) -> tuple[list[str], Unsealed]:
    stub = Payload(metadata={"encoding": ENCODING,
                             KEY_ID: read_keys(key_file()).current.encode()}, data=b"nonce")
    return payload_input(stub), Unsealed.altered


FORGERIES: dict[str, Forgery] = {
    "in the clear": _in_the_clear,
    "with a mark of its own": _with_a_mark_of_its_own,
    "sealed by the codec server": _sealed_by_the_codec_server,
    "under a key the service does not hold": _under_a_key_the_service_does_not_hold,
    "altered": _altered,
    "too short to be sealed": _too_short_to_be_sealed,
}


def _address(h: Harness) -> str:
    return h.client.service_client.config.target_host


async def _update(h: Harness, workflow_id: str, name: str, args: list[str]) -> Ran:
    return await temporal(_address(h), "workflow", "update", "execute", "-w", workflow_id,
                          "--name", name, *args)


async def _started(h: Harness) -> str:
    """A new intervention, planned and idle: its history grows only if something is taken."""
    intervention_id = (await h.service.start(scenario.start_request())).data.intervention_id
    await idle(h.client, intervention_id)
    return intervention_id


def _refused(ran: Ran, kind: type[Inbound], why: Unsealed) -> bool:
    return ran.returncode != 0 and refusal(kind, why) in ran.stderr


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_a_forged_command_is_refused_and_leaves_no_event(dev: Harness, forgery: str) -> None:
    intervention_id = await _started(dev)
    before = await history_events(_address(dev), intervention_id)

    args, why = await FORGERIES[forgery](intervention_id, FORGED)
    sent = await _update(dev, intervention_id, "escalate", args)

    assert _refused(sent, Command, why), sent.stderr
    assert await history_events(_address(dev), intervention_id) == before
    unchanged = (await dev.service.status(intervention_id)).data
    assert (unchanged.escalations, len(unchanged.audit)) == ([], 1)
    # The intervention goes on working: the next real command is taken.
    real = {"actor": scenario.DEAN, "level": "dean", "reason": "No reply from the trust"}
    taken = await dev.service.command(intervention_id, Event.escalate, real)
    assert taken.seq == 2
    after = (await dev.service.status(intervention_id)).data
    assert [a.actor for a in after.audit] == [scenario.COORDINATOR, scenario.DEAN]


async def test_a_payload_in_an_encoding_the_service_never_uses_is_refused_too(
    dev: Harness
) -> None:
    intervention_id = await _started(dev)
    before = await history_events(_address(dev), intervention_id)
    odd = Payload(metadata={"encoding": b"binary/odd"}, data=json.dumps(FORGED).encode())

    sent = await _update(dev, intervention_id, "escalate", payload_input(odd))

    assert sent.returncode != 0, sent.stdout  # the SDK's own refusal: it cannot decode it
    assert await history_events(_address(dev), intervention_id) == before
    assert len((await dev.service.status(intervention_id)).data.audit) == 1


async def test_a_forged_resend_note_is_refused_too(dev: Harness) -> None:
    # The one update besides the lifecycle commands that changes what an intervention holds.
    intervention_id = await _started(dev)
    before = await history_events(_address(dev), intervention_id)
    note = NoteResend(actor="ops.forged", key=f"{intervention_id}:1:notify:panel",
                      was="dead", attempts=1)

    sent = await _update(dev, intervention_id, "note_resend", ["--input", note.model_dump_json()])

    assert _refused(sent, NoteResend, Unsealed.not_sealed), sent.stderr
    assert await history_events(_address(dev), intervention_id) == before
    assert len((await dev.service.status(intervention_id)).data.audit) == 1


async def test_a_signal_that_will_not_open_jams_nothing(dev: Harness) -> None:
    # The workflow has no signal handler: Temporal records the signal, the worker sets it
    # aside. It must not fail the workflow task while decoding it, or every later one fails too.
    intervention_id = await _started(dev)
    args, _ = await _altered(intervention_id, FORGED)
    signalled = await temporal(_address(dev), "workflow", "signal", "-w", intervention_id,
                               "--name", "escalate", *args)
    assert signalled.returncode == 0, signalled.stderr

    real = {"actor": scenario.DEAN, "level": "dean", "reason": "No reply from the trust"}
    taken = await dev.service.command(intervention_id, Event.escalate, real)

    assert taken.seq == 2
    events = await history_events(_address(dev), intervention_id)
    assert "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED" in [e["eventType"] for e in events]
    assert TASK_FAILED not in [e["eventType"] for e in events]
    assert [e.by for e in (await dev.service.status(intervention_id)).data.escalations] == [
        scenario.DEAN]


@pytest.mark.parametrize("forgery", ["in the clear", "altered"])
async def test_a_forged_start_fails_before_anything_is_planned_recorded_or_sent(
    dev: Harness, forgery: str
) -> None:
    workflow_id = intervention_id_for(None)
    start = dev.service.build_start(StartRequest.model_validate(scenario.start_request()),
                                    workflow_id)
    args, why = await FORGERIES[forgery](workflow_id, json.loads(start.model_dump_json()))

    started = await temporal(_address(dev), "workflow", "start", "--type", "Intervention",
                             "--task-queue", dev.task_queue, "-w", workflow_id, *args)
    assert started.returncode == 0, started.stderr
    with pytest.raises(WorkflowFailureError) as failed:
        await dev.client.get_workflow_handle(workflow_id).result()

    assert isinstance(failed.value.cause, ApplicationError)
    assert failed.value.cause.message == refusal(StartIntervention, why)
    kinds = [e["eventType"] for e in await history_events(_address(dev), workflow_id)]
    assert kinds[-1] == "EVENT_TYPE_WORKFLOW_EXECUTION_FAILED"
    assert TASK_FAILED not in kinds
    assert "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED" not in kinds
    with Session(dev.engine) as session:
        assert session.get(Intervention, workflow_id) is None
        queued = select(Notification).where(Notification.intervention_id == workflow_id)
        assert session.exec(queued).all() == []


async def test_the_refusal_is_told_in_the_clear_and_nothing_else_is(dev: Harness) -> None:
    # A lifecycle refusal may quote what a user typed: it stays sealed for the bare CLI.
    intervention_id = (await dev.service.start(scenario.start_request())).data.intervention_id
    ring = read_keys(key_file())
    close = {"actor": scenario.COORDINATOR, "reason": f"Closing early {uuid.uuid4().hex}"}
    (sealed,) = await _as_the_service(ring, intervention_id).encode([_json(close)])

    sent = await _update(dev, intervention_id, "close", payload_input(sealed))

    assert sent.returncode != 0
    assert "Encoded failure" in sent.stderr
    assert "close is not allowed" not in sent.stderr


# -- a real command or start, copied out of a history -------------------------------------------


async def _taken_escalation(h: Harness, intervention_id: str) -> Payload:
    """A real escalation sent through the service, as its sealed payload reads in the history."""
    real = {"actor": scenario.DEAN, "level": "dean", "reason": "No reply from the trust"}
    await h.service.command(intervention_id, Event.escalate, real)
    history = await h.client.get_workflow_handle(intervention_id).fetch_history()
    (accepted,) = [e.workflow_execution_update_accepted_event_attributes.accepted_request
                   for e in history.events
                   if e.HasField("workflow_execution_update_accepted_event_attributes")
                   and e.workflow_execution_update_accepted_event_attributes
                   .accepted_request.input.name == "escalate"]
    return accepted.input.args.payloads[0]


@pytest.mark.parametrize("sent_to", ["another intervention", "its own intervention"])
async def test_a_command_copied_out_of_a_history_is_refused(dev: Harness, sent_to: str) -> None:
    source, other = await _started(dev), await _started(dev)
    copied = await _taken_escalation(dev, source)
    target, why = ((other, Unsealed.other_intervention) if sent_to == "another intervention"
                   else (source, Unsealed.sent_before))
    await idle(dev.client, target)
    before = await history_events(_address(dev), target)
    audit = (await dev.service.status(target)).data.audit

    sent = await _update(dev, target, "escalate", payload_input(copied))

    assert _refused(sent, Command, why), sent.stderr
    assert await history_events(_address(dev), target) == before
    assert (await dev.service.status(target)).data.audit == audit


async def test_a_command_from_before_a_continue_as_new_is_refused_in_the_new_run(
    dev: Harness
) -> None:
    start = dev.service.build_start(
        StartRequest.model_validate(scenario.start_request()), intervention_id_for(None)
    ).model_copy(update={"continue_as_new_after_events": 20})
    await dev.client.start_workflow(InterventionWorkflow.run, start, id=start.intervention_id,
                                    task_queue=dev.task_queue)
    workflow_id = start.intervention_id
    copied = await _taken_escalation(dev, workflow_id)
    handle = dev.client.get_workflow_handle(workflow_id)
    first_run = (await handle.describe()).run_id
    for event, payload in scenario.URGENT_PATH[:4]:  # past 20 events: the run continues as new
        await dev.service.command(workflow_id, event, payload)
    await _new_run(handle, first_run)
    escalations = (await dev.service.status(workflow_id)).data.escalations

    sent = await _update(dev, workflow_id, "escalate", payload_input(copied))

    assert _refused(sent, Command, Unsealed.sent_before), sent.stderr
    assert (await dev.service.status(workflow_id)).data.escalations == escalations
    assert len(escalations) == 1


async def _new_run(handle: WorkflowHandle[Any, Any], first_run: str | None) -> None:
    for _ in range(600):  # the run continues as new between commands: up to 30 s
        if (await handle.describe()).run_id != first_run:
            return
        await asyncio.sleep(0.05)
    pytest.fail("the run did not continue as new")


async def test_a_start_copied_out_of_a_history_starts_nothing(dev: Harness) -> None:
    source = await _started(dev)
    history = await dev.client.get_workflow_handle(source).fetch_history()
    copied = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    workflow_id = intervention_id_for(None)

    started = await temporal(_address(dev), "workflow", "start", "--type", "Intervention",
                             "--task-queue", dev.task_queue, "-w", workflow_id,
                             *payload_input(copied))
    assert started.returncode == 0, started.stderr
    with pytest.raises(WorkflowFailureError) as failed:
        await dev.client.get_workflow_handle(workflow_id).result()

    assert isinstance(failed.value.cause, ApplicationError)
    assert failed.value.cause.message == refusal(StartIntervention, Unsealed.other_intervention)
    kinds = [e["eventType"] for e in await history_events(_address(dev), workflow_id)]
    assert "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED" not in kinds
    with Session(dev.engine) as session:
        assert session.get(Intervention, workflow_id) is None
