"""The rules comparing people, as a running intervention applies them: a refused command
changes nothing (no event in history, the same data) and the right one is accepted after it."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import PatchActivationInput, Worker

from core.interventions import Interventions
from models.catalogue import load_catalogue
from models.commands import Event
from models.errors import ErrorType, InterventionError, Problem
from models.intervention import State
from tests import scenario
from tests.fakes import RecordingNotifier
from tests.workflows.conftest import Harness
from worker import build_worker
from workflows.intervention import INDEPENDENCE_BY_IDENTITY

# Each case: the commands that lead up to it, the refused command and its refusal, the right one.
CASES: dict[str, tuple[int, tuple[Event, dict[str, Any]], Problem, tuple[Event, dict[str, Any]]]]
CASES = {
    "provider-lead-on-panel-undeclared": (
        0,
        (Event.convene_panel, scenario.signed_in(scenario.with_lead_on_panel())),
        Problem(field="members", rule="Dr M. Hale has the e-mail of the provider's lead, "
                "Dr Morgan Hale (dme@northshire.example.nhs.uk): declare the conflict of "
                "interest (conflict=managed, or conflicted and left off the panel), not none"),
        (Event.convene_panel, scenario.signed_in(scenario.with_lead_on_panel("managed"))),
    ),
    "action-accepted-by-its-owner": (
        5,
        (Event.accept_action, {"actor": "m.hale", "actor_email": scenario.LEAD_EMAIL,
                               "action_id": "A1", "evidence": "March rota published"}),
        Problem(field="actor", rule="action A1 is owned by Dr Morgan Hale "
                "(dme@northshire.example.nhs.uk), and you are signed in as m.hale with that "
                "e-mail: someone other than its owner must accept it"),
        scenario.SIGNED_IN_PATH[5],
    ),
    "closure-approved-by-the-coordinator": (
        6,
        (Event.approve_closure, scenario.signed_in({"actor": scenario.COORDINATOR,
                                                    "role": "dean"})),
        Problem(field="actor", rule="this Urgent Risk Review is coordinated by c.okafor "
                "(c.okafor@quality.example.nhs.uk), and you are signed in as c.okafor: someone "
                "other than its coordinator must approve its closure"),
        scenario.SIGNED_IN_PATH[6],
    ),
}


# What an accepted update leaves in history; a refused one leaves neither.
_UPDATE = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
}


async def _events_since(h: Harness, intervention_id: str, first: int) -> list[int]:
    history = await h.client.get_workflow_handle(intervention_id).fetch_history()
    return [event.event_type for event in history.events[first:]]


@pytest.mark.parametrize("case", list(CASES))
async def test_a_command_refused_for_who_it_involves_changes_nothing(
    skipping: Harness, case: str
) -> None:
    steps, (event, refused), problem, (right_event, right) = CASES[case]
    started = await skipping.service.start(scenario.start_request())
    intervention_id = started.data.intervention_id
    for step, payload in scenario.SIGNED_IN_PATH[:steps]:
        await skipping.service.command(intervention_id, step, payload)
    await skipping.settled(intervention_id)
    before = await skipping.service.status(intervention_id)
    length = len(await _events_since(skipping, intervention_id, 0))

    with pytest.raises(InterventionError) as refusal:
        await skipping.service.command(intervention_id, event, refused)

    assert refusal.value.error_type is ErrorType.COMMAND_REFUSED
    assert refusal.value.problems == [problem]
    # The refused update left nothing in history. (The time-skipping server keeps the workflow
    # task that delivered it, and may skip to the next timer while the client waits, so the
    # workflow's own timers can move on meanwhile: those are not the command's.)
    assert not set(await _events_since(skipping, intervention_id, length)) & _UPDATE
    assert (await skipping.service.status(intervention_id)).data == before.data

    result = await skipping.service.command(intervention_id, right_event, right)

    expected = State.panel_convened if right_event is Event.convene_panel else State.actions_tracked
    assert result.state is expected
    after = await skipping.service.status(intervention_id)
    assert [(a.command, a.actor) for a in after.data.audit[len(before.data.audit):]] == [
        (right_event.value, right["actor"])
    ]


def _begun_before_the_rules(patch: PatchActivationInput) -> bool:
    return patch.patch_id != INDEPENDENCE_BY_IDENTITY


async def test_an_intervention_begun_before_the_rules_is_held_to_them_by_its_validators(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    """Its handlers replay its history without the rules; each new command still meets them,
    in the validator, before anything is written."""
    task_queue = f"test-{uuid.uuid4()}"
    service = Interventions(time_env.client, task_queue=task_queue, catalogue=load_catalogue(),
                            engine=engine)
    with ThreadPoolExecutor(max_workers=4) as executor:
        # The service's worker, but one on which the patch is not taken up, as by a run begun
        # before it (built once to read its configuration: one task queue per worker).
        config = build_worker(time_env.client, task_queue=f"{task_queue}-model", engine=engine,
                              notifier=RecordingNotifier(), executor=executor).config()
        config |= {"task_queue": task_queue, "patch_activation_callback": _begun_before_the_rules}
        async with Worker(**config):
            started = await service.start(scenario.start_request())
            intervention_id = started.data.intervention_id

            with pytest.raises(InterventionError) as refusal:
                await service.command(intervention_id, Event.convene_panel,
                                      scenario.signed_in(scenario.with_lead_on_panel()))
            accepted = await service.command(
                intervention_id, Event.convene_panel,
                scenario.signed_in(scenario.with_lead_on_panel("managed")))

            history = await time_env.client.get_workflow_handle(intervention_id).fetch_history()
    assert refusal.value.problems == [CASES["provider-lead-on-panel-undeclared"][2]]
    assert accepted.state is State.panel_convened
    markers = [e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data
               for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert markers, "the run takes up the other patches"
    assert not any(INDEPENDENCE_BY_IDENTITY.encode() in m for m in markers)
