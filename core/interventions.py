"""The client side of interventions: start, command and read them through Temporal.

The CLI and the HTTP API are thin layers over this; every refusal arrives as an
`InterventionError` carrying the field and rule of each problem.

Asked about an intervention whose workflow Temporal ended outside the service (terminated,
cancelled or timed out there), the facade records that in the read model once
(`activities.outside`) and says so: its status is as it last stood, with how and when it ended
and no command allowed, and a command is refused saying the same.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    QueryRejectCondition,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from activities.outside import OutsideChanges
from core.references import ID_PREFIX, allocate_reference, resolve_intervention_id
from models.calendar import bank_holidays
from models.catalogue import Catalogue
from models.commands import Command, Event, StartIntervention, StartRequest
from models.errors import ErrorType, InterventionError, Problem, ProblemError
from models.guards import start_problems
from models.intervention import Contacts, InterventionData
from models.outbox import NoteResend
from models.references import parse_reference
from models.registry import COMMANDS
from models.status import CommandResult, InterventionStatus
from workflows import monitoring
from workflows.intervention import InterventionWorkflow

__all__ = [
    "Interventions",
    "RefusalCounter",
    "intervention_id_for",
    "problems_from",
]

# Request IDs map to workflow IDs through a name-based UUID, so the ID reveals nothing.
_REQUEST_NAMESPACE = uuid.UUID("6f1d2c55-3f0e-4c84-9a53-3f1c2d7b8e10")


def problems_from(error: ValidationError, prefix: str = "") -> list[Problem]:
    return [
        Problem(
            field=prefix + (".".join(str(part) for part in err["loc"]) or "body"),
            rule=err["msg"],
        )
        for err in error.errors()
    ]


def intervention_id_for(request_id: str | None) -> str:
    if request_id is None:
        return f"{ID_PREFIX}{uuid.uuid4()}"
    return f"{ID_PREFIX}{uuid.uuid5(_REQUEST_NAMESPACE, request_id)}"


def _database_unavailable(error: Exception) -> InterventionError:
    reason = " ".join(str(getattr(error, "orig", error)).split())
    return InterventionError(
        [Problem(field="database", rule=f"the read model's database cannot give or look up "
                 f"references ({reason}); is it reachable and migrated (`qi migrate`)?")],
        ErrorType.UNAVAILABLE,
    )


def _not_found(intervention_id: str) -> InterventionError:
    return InterventionError(
        [Problem(field="intervention_id", rule=f"no intervention {intervention_id}")],
        ErrorType.UNKNOWN_REFERENCE,
    )


def _from_failure(error: WorkflowUpdateFailedError) -> InterventionError:
    cause = error.cause
    if isinstance(cause, ApplicationError):
        details = cause.details[0] if cause.details else []
        problems = [Problem.model_validate(p) for p in details] or [
            Problem(field="command", rule=cause.message)
        ]
        return InterventionError(problems, ErrorType(cause.type or ErrorType.COMMAND_REFUSED))
    return InterventionError([Problem(field="command", rule=str(cause))],
                             ErrorType.COMMAND_REFUSED)


class RefusalCounter(Protocol):
    """Told of every refused start or command, e.g. `core.metrics.CommandCounters`."""

    def refused(self, command: str, error_type: str) -> None: ...


P = ParamSpec("P")
R = TypeVar("R")


def _reports_refusals(
    method: Callable[Concatenate[Interventions, P], Awaitable[R]],
) -> Callable[Concatenate[Interventions, P], Awaitable[R]]:
    """Tell the service's refusal counter of each `InterventionError` `method` raises."""

    @functools.wraps(method)
    async def reporting(self: Interventions, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(self, *args, **kwargs)
        except InterventionError as error:
            if self._refusals is not None:
                # A command names its event among the arguments; a start has none.
                event = next((a for a in (*args, *kwargs.values()) if isinstance(a, Event)), None)
                self._refusals.refused(event.value if event else "start", error.error_type.value)
            raise

    return reporting


class Interventions:
    def __init__(
        self,
        client: Client,
        *,
        task_queue: str,
        catalogue: Catalogue,
        contacts: Contacts | None = None,
        refusals: RefusalCounter | None = None,
        engine: Engine | None = None,
    ) -> None:
        """`engine` is the read model's database, where references are given out and looked
        up; without one, interventions start without a reference and only full IDs resolve."""
        self._client = client
        self._engine = engine
        self._task_queue = task_queue
        self._catalogue = catalogue
        self._contacts = contacts
        self._refusals = refusals
        self._outside = OutsideChanges(client, engine)

    @property
    def client(self) -> Client:
        return self._client

    def build_start(
        self, request: StartRequest, intervention_id: str, reference: str | None = None
    ) -> StartIntervention:
        try:
            kind = self._catalogue.get(request.type)
        except ProblemError as error:
            raise InterventionError(error.problems, ErrorType.INVALID_INPUT) from None
        start = StartIntervention(
            intervention_id=intervention_id,
            reference=reference,
            type=kind,
            risk_bands=self._catalogue.risk_bands,
            provider=request.provider,
            concern=request.concern,
            coordinator=request.coordinator,
            coordinator_email=request.coordinator_email,
            contacts=self._contacts,
            bank_holidays=bank_holidays(datetime.now(UTC).year),
        )
        problems = start_problems(start)
        if problems:
            raise InterventionError(problems, ErrorType.INVALID_INPUT)
        return start

    @_reports_refusals
    async def start(
        self, request: StartRequest | Mapping[str, Any], *, request_id: str | None = None
    ) -> InterventionStatus:
        """Start an intervention and return it planned, with its first deadline.

        The same `request_id` always returns the same intervention, started once."""
        if not isinstance(request, StartRequest):
            try:
                request = StartRequest.model_validate(request)
            except ValidationError as error:
                raise InterventionError(problems_from(error), ErrorType.INVALID_INPUT) from None
        intervention_id = intervention_id_for(request_id)
        start = self.build_start(request, intervention_id)  # refuses bad input before a number
        if self._engine is not None:
            start.reference = await self._allocate(intervention_id)
        preview = _preview(start)
        today = preview.started_at.date()
        operation = WithStartWorkflowOperation(
            InterventionWorkflow.run,
            start,
            id=intervention_id,
            task_queue=self._task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=monitoring.initial_search_attributes(preview, today),
            static_summary=monitoring.static_summary(preview),
            static_details=monitoring.static_details(preview),
        )
        try:
            status: InterventionStatus = await self._client.execute_update_with_start_workflow(
                "planned",
                start_workflow_operation=operation,
                # With a request ID, a retry gets the first start's answer, not today's status.
                id=None if request_id is None else f"planned:{intervention_id}",
                result_type=InterventionStatus,
            )
        except WorkflowUpdateFailedError as error:
            raise _from_failure(error) from None
        return status

    async def _allocate(self, intervention_id: str) -> str:
        assert self._engine is not None
        try:
            return await asyncio.to_thread(
                allocate_reference, self._engine, intervention_id, datetime.now(UTC)
            )
        except (OperationalError, ProgrammingError) as error:
            raise _database_unavailable(error) from None

    async def resolve(self, intervention: str) -> str:
        """The workflow ID of `intervention`, given as its reference (QI-2027-0042) or its full
        ID: the one place either is accepted. Raises UnknownReference."""
        if self._engine is None or parse_reference(intervention) is None:
            return resolve_intervention_id(None, intervention)  # no database needed
        try:
            return await asyncio.to_thread(resolve_intervention_id, self._engine, intervention)
        except (OperationalError, ProgrammingError) as error:
            raise _database_unavailable(error) from None

    async def _handle(self, intervention: str) -> WorkflowHandle[Any, Any]:
        return self._client.get_workflow_handle(await self.resolve(intervention))

    @_reports_refusals
    async def command(
        self,
        intervention_id: str,
        event: Event,
        payload: Command | Mapping[str, Any],
        *,
        update_id: str | None = None,
    ) -> CommandResult:
        """Send one command. The server runs an `update_id` once per workflow run: sending it
        again returns the first outcome and changes nothing."""
        model = COMMANDS[event].contract
        if not isinstance(payload, model):
            try:
                payload = model.model_validate(payload)
            except ValidationError as error:
                raise InterventionError(problems_from(error), ErrorType.INVALID_INPUT) from None
        handle = await self._handle(intervention_id)
        try:
            result: CommandResult = await handle.execute_update(
                event.value, payload, id=update_id, result_type=CommandResult
            )
        except WorkflowUpdateFailedError as error:
            raise _from_failure(error) from None
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise await self._ended_or_unknown(intervention_id, event) from None
            raise
        return result

    async def _ended_or_unknown(self, intervention_id: str, event: Event) -> InterventionError:
        """Temporal answers a command to a finished workflow as "not found"; an intervention
        that exists, closed or cancelled (or ended outside the service), refuses the command
        instead."""
        status = await self.status(intervention_id)  # raises UnknownReference if it is unknown
        if status.ended_outside is not None:
            return InterventionError(
                [Problem(field="command", rule=status.ended_outside.refusal(event.value))],
                ErrorType.COMMAND_REFUSED,
            )
        return InterventionError(
            [Problem(field="command", rule=f"{event.value} is not allowed: the intervention is "
                     f"{status.data.state} and takes no more commands")],
            ErrorType.COMMAND_REFUSED,
        )

    async def note_resend(self, intervention_id: str, note: NoteResend) -> int | None:
        """Record in the intervention's audit that `note.actor` resent a message; the audit
        entry's number, or None when the workflow has ended and takes no more entries."""
        handle = await self._handle(intervention_id)
        try:
            seq: int = await handle.execute_update(
                "note_resend", note, result_type=int,
                # Once per message and attempt count: a retried resend is noted once.
                id=f"resend:{note.key}:{note.attempts}",
            )
        except WorkflowUpdateFailedError as error:
            raise _from_failure(error) from None
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                await self.status(intervention_id)  # raises UnknownReference if unknown
                return None
            raise
        return seq

    async def status(self, intervention_id: str) -> InterventionStatus:
        """The intervention as its workflow holds it. If Temporal ended the workflow outside
        the service, as it last stood, with `ended_outside` and no command allowed (and the
        ending recorded in the read model, once)."""
        handle = await self._handle(intervention_id)
        try:
            return await self._query(handle, intervention_id, QueryRejectCondition.NOT_OPEN)
        except WorkflowQueryRejectedError as rejected:
            closed = rejected.status
        last = await self._query(handle, intervention_id)  # answered from its history
        if closed is WorkflowExecutionStatus.COMPLETED:
            return last
        ending = await self._outside.ended(handle.id, final=last.data)
        if ending is None:
            return last
        return last.model_copy(update={"ended_outside": ending, "next_steps": [], "upcoming": []})

    async def _query(
        self,
        handle: WorkflowHandle[Any, Any],
        intervention_id: str,
        reject: QueryRejectCondition | None = None,
    ) -> InterventionStatus:
        try:
            return await handle.query(InterventionWorkflow.status, reject_condition=reject)
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise _not_found(intervention_id) from None
            raise


def _preview(start: StartIntervention) -> InterventionData:
    """The data the workflow will start with, for its first search attributes and summary."""
    return start.initial_data(started_at=datetime.now(UTC))
