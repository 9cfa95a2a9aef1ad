"""The official `temporal` CLI, run as anyone who reaches the Temporal port could run it."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from typing import Any

from temporalio.api.common.v1 import Payload

from tests.environments import BIN

__all__ = ["Ran", "history_events", "payload_input", "temporal"]


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def temporal(address: str, *args: str) -> Ran:
    """Run the CLI against `address` without blocking the event loop (the worker under test
    shares it). No codec endpoint: it sees what is stored, as it is stored."""
    process = await asyncio.create_subprocess_exec(
        str(BIN / "temporal"), *args, "--address", address,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


async def history_events(address: str, workflow_id: str) -> list[dict[str, Any]]:
    """`temporal workflow show --output json`: every event in the workflow's history."""
    shown = await temporal(address, "workflow", "show", "-w", workflow_id, "--output", "json")
    assert shown.returncode == 0, shown.stderr
    events: list[dict[str, Any]] = json.loads(shown.stdout)["events"]
    return events


def payload_input(payload: Payload) -> list[str]:
    """The CLI's options that send `payload` exactly: its metadata, and its data (JSON as it
    is, which the CLI checks; anything else in base64)."""
    metadata = [f"--input-meta={key}={value.decode()}" for key, value in payload.metadata.items()]
    if payload.metadata.get("encoding") == b"json/plain":
        return [*metadata, "--input", payload.data.decode()]
    return [*metadata, "--input-base64", "--input", base64.b64encode(payload.data).decode()]
