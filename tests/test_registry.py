"""A command is one registry entry: every consumer takes each entry, so none can be left out.
(The workflow's side, an update per entry, is tests/workflows/test_registry_handlers.py.)"""

from __future__ import annotations

import click
import pytest
from fastapi.routing import APIRoute

from api.routes.commands import router, slug
from cli import cli
from cli.names import lifecycle_summaries
from models.access import PERMISSIONS, permission_table
from models.bodies import COMMAND_BODIES
from models.commands import Event
from models.lifecycle import TRANSITIONS, mermaid_diagram
from models.registry import COMMANDS
from models.vocabulary import Reach, Role

NAMES = sorted(spec.name for spec in COMMANDS.values())


def test_every_event_has_one_entry_and_each_entry_its_contract() -> None:
    assert set(COMMANDS) == set(Event)
    assert all(spec.event is event for event, spec in COMMANDS.items())
    assert len({spec.contract for spec in COMMANDS.values()}) == len(COMMANDS)


def test_the_lifecycle_machine_and_diagram_take_every_entry() -> None:
    assert {step.event for step in TRANSITIONS} == set(COMMANDS)
    diagram = mermaid_diagram()
    assert all(name in diagram for name in NAMES)


def test_the_api_has_one_command_route_and_body_per_entry() -> None:
    assert set(COMMAND_BODIES) == set(COMMANDS)
    routes = {
        route.name: route.path for route in router.routes if isinstance(route, APIRoute)
    }
    assert sorted(routes) == NAMES
    assert all(routes[spec.name].endswith(f"/{slug(spec.event)}") for spec in COMMANDS.values())


def test_qi_has_one_command_per_entry() -> None:
    context = click.Context(cli)
    assert {slug(event) for event in COMMANDS} <= set(cli.list_commands(context))
    for event, spec in COMMANDS.items():
        command = cli.get_command(context, slug(event))
        assert command is not None
        assert (command.help or "").startswith(spec.summary)
        flags = {name for p in command.params for name in p.opts}
        typed = set(COMMAND_BODIES[event].model_fields)  # the contract, less who sends it
        assert typed <= set(spec.contract.model_fields) - {"actor"}
        assert {f"--{f.replace('_', '-')}" for f in typed} <= flags | {"--attendance"}


def test_qi_lists_each_entry_with_its_summary_without_building_it() -> None:
    assert lifecycle_summaries() == {slug(e): spec.summary for e, spec in COMMANDS.items()}


@pytest.mark.parametrize("role", list(Role))
def test_the_permission_table_follows_each_entry(role: Role) -> None:
    for event, spec in COMMANDS.items():
        expected = Reach.all if role is Role.coordinator else spec.also_sent_by.get(role)
        assert PERMISSIONS[role].get(event) == expected
    assert all(f"| {name} |" in permission_table() for name in NAMES)
