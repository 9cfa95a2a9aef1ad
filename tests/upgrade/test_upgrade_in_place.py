"""A data folder written by an earlier release carries on under the code checked out.

The archive (made by tests/upgrade/make_fixture.py with the release it is named after) holds
interventions in every state, one paused, one escalated and one with a meeting booked, all
started before payloads were sealed. The embedded stack starts on it as `qi up` does; every
intervention is still there in its state, every open one refuses a command forged at the
Temporal port (leaving no event), and is driven to closed through the facade.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.read_model import list_interventions
from models.commands import Command
from models.intervention import State
from models.sealing import Unsealed, refusal
from tests import scenario
from tests.history import idle
from tests.temporal_cli import history_events, temporal
from tests.upgrade.driving import Entry, close_all
from tests.upgrade.stack import Stack, embedded_stack

FIXTURES = Path(__file__).parent / "fixtures"
RELEASES = sorted(p.name.removeprefix("data-").removesuffix(".tar.gz")
                  for p in FIXTURES.glob("data-*.tar.gz"))


def _manifest(release: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(
        (FIXTURES / f"data-{release}.json").read_text(encoding="utf-8")
    )
    return loaded


def _entries(release: str) -> list[Entry]:
    rows = _manifest(release)["interventions"]
    assert isinstance(rows, list)
    return [Entry.model_validate(row) for row in rows]


@dataclass
class Upgraded:
    """The stack of the code checked out, on a data folder an earlier release wrote."""

    stack: Stack
    entries: list[Entry]


@pytest.fixture(params=RELEASES)
async def upgraded(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Upgraded]:
    release: str = request.param
    data_dir = tmp_path / "data"
    with tarfile.open(FIXTURES / f"data-{release}.tar.gz") as tar:
        tar.extractall(data_dir, filter="data")
    task_queue = _manifest(release)["task_queue"]
    assert isinstance(task_queue, str)
    async with embedded_stack(data_dir, task_queue) as stack:
        yield Upgraded(stack, _entries(release))


def test_an_archive_of_this_release_is_committed() -> None:
    assert "0.1.0" in RELEASES
    states = {e.state for e in _entries("0.1.0")}
    assert states == set(State), "the archive should hold an intervention in every state"
    labels = {e.label for e in _entries("0.1.0")}
    assert {"paused", "escalated", "meeting_booked"} <= labels


async def _forged_commands_are_refused(stack: Stack, entries: list[Entry]) -> None:
    address = f"127.0.0.1:{stack.settings.temporal_port}"
    forged = json.dumps({"actor": "dean.forged", "level": "dean", "reason": "Forged by hand"})
    for entry in entries:
        await idle(stack.client, entry.intervention_id)
        before = await history_events(address, entry.intervention_id)
        sent = await temporal(address, "workflow", "update", "execute", "-w",
                              entry.intervention_id, "--name", "escalate", "--input", forged)
        assert refusal(Command, Unsealed.not_sealed) in sent.stderr, (entry.label, sent.stderr)
        assert await history_events(address, entry.intervention_id) == before, entry.label


@pytest.mark.timeout(60)
async def test_interventions_carry_on_after_an_upgrade_in_place(upgraded: Upgraded) -> None:
    stack, entries = upgraded.stack, upgraded.entries
    listed = {row.id: row for row in list_interventions(stack.engine, limit=500)}
    assert {e.intervention_id for e in entries} <= set(listed)
    for entry in entries:
        assert listed[entry.intervention_id].state is entry.state, entry.label
        assert listed[entry.intervention_id].escalated is entry.escalated, entry.label

    # Temporal forgets a finished workflow a day after it ends (the dev server's retention),
    # so closed and cancelled ones live on in the read model only; open ones answer from their
    # workflow, whose history replays on this code.
    open_ones = [e for e in entries if not e.state.terminal]
    for entry in open_ones:
        status = await stack.service.status(entry.intervention_id)
        assert status.data.state is entry.state, entry.label
        assert (status.data.paused_since is not None) is entry.paused, entry.label

    # Started before sealing, each refuses a command forged at the Temporal port as a new one
    # does, and takes the service's sealed commands.
    await stack.run(_forged_commands_are_refused(stack, open_ones))
    today = scenario.today()
    await stack.run(close_all(stack.service, open_ones, today))

    for entry in open_ones:
        await stack.client.get_workflow_handle(entry.intervention_id).result()
        final = await stack.service.status(entry.intervention_id)
        assert final.data.state is State.closed, entry.label
    listed = {row.id: row for row in list_interventions(stack.engine, limit=500)}
    for entry in entries:
        expected = entry.state if entry.state.terminal else State.closed
        assert listed[entry.intervention_id].state is expected, entry.label
