"""Write the data folder an upgrade must carry on from: `python -m tests.upgrade.make_fixture`.

Run it ONLY with the release the archive is named after (`data-<version>.tar.gz`, the version in
pyproject.toml), checked out and installed (`make install`): the point of the archive is that
this release's code wrote it. A later release adds its own archive beside this one rather than
rewriting it.

It starts the embedded stack as `qi up` does on a fresh data folder, starts one intervention
per case below through the client facade and drives each to its state, stops the stack
cleanly, and packs the folder's two SQLite files (Temporal's and the read model; not the dev
server's log) with a manifest of what each intervention needs to be driven on.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tarfile
import tempfile
import tomllib
from datetime import date, timedelta
from pathlib import Path

from core.interventions import Interventions
from models.commands import Event
from models.intervention import State
from tests import scenario
from tests.upgrade.driving import Entry, advance, send, start
from tests.upgrade.stack import embedded_stack

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
TASK_QUEUE = "quality-interventions"  # `qi up`'s default
DATA_FILES = ("temporal.sqlite3", "read-model.sqlite3")

# Every state, then the cases within a state that drive on differently.
CASES: dict[str, State] = {
    **{state.value: state for state in State if state is not State.cancelled},
    "cancelled": State.panel_convened,
    "paused": State.actions_tracked,
    "escalated": State.report_issued,
    "meeting_booked": State.panel_convened,
}


def release() -> str:
    with (REPO / "pyproject.toml").open("rb") as file:
        version: str = tomllib.load(file)["project"]["version"]
    return version


async def _finish(service: Interventions, entry: Entry, today: date) -> None:
    """What the case adds on top of reaching its state."""
    actor = {"actor": scenario.COORDINATOR}
    if entry.label == "cancelled":
        await send(service, entry, Event.cancel,
                   {**actor, "reason": "Concern resolved by the provider"}, State.cancelled)
    elif entry.label == "paused":
        await send(service, entry, Event.pause_clock,
                   {**actor, "reason": "Provider placed in special measures"}, entry.state)
        entry.paused = True
    elif entry.label == "escalated":
        await send(service, entry, Event.escalate,
                   {**actor, "level": "dean", "reason": "No response from the provider"},
                   entry.state)
        entry.escalated = True
    elif entry.label == "meeting_booked":
        booked_on = (today + timedelta(days=14)).isoformat()
        await send(service, entry, Event.schedule_meeting,
                   {**actor, "scheduled_on": booked_on, "format": "virtual"}, entry.state)
        entry.booked_meeting_ids.append("M1")


async def _make_one(service: Interventions, label: str, state: State, today: date) -> Entry:
    entry = await advance(service, await start(service, label), state, today)
    await _finish(service, entry, today)
    if entry.state.terminal:
        await service.client.get_workflow_handle(entry.intervention_id).result()
    return entry


def _pack(data_dir: Path, archive: Path) -> None:
    found = sorted(p.name for p in data_dir.iterdir())
    # A clean stop leaves no write-ahead log to carry.
    assert not [n for n in found if n.endswith(("-wal", "-shm", "-journal"))], found
    with tarfile.open(archive, "w:gz", compresslevel=9) as tar:
        for name in DATA_FILES:
            tar.add(data_dir / name, arcname=name)


async def make() -> Path:
    version = release()
    archive = FIXTURES / f"data-{version}.tar.gz"
    if archive.exists():
        raise SystemExit(f"{archive.name} exists: an archive a release wrote is never rewritten")
    today = scenario.today()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        async with embedded_stack(data_dir, TASK_QUEUE) as stack:
            entries = await stack.run(asyncio.gather(
                *[_make_one(stack.service, label, state, today) for label, state in CASES.items()]
            ))
        _pack(data_dir, archive)
    manifest = {
        "release": version,
        "made_on": today.isoformat(),
        "task_queue": TASK_QUEUE,
        "files": list(DATA_FILES),
        "interventions": [e.model_dump(mode="json") for e in entries],
    }
    archive.with_suffix("").with_suffix(".json").write_text(
        json.dumps(manifest, indent=2) + "\n", encoding="utf-8"
    )
    return archive


if __name__ == "__main__":
    print(asyncio.run(make()))
    sys.stdout.flush()
    os._exit(0)  # the Temporal runtime can abort the interpreter at exit (sdk-python issue 300)
