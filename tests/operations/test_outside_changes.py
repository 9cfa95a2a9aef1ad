"""Changes made to interventions in Temporal, outside the service, with the `temporal` CLI on the
dev server: terminated, cancelled, timed out and reset interventions are noticed (by the API and
by the worker's sweep), recorded once in the read model and its audit trail, and answered
truthfully."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import TimeoutError as TemporalTimeout
from temporalio.testing import WorkflowEnvironment

from activities.outside import Noticed, OutsideChanges
from api.app import create_app
from core.interventions import Interventions, intervention_id_for
from core.metrics import CommandCounters
from core.read_model import audit_trail, get_intervention, list_interventions
from core.users import add_user, issue_token
from models.catalogue import load_catalogue
from models.commands import Event, StartRequest
from models.intervention import State
from models.outside import when
from models.tables import ApiUserCreate, AuditEntryPublic
from models.vocabulary import Role
from tests import scenario
from tests.api.conftest import assert_error, command_path, settings, start_body
from tests.databases import sqlite_read_model
from tests.environments import BIN
from tests.fakes import RecordingNotifier
from tests.relay import eventually
from tests.settle import settled
from worker import build_worker
from workflows.intervention import InterventionWorkflow

COORDINATOR = scenario.COORDINATOR
UNKNOWN_WHO = "who did it is not known to the service"
# What an operator might type into Temporal: it must stay out of logs and metrics.
TYPED = "Asked by a learner on ward 7 to stop this review"
ESCALATE = {"level": "dean", "reason": "No reply from the trust"}
SWEEPS_UNTIL_LISTED = 100  # 10 s at most, 0.1 s apart


@dataclass
class Stack:
    env: WorkflowEnvironment
    engine: Engine
    service: Interventions
    task_queue: str
    token: str
    app: Any

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://qi.test",
            headers={"Authorization": f"Bearer {self.token}"},
        )

    def sweeper(self) -> OutsideChanges:
        return OutsideChanges(self.env.client, self.engine)

    async def start(self, **payload: Any) -> str:
        status = await self.service.start(scenario.start_request(**payload))
        return status.data.intervention_id

    async def command(self, intervention_id: str, event: Event, payload: dict[str, Any]) -> None:
        await self.service.command(intervention_id, event, {"actor": COORDINATOR, **payload})

    async def temporal(self, *args: str) -> str:
        """The `temporal` CLI that ships with the dev server, as an operator runs it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
        env["TEMPORAL_CONFIG_FILE"] = str(Path(os.devnull))
        process = await asyncio.create_subprocess_exec(
            str(BIN / "temporal"), *args,
            "--address", self.env.client.service_client.config.target_host,
            "--namespace", self.env.client.namespace,
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, f"temporal {' '.join(args)}: {err.decode()}"
        return out.decode()

    async def close_time(self, intervention_id: str) -> datetime:
        description = await self.env.client.get_workflow_handle(intervention_id).describe()
        assert description.close_time is not None
        return description.close_time

    def audit(self, intervention_id: str) -> list[AuditEntryPublic]:
        return audit_trail(self.engine, intervention_id)

    def commands(self, intervention_id: str) -> list[str]:
        return [e.command for e in self.audit(intervention_id)]

    def state(self, intervention_id: str) -> str:
        row = get_intervention(self.engine, intervention_id)
        assert row is not None
        return row.state


@asynccontextmanager
async def running(
    env: WorkflowEnvironment, engine: Engine, *, sweep: timedelta | None = None
) -> AsyncIterator[Stack]:
    """The API and a worker on a task queue of their own; the worker sweeps every `sweep`
    (None: only when a test sweeps)."""
    task_queue = f"outside-{uuid.uuid4()}"
    counters = CommandCounters()
    service = Interventions(env.client, task_queue=task_queue, catalogue=load_catalogue(),
                            refusals=counters, engine=engine)
    add_user(engine, ApiUserCreate(name=COORDINATOR, role=Role.coordinator), operator="test")
    token = issue_token(engine, COORDINATOR, lifetime=timedelta(days=1), operator="test").token
    app = create_app(service=service, engine=engine, catalogue=load_catalogue(),
                     settings=settings(), counters=counters)
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(env.client, task_queue=task_queue, engine=engine,
                                notifier=RecordingNotifier(), executor=executor,
                                outside_sweep=sweep):
            yield Stack(env, engine, service, task_queue, token, app)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    yield from sqlite_read_model(tmp_path)


@pytest.fixture
async def stack(dev_env: WorkflowEnvironment, sqlite_engine: Engine) -> AsyncIterator[Stack]:
    async with running(dev_env, sqlite_engine) as started:
        yield started


async def test_a_termination_is_recorded_and_answered_truthfully_by_the_api(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with stack.http() as http:
        started = await http.post("/interventions", json=start_body())
        intervention_id = started.json()["data"]["intervention_id"]
        escalated = await http.post(command_path(intervention_id, Event.escalate), json=ESCALATE)
        assert escalated.status_code == 200, escalated.text
        await settled(stack.service, stack.engine, intervention_id)

        await stack.temporal("workflow", "terminate", "-w", intervention_id, "--reason", TYPED)
        ended = await stack.close_time(intervention_id)
        status = await http.get(f"/interventions/{intervention_id}")
        refused = await http.post(command_path(intervention_id, Event.escalate), json=ESCALATE)
        metrics = await http.get("/metrics")

    assert status.status_code == 200, status.text
    body = status.json()
    assert body["data"]["state"] == "planned"  # as it last stood
    assert body["next_steps"] == []
    assert body["ended_outside"]["how"] == "terminated"
    assert body["ended_outside"]["last_state"] == "planned"
    assert datetime.fromisoformat(body["ended_outside"]["at"]) == ended
    assert UNKNOWN_WHO in body["ended_outside"]["summary"]
    error = assert_error(refused, 409, "CommandRefused")
    assert error["problems"][0]["rule"] == (
        f"escalate is not allowed: this intervention was terminated outside the service on "
        f"{when(ended)}; it can no longer take commands"
    )

    assert stack.state(intervention_id) == "ended_outside"
    row = get_intervention(stack.engine, intervention_id)
    assert row is not None
    assert row.closed_at == ended
    assert row.next_deadline is None
    assert [r.id for r in list_interventions(stack.engine, state="ended_outside")] == [
        intervention_id
    ]
    *before, last = stack.audit(intervention_id)
    assert [e.command for e in before] == ["start", "escalate"]
    assert (last.actor, last.command, last.from_state, last.to_state) == (
        "unknown", "terminated", "planned", "ended_outside")
    assert last.at == ended
    assert UNKNOWN_WHO in last.summary
    assert last.reason == TYPED  # the read model is the service's confidential store
    by_state = {
        sample.labels["state"]: sample.value
        for family in text_string_to_metric_families(metrics.text)
        for sample in family.samples if sample.name == "qi_interventions"
    }
    assert (by_state["ended_outside"], by_state["planned"]) == (1, 0)
    assert TYPED not in metrics.text
    assert TYPED not in caplog.text


async def test_the_sweep_notices_a_termination_nobody_asks_about(
    dev_env: WorkflowEnvironment, sqlite_engine: Engine
) -> None:
    async with running(dev_env, sqlite_engine, sweep=timedelta(milliseconds=200)) as stack:
        intervention_id = await stack.start()
        await settled(stack.service, stack.engine, intervention_id)

        await stack.temporal("workflow", "terminate", "-w", intervention_id, "--reason", TYPED)
        await eventually(lambda: stack.state(intervention_id) == "ended_outside",
                         "the worker's sweep records the termination")

    assert stack.commands(intervention_id) == ["start", "terminated"]
    assert stack.audit(intervention_id)[-1].at == await stack.close_time(intervention_id)


async def test_an_ending_noticed_by_two_sweeps_and_two_requests_at_once_is_recorded_once(
    dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    async with running(dev_env, engine) as stack:
        intervention_id = await stack.start()
        await stack.command(intervention_id, Event.escalate, ESCALATE)
        await settled(stack.service, stack.engine, intervention_id)
        await stack.temporal("workflow", "terminate", "-w", intervention_id, "--reason", TYPED)

        async with stack.http() as http:
            noticed = await asyncio.gather(
                stack.sweeper().sweep(), stack.sweeper().sweep(),
                stack.service.status(intervention_id),
                http.get(f"/interventions/{intervention_id}"),
            )
        again = await stack.sweeper().sweep()
        await stack.service.status(intervention_id)

    sweeps: list[list[Noticed]] = [noticed[0], noticed[1]]
    assert sum(len(found) for found in sweeps) <= 1  # a request may have recorded it first
    assert noticed[3].status_code == 200
    assert again == []
    assert stack.commands(intervention_id) == ["start", "escalate", "terminated"]


async def test_a_cancellation_request_is_noted_and_the_intervention_carries_on(
    stack: Stack,
) -> None:
    intervention_id = await stack.start()
    await settled(stack.service, stack.engine, intervention_id)

    await stack.temporal("workflow", "cancel", "-w", intervention_id)
    await eventually(lambda: "cancel_requested" in stack.commands(intervention_id),
                     "the workflow notes the cancellation request")
    await stack.command(intervention_id, Event.convene_panel, scenario.urgent_panel())
    await settled(stack.service, stack.engine, intervention_id)

    handle = stack.env.client.get_workflow_handle(intervention_id)
    assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING
    assert stack.commands(intervention_id) == ["start", "cancel_requested", "convene_panel"]
    note = stack.audit(intervention_id)[1]
    assert (note.actor, note.from_state, note.to_state) == ("unknown", "planned", "planned")
    assert UNKNOWN_WHO in note.summary
    assert "only the cancel command, with a reason and before any meeting" in note.summary
    assert stack.state(intervention_id) == "panel_convened"
    assert await stack.sweeper().sweep() == []


async def test_a_timed_out_intervention_is_recorded_by_the_sweep(stack: Stack) -> None:
    request = StartRequest.model_validate(scenario.start_request())
    start = stack.service.build_start(request, intervention_id_for(None))
    handle = await stack.env.client.start_workflow(
        InterventionWorkflow.run, start, id=start.intervention_id, task_queue=stack.task_queue,
        execution_timeout=timedelta(seconds=2),
    )
    await eventually(lambda: get_intervention(stack.engine, start.intervention_id) is not None,
                     "the intervention is recorded")
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert isinstance(failure.value.cause, TemporalTimeout)

    noticed = await stack.sweeper().sweep()

    assert noticed == [Noticed(start.intervention_id, "timed_out")]
    assert stack.state(start.intervention_id) == "ended_outside"
    assert stack.commands(start.intervention_id) == ["start", "timed_out"]


async def test_a_reset_is_noted_once_and_the_read_model_follows_the_workflow(
    stack: Stack,
) -> None:
    intervention_id = await stack.start()
    await stack.command(intervention_id, Event.convene_panel, scenario.urgent_panel())
    await stack.command(intervention_id, Event.escalate, ESCALATE)
    await settled(stack.service, stack.engine, intervention_id)
    row = get_intervention(stack.engine, intervention_id)
    assert row is not None
    assert row.panel

    # Back to before the panel, without the commands that followed: they no longer hold.
    await stack.temporal("workflow", "reset", "-w", intervention_id, "--type",
                         "FirstWorkflowTask", "--reapply-exclude", "All", "--reason", TYPED)
    # Commands after the reset: the numbers of their entries are, first, ones the read model
    # holds for other steps, then one it does not hold yet.
    await stack.command(intervention_id, Event.pause_clock, {"reason": "Special measures"})
    await stack.command(intervention_id, Event.resume_clock, {})
    await stack.command(intervention_id, Event.escalate, ESCALATE)
    await asyncio.gather(stack.sweeper().sweep(), stack.sweeper().sweep())
    await eventually(lambda: len(stack.audit(intervention_id)) == 7,
                     "the workflow records itself again after the note")

    audit = stack.audit(intervention_id)
    assert [(e.seq, e.command) for e in audit] == [
        (1, "start"), (2, "convene_panel"), (3, "escalate"), (4, "reset"), (5, "pause_clock"),
        (6, "resume_clock"), (7, "escalate")]
    reset = audit[3]
    assert (reset.actor, reset.from_state, reset.to_state) == (
        "unknown", "panel_convened", "planned")
    assert "what followed it (entries 2-3 above) no longer holds" in reset.summary
    assert UNKNOWN_WHO in reset.summary
    assert reset.reason is not None
    assert TYPED in reset.reason
    row = get_intervention(stack.engine, intervention_id)
    assert row is not None
    assert (row.state, row.panel, row.version) == ("planned", [], 7)
    status = await stack.service.status(intervention_id)
    assert [e.seq for e in status.data.audit] == [1, 4, 5, 6, 7]
    assert status.data.state is State.planned
    assert await stack.sweeper().sweep() == []


async def test_a_terminated_intervention_reset_back_to_life_is_recorded_and_takes_commands(
    stack: Stack,
) -> None:
    intervention_id = await stack.start()
    await settled(stack.service, stack.engine, intervention_id)
    await stack.temporal("workflow", "terminate", "-w", intervention_id, "--reason", TYPED)
    assert await stack.sweeper().sweep() == [Noticed(intervention_id, "terminated")]

    await stack.temporal("workflow", "reset", "-w", intervention_id, "--type",
                         "LastWorkflowTask", "--reason", "Terminated by mistake")
    # Temporal lists the new run a moment after the reset answers: sweep until it is there.
    noticed: list[Noticed] = []
    for _ in range(SWEEPS_UNTIL_LISTED):
        noticed = await stack.sweeper().sweep()
        if noticed:
            break
        await asyncio.sleep(0.1)
    assert noticed == [Noticed(intervention_id, "reset")]
    await eventually(lambda: stack.state(intervention_id) == "planned",
                     "the workflow records itself again")
    await stack.command(intervention_id, Event.escalate, ESCALATE)
    await settled(stack.service, stack.engine, intervention_id)

    assert stack.commands(intervention_id) == ["start", "terminated", "reset", "escalate"]
    reset = stack.audit(intervention_id)[2]
    assert (reset.from_state, reset.to_state) == ("ended_outside", "planned")
    assert "which had ended, runs again" in reset.summary
    assert (await stack.service.status(intervention_id)).ended_outside is None
