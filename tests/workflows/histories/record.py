"""Record the committed replay histories with the code checked out:

    python -m tests.workflows.histories.record                  # every recording not yet on disk
    python -m tests.workflows.histories.record reminders_v1     # one recording

A history recorded by a released version is never overwritten (a name whose file exists is
refused): a change to the command sequence then goes behind `workflow.patched()`, and its new
history is added beside the old under a new name. A recording that continues as new writes one
file per run: `<name>.json` for the first, `<name>_run2.json` and so on for the runs after it.

- `urgent_review_v1`: an Urgent Risk Review driven from planned to closed on the dev server.
- `reminders_v1`: the same on the time-skipping server over two months, so the history holds
  fired timers: reminders, meeting reminders, escalations and progress chasing, with a meeting
  rescheduled and the clock paused and resumed.
- `continue_as_new_v1`: an intervention started with a small `continue_as_new_after_events`,
  so its first run ends in continue-as-new and a second run resumes from the handed-over state.
- `lead_undeclared_v2`: an Urgent Risk Review whose panel has the provider's lead on it with no
  conflict declared, and whose closure the coordinator approves: what the rules comparing
  people refuse since the "independence-by-identity" patch, accepted before it.
- `signed_in_review_v3`: an Urgent Risk Review whose every command carries its sender's e-mail,
  as the service sends them, with the provider's lead on the panel as a managed conflict.

- `outside_changes_v4`: changes made in Temporal outside the service. Its first run takes a
  cancellation request (noted, and the intervention carries on) and is then reset with the
  `temporal` CLI to its first workflow task, dropping the commands that followed; the second
  run takes a command whose audit number the read model holds for another step, is told of the
  reset by the worker's sweep (`note_reset`, renumbering that entry) and goes on to closed.

The `_v1` files were recorded by release 0.1.0, the `_v2` files after the
"effects-after-reply" patch and the `_v3` files after "independence-by-identity", all with
payloads in the clear. Of the `_v4` files, `urgent_review_v4` and `continue_as_new_v4` were
recorded after "starts-sealed-by-the-service", sealed with the test-only keys in `keys.json`
beside them (a start or command not sealed by the service is refused since), and
`outside_changes_v4` after "cancel-requests-noted", in the clear. The `_v5` files were recorded
after "seals-name-their-intervention", sealed with the same keys: each seal names the workflow
it was made for, and the second run of `continue_as_new_v5` starts with the seals of the
commands its first run took. All must replay with the code checked out; a history recorded from
now on has every patch.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from activities.outside import OutsideChanges
from core.codec import sealing_converter
from core.database import make_engine, migrate
from core.interventions import Interventions, intervention_id_for
from core.keys import read_keys
from models.catalogue import load_catalogue
from models.commands import Event, StartRequest
from models.intervention import Contacts
from tests import scenario
from tests.environments import BIN, start_time_skipping
from tests.fakes import RecordingNotifier
from tests.settle import settled
from worker import build_worker
from workflows.intervention import InterventionWorkflow
from workflows.monitoring import ALL_KEYS

HERE = Path(__file__).parent
TASK_QUEUE = "record"
# Test-only keys, committed so the sealed histories can be opened and replayed anywhere.
KEYS = HERE / "keys.json"

Recording = Callable[[], Awaitable[list[WorkflowHistory]]]


def file_names(name: str, runs: int) -> list[str]:
    """The file stems a recording of `runs` runs is saved under."""
    return [name, *[f"{name}_run{n}" for n in range(2, runs + 1)]]


def converter() -> DataConverter:
    """Sealing, as the service does: with the test-only keys beside the histories."""
    return sealing_converter(read_keys(KEYS))


async def start_dev_server() -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=converter(),
        search_attributes=ALL_KEYS,
    )


@asynccontextmanager
async def running_worker(
    env: WorkflowEnvironment, contacts: Contacts | None = None
) -> AsyncIterator[Interventions]:
    """A worker on a throwaway read model, and the facade that drives it."""
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor() as executor:
        engine = make_engine(f"sqlite:///{tmp}/rm.sqlite3")
        migrate(engine)
        worker = build_worker(
            env.client,
            task_queue=TASK_QUEUE,
            engine=engine,
            notifier=RecordingNotifier(),
            executor=executor,
        )
        async with worker:
            yield Interventions(
                env.client, task_queue=TASK_QUEUE, catalogue=load_catalogue(), contacts=contacts
            )
        engine.dispose()


@asynccontextmanager
async def worker_and_read_model(
    env: WorkflowEnvironment,
) -> AsyncIterator[tuple[Interventions, Engine]]:
    """A worker that does not sweep by itself, its throwaway read model, and the facade."""
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor() as executor:
        engine = make_engine(f"sqlite:///{tmp}/rm.sqlite3")
        migrate(engine)
        worker = build_worker(env.client, task_queue=TASK_QUEUE, engine=engine,
                              notifier=RecordingNotifier(), executor=executor, outside_sweep=None)
        async with worker:
            yield Interventions(env.client, task_queue=TASK_QUEUE, catalogue=load_catalogue(),
                                engine=engine), engine
        engine.dispose()


async def runs_of(
    env: WorkflowEnvironment, workflow_id: str, first_run_id: str
) -> list[WorkflowHistory]:
    """Every run's history, first to last, following each continue-as-new to the next run."""
    histories: list[WorkflowHistory] = []
    run_id: str | None = first_run_id
    while run_id is not None:
        history = await env.client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        histories.append(history)
        last = history.events[-1]
        run_id = None
        if last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    return histories


async def _drive(path: list[tuple[Event, dict[str, Any]]]) -> list[WorkflowHistory]:
    """An Urgent Risk Review driven along `path` to closed on the dev server."""
    env = await start_dev_server()
    async with running_worker(env) as service:
        status = await service.start(scenario.start_request())
        intervention_id = status.data.intervention_id
        for event, payload in path:
            await service.command(intervention_id, event, payload)
        handle = env.client.get_workflow_handle(intervention_id)
        await handle.result()
        history = await handle.fetch_history()
    await env.shutdown()
    return [history]


async def urgent_review() -> list[WorkflowHistory]:
    return await _drive(scenario.URGENT_PATH)


async def lead_undeclared() -> list[WorkflowHistory]:
    return await _drive(scenario.LEAD_UNDECLARED_PATH)


async def signed_in_review() -> list[WorkflowHistory]:
    return await _drive(scenario.SIGNED_IN_PATH)


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


async def _skip_to(env: WorkflowEnvironment, moment: datetime) -> None:
    await env.sleep(moment - await env.get_current_time())


async def reminders() -> list[WorkflowHistory]:
    """Two months of an Urgent Risk Review on fixed dates (see tests/workflows/test_reminders.py
    for the dates each notice falls on)."""
    env = await start_time_skipping(converter())
    contacts = Contacts(
        quality_lead_email="quality.lead@quality.example.nhs.uk",
        dean_email="postgraduate.dean@quality.example.nhs.uk",
    )
    actor = {"actor": scenario.COORDINATOR}
    async with running_worker(env, contacts) as service:
        await _skip_to(env, datetime(2030, 12, 2, 9, tzinfo=UTC))
        intervention_id = (await service.start(scenario.start_request())).data.intervention_id

        async def send(event: Event, payload: Mapping[str, Any]) -> None:
            await service.command(intervention_id, event, payload)

        await send(Event.convene_panel, scenario.urgent_panel())
        await send(Event.schedule_meeting,
                   {**actor, "scheduled_on": "2030-12-12", "format": "virtual"})
        await send(Event.reschedule_meeting,
                   {**actor, "meeting_id": "M1", "scheduled_on": "2030-12-20"})
        await _skip_to(env, _noon(date(2030, 12, 12)))  # the first-meeting reminder of 11 Dec
        await send(Event.pause_clock, {**actor, "reason": "Provider placed in special measures"})
        await _skip_to(env, _noon(date(2030, 12, 16)))  # paused: nothing goes out
        await send(Event.resume_clock, actor)
        await _skip_to(env, _noon(date(2030, 12, 23)))  # meeting reminders and an escalation
        await send(Event.record_meeting, scenario.meeting(date(2030, 12, 20), meeting_id="M1"))
        await send(Event.issue_report, scenario.report(factual_accuracy_closed_on="2030-12-23"))
        await send(Event.add_action, scenario.action(due_on="2031-01-31"))
        await send(Event.agree_action_plan, actor)
        await _skip_to(env, _noon(date(2031, 2, 4)))  # progress chasing, then overdue
        for event, payload in scenario.URGENT_PATH[-3:]:  # accept, approve closure, close
            await send(event, payload)
        handle = env.client.get_workflow_handle(intervention_id)
        await handle.result()
        history = await handle.fetch_history()
    await env.shutdown()
    return [history]


async def continue_as_new() -> list[WorkflowHistory]:
    env = await start_dev_server()
    async with running_worker(env) as service:
        start = service.build_start(
            StartRequest.model_validate(scenario.start_request()), intervention_id_for(None)
        ).model_copy(update={"continue_as_new_after_events": 20})
        handle = await env.client.start_workflow(
            InterventionWorkflow.run,
            start,
            id=start.intervention_id,
            task_queue=TASK_QUEUE,
            execution_timeout=timedelta(minutes=5),
        )
        half = len(scenario.URGENT_PATH) // 2
        for event, payload in scenario.URGENT_PATH[:half]:
            await service.command(start.intervention_id, event, payload)
        # Commands are answered before the loop looks at the history's length: give it the
        # chance to continue as new between commands, as a running intervention would.
        latest = env.client.get_workflow_handle(start.intervention_id)
        for _ in range(600):
            if (await latest.describe()).run_id != handle.first_execution_run_id:
                break
            await asyncio.sleep(0.05)
        for event, payload in scenario.URGENT_PATH[half:]:
            await service.command(start.intervention_id, event, payload)
        await latest.result()
        assert handle.first_execution_run_id is not None
        histories = await runs_of(env, start.intervention_id, handle.first_execution_run_id)
    await env.shutdown()
    return histories


async def _until(check: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(1000):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("the recording did not get where it waits for")


async def outside_changes() -> list[WorkflowHistory]:
    env = await start_dev_server()
    async with worker_and_read_model(env) as (service, engine):
        status = await service.start(scenario.start_request())
        intervention_id = status.data.intervention_id
        handle = env.client.get_workflow_handle(intervention_id)
        first_run = (await handle.describe()).run_id
        await service.command(intervention_id, *scenario.URGENT_PATH[0])
        await handle.cancel()  # as the Web UI's "Request cancellation" does

        async def noted(command: str) -> bool:
            audit = (await service.status(intervention_id)).data.audit
            return any(e.command == command for e in audit)

        await _until(lambda: noted("cancel_requested"))
        await settled(service, engine, intervention_id)
        reset = await asyncio.create_subprocess_exec(
            str(BIN / "temporal"), "workflow", "reset", "-w", intervention_id,
            "--type", "FirstWorkflowTask", "--reapply-exclude", "All", "--reason", "recorded",
            "--address", env.client.service_client.config.target_host,
        )
        assert await reset.wait() == 0
        await service.command(intervention_id, Event.escalate, {
            "actor": scenario.COORDINATOR, "level": "dean", "reason": "No reply"})
        await OutsideChanges(env.client, engine).sweep()
        await _until(lambda: noted("reset"))
        for event, payload in scenario.URGENT_PATH:
            await service.command(intervention_id, event, payload)
        await handle.result()
        assert first_run is not None
        histories = [
            await env.client.get_workflow_handle(intervention_id, run_id=first_run)
            .fetch_history(),
            await handle.fetch_history(),
        ]
    await env.shutdown()
    return histories


RECORDINGS: dict[str, Recording] = {
    # Recorded by 0.1.0: every step an activity the command waited for.
    "urgent_review_v1": urgent_review,
    "reminders_v1": reminders,
    "continue_as_new_v1": continue_as_new,
    # Recorded since the effects-after-reply patch: dates from the input's calendar, effects
    # handed over after the reply in one activity.
    "urgent_review_v2": urgent_review,
    "reminders_v2": reminders,
    "continue_as_new_v2": continue_as_new,
    # Recorded by the code before the independence-by-identity patch (e0d2ac8): commands the
    # rules comparing people now refuse, which its handlers must replay as accepted. The code
    # since refuses this recording, as it should.
    "lead_undeclared_v2": lead_undeclared,
    # Recorded since that patch: every command carries its sender's e-mail, and the handlers
    # hold them to the rules.
    "signed_in_review_v3": signed_in_review,
    # Recorded since the starts-sealed-by-the-service patch: every payload sealed, and a run
    # refuses a start the service did not seal.
    "urgent_review_v4": urgent_review,
    "continue_as_new_v4": continue_as_new,
    # Recorded since the cancel-requests-noted patch, with a reset the sweep noticed.
    "outside_changes_v4": outside_changes,
    # Recorded since the seals-name-their-intervention patch: every seal names its workflow,
    # a run refuses a start sealed for another, and a run continued as new is handed the seals
    # of the commands taken before it.
    "urgent_review_v5": urgent_review,
    "continue_as_new_v5": continue_as_new,
}


async def record(name: str) -> list[Path]:
    if (HERE / f"{name}.json").exists():
        raise SystemExit(f"{name}.json exists: a recorded history is never overwritten")
    histories = await RECORDINGS[name]()
    paths = [HERE / f"{stem}.json" for stem in file_names(name, len(histories))]
    for path, history in zip(paths, histories, strict=True):
        path.write_text(history.to_json(), encoding="utf-8")
    return paths


async def record_missing(names: list[str]) -> None:
    for name in names or [n for n in RECORDINGS if not (HERE / f"{n}.json").exists()]:
        for path in await record(name):
            print(path)


if __name__ == "__main__":
    asyncio.run(record_missing(sys.argv[1:]))
    sys.stdout.flush()
    os._exit(0)
