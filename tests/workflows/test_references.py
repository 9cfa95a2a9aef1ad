"""Interventions started through the facade carry their reference everywhere people look:
the workflow's data and replies, the Web UI (search attribute, summary) and the read model;
and every command takes the reference as well as the ID."""

from __future__ import annotations

import asyncio
import json

from sqlmodel import Session

from models.commands import Event
from models.references import parse_reference
from models.tables import Intervention
from tests import scenario
from tests.workflows.conftest import Harness
from workflows.monitoring import INTERVENTION_REFERENCE


async def test_fifty_concurrent_starts_get_unique_references_without_gaps(dev: Harness) -> None:
    started = await asyncio.gather(
        *(dev.service.start(scenario.start_request()) for _ in range(50))
    )

    parsed = sorted(parse_reference(s.data.reference or "") or (0, 0) for s in started)
    year = parsed[0][0]
    assert parsed == [(year, n) for n in range(1, 51)]
    assert len({s.data.intervention_id for s in started}) == 50


async def test_a_retried_start_keeps_its_reference(dev: Harness) -> None:
    first = await dev.service.start(scenario.start_request(), request_id="survey-2027-3")
    again = await dev.service.start(scenario.start_request(), request_id="survey-2027-3")
    other = await dev.service.start(scenario.start_request(), request_id="survey-2027-4")

    assert first.data.reference is not None
    assert again.data.reference == first.data.reference
    assert other.data.reference not in (None, first.data.reference)


async def test_the_reference_is_shown_in_the_web_ui_and_the_read_model(dev: Harness) -> None:
    status = await dev.service.start(scenario.start_request())
    reference, intervention_id = status.data.reference, status.data.intervention_id
    await dev.settled(intervention_id)

    described = await dev.client.get_workflow_handle(intervention_id).describe()
    assert described.typed_search_attributes.get(INTERVENTION_REFERENCE) == reference
    summary = await described.static_summary()
    assert summary is not None
    assert summary.startswith(f"{reference} Urgent Risk Review")
    with Session(dev.engine) as session:
        row = session.get(Intervention, intervention_id)
        assert row is not None
        assert row.reference == reference
    assert "Northshire" not in (reference or "")  # codes and numbers only


async def test_every_command_takes_the_reference(dev: Harness) -> None:
    status = await dev.service.start(scenario.start_request())
    reference = status.data.reference
    assert reference is not None

    result = await dev.service.command(reference.lower(), Event.convene_panel,
                                       scenario.urgent_panel())
    shown = await dev.service.status(reference)

    assert (result.intervention_id, result.reference) == (status.data.intervention_id, reference)
    assert shown.data.state == "panel_convened"
    assert json.loads(shown.model_dump_json())["data"]["reference"] == reference
