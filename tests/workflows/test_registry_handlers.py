"""The workflow takes every command in the registry as an update of the command's name, typed
by its contract: what the Web UI lists for a running intervention."""

from __future__ import annotations

from temporalio.api.sdk.v1 import WorkflowMetadata

from models.commands import Event
from models.registry import COMMANDS
from tests import scenario
from tests.workflows.conftest import Harness


async def test_every_registered_command_is_an_update_of_the_running_workflow(dev: Harness) -> None:
    status = await dev.service.start(scenario.start_request())
    handle = dev.client.get_workflow_handle(status.data.intervention_id)
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    updates = {u.name: u.description for u in metadata.definition.update_definitions}
    assert set(COMMANDS) == set(Event)
    assert {spec.name for spec in COMMANDS.values()} <= set(updates)
    # Besides the commands: the start's own update, an operator's resent-message note, and the
    # service's note of a reset made in Temporal.
    assert set(updates) - {spec.name for spec in COMMANDS.values()} == {
        "planned", "note_resend", "note_reset"
    }
    assert all(updates[spec.name] == spec.summary for spec in COMMANDS.values())


async def test_a_command_arrives_as_its_contract(dev: Harness) -> None:
    """The handler decodes its argument by the contract's annotations: a valid command is
    applied, so the payload reached the change as the contract's model."""
    status = await dev.service.start(scenario.start_request())
    result = await dev.service.command(
        status.data.intervention_id, Event.convene_panel, scenario.urgent_panel()
    )
    after = await dev.service.status(status.data.intervention_id)
    assert result.command is Event.convene_panel
    assert after.data.chair == scenario.urgent_panel()["chair"]
