"""Notice what was done to interventions in Temporal, outside the service, and record it.

Two ways in, one way of recording (`models.outside` has the words):

- `ended`: the client facade found an intervention's workflow closed other than by completing
  (terminated, cancelled, timed out or failed in Temporal). The ending goes into the read model
  once: the workflow's last snapshot (so nothing it did is missing), then an audit entry saying
  how and when, and the row's state `ended_outside`.
- `sweep`, in every worker: the read model's open interventions are compared with Temporal, a
  page at a time (one visibility query per page, a describe only for those that look changed),
  so a change is noticed even when nobody asks. An intervention no longer running is recorded
  as above; one Temporal has reset since its last noted reset is told so (`note_reset`), and
  its workflow notes it and records itself again, renumbered after what the read model holds.

Recording is idempotent (an ending is keyed by its run, a reset by its time) and safe when
several workers and requests notice the same change at once: an ending's transaction starts by
locking the intervention's row, and Temporal runs one update per reset. A reason typed into
Temporal is kept in the audit's `reason` only; logs and metrics say what happened, never why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, HistoryEventFilterType, WorkflowTaskFailedCause
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.client import WorkflowExecution as ListedRun
from temporalio.common import MetricCounter, MetricMeter
from temporalio.service import RPCError

from activities.recording import RecordingActivities
from models.effects import RecordInterventionInput
from models.intervention import Ended, InterventionData, State, recorded_state
from models.outside import RESET, HowEnded, OutsideEnding, ResetNote, confidential_reason, step
from models.status import InterventionStatus
from models.tables import AuditEntry, Intervention
from workflows.intervention import InterventionWorkflow

__all__ = ["Noticed", "OutsideChanges"]

log = logging.getLogger(__name__)

_HOW = {
    WorkflowExecutionStatus.TERMINATED: HowEnded.terminated,
    WorkflowExecutionStatus.CANCELED: HowEnded.cancelled,
    WorkflowExecutionStatus.TIMED_OUT: HowEnded.timed_out,
    WorkflowExecutionStatus.FAILED: HowEnded.failed,
}
_OPEN = (Ended.outside.value, *(s.value for s in State if not s.terminal))
_NOTED = (RESET, *(h.value for h in HowEnded))
# What a sweep may meet in Temporal and in the database; anything else is a bug, and raised.
_PASSING = (RPCError, SQLAlchemyError, WorkflowQueryFailedError, WorkflowUpdateFailedError,
            WorkflowUpdateRPCTimeoutOrCancelledError, TimeoutError)


@dataclass(frozen=True)
class Noticed:
    """One change a sweep noticed and recorded: a `HowEnded` value, or "reset"."""

    intervention_id: str
    change: str


@dataclass(frozen=True)
class _Held:
    """What the read model holds of one intervention's audit."""

    state: str
    steps: list[tuple[int, tuple[str | None, ...]]]  # (seq, step) oldest first
    last_reset: datetime | None

    @property
    def last_seq(self) -> int:
        return self.steps[-1][0] if self.steps else 0


def _shared(data: InterventionData, held: _Held) -> int:
    """The entries a reset kept: the number of the last of the workflow's entries up to which
    the read model holds each under the same number as the same step."""
    steps = dict(held.steps)
    kept = 0
    for entry in data.audit:
        if steps.get(entry.seq) != step(entry):
            break
        kept = entry.seq
    return kept


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _last_state(conn: Connection, intervention_id: str, state: str | None) -> State:
    """The lifecycle state the read model last had the intervention in."""
    if state is not None and state in State.__members__:
        return State(state)
    newest = conn.execute(
        select(col(AuditEntry.to_state), col(AuditEntry.from_state))
        .where(col(AuditEntry.intervention_id) == intervention_id)
        .order_by(col(AuditEntry.seq).desc())
    )
    for to_state, from_state in newest:
        for value in (to_state, from_state):
            if value in State.__members__:
                return State(value)
    return State.planned


class OutsideChanges:
    """The facade's and the worker's way of noticing; `engine` None records nothing (a client
    with no read model still answers truthfully)."""

    def __init__(
        self,
        client: Client,
        engine: Engine | None,
        *,
        batch: int = 100,
        answer_within: timedelta = timedelta(seconds=10),
        meter: MetricMeter | None = None,
    ) -> None:
        self._client = client
        self._engine = engine
        self._writer = RecordingActivities(engine) if engine is not None else None
        self._batch = batch
        self._answer_within = answer_within
        self._noticed: MetricCounter = (meter or MetricMeter.noop).create_counter(
            "qi_outside_changes",
            "Changes made in Temporal outside the service, noticed and recorded, by kind",
        )

    # -- endings --------------------------------------------------------------------------------

    async def ended(
        self, intervention_id: str, *, final: InterventionData | None = None
    ) -> OutsideEnding | None:
        """How Temporal ended the intervention's workflow outside the service, recorded once;
        None while it runs, or when it completed (its own lifecycle ended it). `final` is its
        data as it ended, if the caller has it already."""
        ending, _ = await self._end(intervention_id, final)
        return ending

    async def _end(
        self, intervention_id: str, final: InterventionData | None
    ) -> tuple[OutsideEnding | None, bool]:
        if self._engine is not None:
            recorded = await asyncio.to_thread(self._recorded_ending, intervention_id)
            if recorded is not None:
                return recorded, False
        handle = self._client.get_workflow_handle(intervention_id)
        description = await handle.describe()
        how = _HOW.get(description.status) if description.status else None
        if how is None:
            return None, False
        at = description.close_time or datetime.now(UTC)
        final = final or await self._final(handle)
        # Without `final` (no worker answered) only the sweep gets here, and shows it nobody.
        last = final.state if final else State.planned
        unrecorded = OutsideEnding(how=how, at=at, last_state=last)
        if self._engine is None:
            return unrecorded, False
        reason = None
        if how is HowEnded.terminated:
            reason = await self._termination_reason(intervention_id, description.run_id)
        try:
            return await asyncio.to_thread(
                self._record_ending, intervention_id, description.run_id, how, at, reason, final
            )
        except SQLAlchemyError as error:
            # Said truthfully all the same; the next request or sweep records it. The error's
            # text may quote the reason, so only its kind is logged.
            log.warning("intervention %s ended outside the service; the read model could not "
                        "record it (%s)", intervention_id, type(error).__name__)
            return unrecorded, False

    async def _final(self, handle: WorkflowHandle[Any, Any]) -> InterventionData | None:
        """The data the workflow ended with (a worker replays it), if one answers in time."""
        try:
            status: InterventionStatus = await handle.query(
                InterventionWorkflow.status, rpc_timeout=self._answer_within
            )
        except (RPCError, WorkflowQueryFailedError) as error:
            log.warning("intervention %s: its last state could not be read (%s); its ending is "
                        "recorded from the read model", handle.id, type(error).__name__)
            return None
        return status.data

    async def _termination_reason(self, intervention_id: str, run_id: str | None) -> str | None:
        """What the operator typed when terminating: confidential (the audit's reason only)."""
        request = GetWorkflowExecutionHistoryRequest(
            namespace=self._client.namespace,
            execution=WorkflowExecution(workflow_id=intervention_id, run_id=run_id or ""),
            history_event_filter_type=HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
        )
        response = await self._client.workflow_service.get_workflow_execution_history(request)
        for event in response.history.events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
                return event.workflow_execution_terminated_event_attributes.reason
        return None

    def _recorded_ending(self, intervention_id: str) -> OutsideEnding | None:
        assert self._engine is not None
        a = AuditEntry
        with self._engine.connect() as conn:
            state = conn.execute(select(col(Intervention.state)).where(
                col(Intervention.id) == intervention_id)).scalar_one_or_none()
            if state != Ended.outside.value:
                return None
            row = conn.execute(
                select(col(a.command), col(a.at), col(a.from_state))
                .where(col(a.intervention_id) == intervention_id,
                       col(a.command).in_([h.value for h in HowEnded]))
                .order_by(col(a.seq).desc()).limit(1)
            ).first()
        if row is None:
            return None
        command, at, last = row
        return OutsideEnding(how=HowEnded(command), at=_aware(at), last_state=State(str(last)))

    def _record_ending(
        self, intervention_id: str, run_id: str | None, how: HowEnded, at: datetime,
        reason: str | None, final: InterventionData | None,
    ) -> tuple[OutsideEnding, bool]:
        """One transaction: lock the row, bring it up to the workflow's last snapshot, then the
        ending (once per run: its key names the run)."""
        assert self._engine is not None
        assert self._writer is not None
        key = f"{intervention_id}:outside:{run_id}"
        with self._engine.begin() as conn:
            # A write first: it takes the row's lock, so concurrent noticers queue here.
            conn.execute(update(Intervention).where(col(Intervention.id) == intervention_id)
                         .values(version=col(Intervention.version)))
            if final is not None:
                self._writer.write_snapshot(conn, RecordInterventionInput(
                    idempotency_key=f"{intervention_id}:{final.last_seq}", data=final,
                    today=at.date()))
            state = conn.execute(select(col(Intervention.state)).where(
                col(Intervention.id) == intervention_id)).scalar_one_or_none()
            last_state = final.state if final else _last_state(conn, intervention_id, state)
            ending = OutsideEnding(how=how, at=at, last_state=last_state)
            if state is None:
                log.warning("intervention %s ended outside the service before anything of it "
                            "was recorded; nothing to record it in", intervention_id)
                return ending, False
            done = conn.execute(select(col(AuditEntry.seq)).where(
                col(AuditEntry.idempotency_key) == key)).first()
            if done is not None:
                return ending, False
            seq = 1 + conn.execute(select(func.coalesce(func.max(col(AuditEntry.seq)), 0)).where(
                col(AuditEntry.intervention_id) == intervention_id)).scalar_one()
            entry = ending.audit_entry(seq, reason)
            conn.execute(insert(AuditEntry).values(
                **{**entry.model_dump(mode="json"), "at": entry.at},
                intervention_id=intervention_id, idempotency_key=key))
            conn.execute(update(Intervention).where(col(Intervention.id) == intervention_id)
                         .values(state=Ended.outside.value, closed_at=at, updated_at=at,
                                 next_deadline=None, version=seq))
        self._noticed.add(1, {"kind": how.value})
        log.info("intervention %s was %s outside the service; recorded", intervention_id,
                 how.value)
        return ending, True

    # -- resets ---------------------------------------------------------------------------------

    async def reset(
        self, intervention_id: str, description: WorkflowExecutionDescription | None = None
    ) -> int | None:
        """If Temporal reset the intervention's workflow since the last reset noted, tell the
        workflow (`note_reset`); the number of the note's audit entry, else None."""
        if self._engine is None:
            return None
        handle = self._client.get_workflow_handle(intervention_id)
        description = description or await handle.describe()
        info = description.raw_description.workflow_extended_info
        if (description.status is not WorkflowExecutionStatus.RUNNING
                or not info.HasField("last_reset_time")):
            return None
        at = info.last_reset_time.ToDatetime(tzinfo=UTC)
        held = await asyncio.to_thread(self._held, intervention_id)
        if held is None or (held.last_reset is not None and held.last_reset >= at):
            return None
        status: InterventionStatus = await handle.query(
            InterventionWorkflow.status, rpc_timeout=self._answer_within
        )
        if any(e.command == RESET and e.at == at for e in status.data.audit):
            return None  # noted; the workflow's projection of it is on its way
        note = ResetNote(
            at=at, kept=_shared(status.data, held), recorded_through=held.last_seq,
            from_state=recorded_state(held.state),
            reason=confidential_reason(await self._reset_reason(handle, description.run_id)),
        )
        seq: int = await handle.execute_update(
            "note_reset", note, id=f"reset:{at.isoformat()}", result_type=int,
            rpc_timeout=self._answer_within,
        )
        self._noticed.add(1, {"kind": RESET})
        log.info("intervention %s was reset outside the service; noted as audit entry %d",
                 intervention_id, seq)
        return seq

    async def _reset_reason(
        self, handle: WorkflowHandle[Any, Any], run_id: str | None
    ) -> str | None:
        """The reason given for the reset that started this run: confidential, like any."""
        reason = None
        async for event in handle.fetch_history_events():
            attributes = event.workflow_task_failed_event_attributes
            if (event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
                    and attributes.cause
                    == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW
                    and attributes.new_run_id == run_id):
                reason = attributes.failure.message
        return reason

    def _held(self, intervention_id: str) -> _Held | None:
        assert self._engine is not None
        a = AuditEntry
        with self._engine.connect() as conn:
            state = conn.execute(select(col(Intervention.state)).where(
                col(Intervention.id) == intervention_id)).scalar_one_or_none()
            if state is None:
                return None
            rows = conn.execute(
                select(col(a.seq), col(a.command), col(a.actor), col(a.from_state),
                       col(a.to_state), col(a.summary), col(a.reason), col(a.at))
                .where(col(a.intervention_id) == intervention_id).order_by(col(a.seq))
            ).all()
        resets = [_aware(r[-1]) for r in rows if r[1] == RESET]
        return _Held(state=state, steps=[(r[0], tuple(r[1:7])) for r in rows],
                     last_reset=max(resets, default=None))

    # -- the sweep ------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, every: timedelta) -> None:
        """Sweep now and every `every` until `stop` is set; a failed sweep is logged and the
        next one tries again."""
        while not stop.is_set():
            try:
                noticed = await self.sweep()
            except Exception as error:
                # Only the kind: a database error's text may quote what was being written.
                level = logging.WARNING if isinstance(error, _PASSING) else logging.ERROR
                log.log(level, "sweep for changes made outside the service failed (%s); the "
                        "next one tries again", type(error).__name__)
            else:
                if noticed:
                    log.info("sweep noticed %d change(s) made outside the service", len(noticed))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every.total_seconds())

    async def sweep(self) -> list[Noticed]:
        """Compare every open intervention in the read model (and those it has as ended
        outside, which a reset can bring back) with Temporal, and record what changed."""
        if self._engine is None:
            return []
        noticed: list[Noticed] = []
        after = ""
        while page := await asyncio.to_thread(self._open_page, after):
            noticed += await self._check(page)
            after = page[-1][0]
        return noticed

    def _open_page(self, after: str) -> list[tuple[str, str]]:
        assert self._engine is not None
        query = (
            select(col(Intervention.id), col(Intervention.state))
            .where(col(Intervention.state).in_(_OPEN), col(Intervention.id) > after)
            .order_by(col(Intervention.id)).limit(self._batch)
        )
        with self._engine.connect() as conn:
            return [(i, s) for i, s in conn.execute(query)]

    async def _check(self, page: list[tuple[str, str]]) -> list[Noticed]:
        runs = await self._runs(i for i, _ in page)
        noted = await asyncio.to_thread(self._last_noted, [i for i, _ in page])
        noticed = []
        for intervention_id, state in page:
            try:
                change = await self._look_at(
                    intervention_id, state, runs.get(intervention_id, []),
                    noted.get(intervention_id),
                )
            except Exception as error:
                # Only the kind: a database error's text may quote what was being written.
                level = logging.WARNING if isinstance(error, _PASSING) else logging.ERROR
                log.log(level, "intervention %s could not be compared with Temporal (%s); the "
                        "next sweep tries again", intervention_id, type(error).__name__)
                continue
            if change is not None:
                noticed.append(Noticed(intervention_id, change))
        return noticed

    async def _runs(self, ids: Iterable[str]) -> dict[str, list[ListedRun]]:
        """Each intervention's runs but those that continued as new: one visibility query."""
        quoted = ", ".join(f"'{i}'" for i in ids if "'" not in i)
        runs: dict[str, list[ListedRun]] = defaultdict(list)
        query = f"WorkflowId IN ({quoted}) AND ExecutionStatus != 'ContinuedAsNew'"
        async for run in self._client.list_workflows(query, page_size=1000):
            runs[run.id].append(run)
        return runs

    def _last_noted(self, ids: list[str]) -> dict[str, datetime]:
        """When each intervention's newest ending or reset the read model holds happened."""
        assert self._engine is not None
        a = AuditEntry
        query = (
            select(col(a.intervention_id), func.max(col(a.at)))
            .where(col(a.intervention_id).in_(ids), col(a.command).in_(_NOTED))
            .group_by(col(a.intervention_id))
        )
        with self._engine.connect() as conn:
            return {i: _aware(at) for i, at in conn.execute(query)}

    async def _look_at(
        self, intervention_id: str, state: str, runs: list[ListedRun], noted: datetime | None
    ) -> str | None:
        if not runs:
            return None  # not (yet, or any more) in Temporal's visibility
        if not any(r.status is WorkflowExecutionStatus.RUNNING for r in runs):
            if state == Ended.outside.value:
                return None
            ending, recorded = await self._end(intervention_id, None)
            return ending.how.value if ending is not None and recorded else None
        # A reset ends the run it started from as terminated; one not yet noted is newer
        # than the newest note. A workflow that had ended and runs again was reset too.
        terminated = [r.close_time for r in runs
                      if r.status is WorkflowExecutionStatus.TERMINATED and r.close_time]
        if state != Ended.outside.value and (
            not terminated or (noted is not None and max(terminated) <= noted)
        ):
            return None
        return RESET if await self.reset(intervention_id) is not None else None
