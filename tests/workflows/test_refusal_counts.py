"""The client facade tells its refusal counter of every refused start and command."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.interventions import Interventions
from core.metrics import CommandCounters, business_metrics
from models.catalogue import load_catalogue
from models.commands import Event
from models.errors import ErrorType, InterventionError
from tests import scenario
from tests.workflows.conftest import Harness


def _refused(text: str) -> dict[tuple[str, str], float]:
    return {
        (s.labels["command"], s.labels["error_type"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "qi_commands_refused_total"
    }


async def test_refusals_are_counted_by_command_and_reason(dev: Harness) -> None:
    counters = CommandCounters()
    service = Interventions(dev.client, task_queue=dev.task_queue, catalogue=load_catalogue(),
                            refusals=counters)
    started = await service.start(scenario.start_request())
    intervention_id = started.data.intervention_id
    close = {"actor": scenario.COORDINATOR}

    with pytest.raises(InterventionError) as lifecycle:
        await service.command(intervention_id, Event.close, close)
    with pytest.raises(InterventionError) as unknown:
        await service.command(f"intervention-{uuid.uuid4()}", event=Event.close, payload=close)
    with pytest.raises(InterventionError) as invalid:
        await service.start(scenario.start_request(type="no_such_type"))

    assert lifecycle.value.error_type is ErrorType.COMMAND_REFUSED
    assert unknown.value.error_type is ErrorType.UNKNOWN_REFERENCE
    assert invalid.value.error_type is ErrorType.INVALID_INPUT
    assert _refused(business_metrics(dev.engine, counters=counters)) == {
        ("close", "CommandRefused"): 1,
        ("close", "UnknownReference"): 1,
        ("start", "InvalidInput"): 1,
    }


async def test_a_service_without_a_counter_refuses_just_the_same(dev: Harness) -> None:
    started = await dev.service.start(scenario.start_request())

    with pytest.raises(InterventionError) as refused:
        await dev.service.command(started.data.intervention_id, Event.close,
                                  {"actor": scenario.COORDINATOR})

    assert refused.value.error_type is ErrorType.COMMAND_REFUSED
