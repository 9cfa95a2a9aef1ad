"""Liveness and readiness of a process serving interventions, for the API's probes.

Liveness (`/healthz`) needs no dependency: a process that answers is alive, and restarting it
because the database is away would not bring the database back. Readiness (`/readyz`) says
whether it can do its work now: the read model answers at the newest schema, and Temporal
answers. Details name what failed, never a URL or credentials.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pydantic import BaseModel
from sqlalchemy import Engine
from temporalio.client import Client

from core.database import schema_is_current

__all__ = ["Check", "Readiness", "check_read_model", "readiness"]


class Check(BaseModel):
    name: str
    ok: bool
    detail: str | None = None


class Readiness(BaseModel):
    ready: bool
    checks: list[Check]


def check_read_model(engine: Engine) -> Check:
    """Whether the read model answers at the newest migration (blocks on the driver)."""
    try:
        current = schema_is_current(engine)
    except Exception as exc:  # any failure to answer is "not ready", reported by its kind
        return Check(name="read_model", ok=False, detail=f"unreachable ({type(exc).__name__})")
    if not current:
        return Check(name="read_model", ok=False, detail="schema not migrated (run qi migrate)")
    return Check(name="read_model", ok=True)


async def _read_model(engine: Engine, seconds: float) -> Check:
    # The database driver blocks; keep it off the event loop.
    try:
        return await asyncio.wait_for(asyncio.to_thread(check_read_model, engine), seconds)
    except TimeoutError:
        return Check(name="read_model", ok=False, detail=f"no answer in {seconds:g} s")


async def _temporal(client: Client, seconds: float) -> Check:
    try:
        serving = await client.service_client.check_health(timeout=timedelta(seconds=seconds))
    except Exception as exc:  # any failure to answer is "not ready", reported by its kind
        return Check(name="temporal", ok=False, detail=f"unreachable ({type(exc).__name__})")
    return Check(name="temporal", ok=serving, detail=None if serving else "not serving")


async def readiness(engine: Engine, client: Client, *, check_seconds: float = 3.0) -> Readiness:
    """Both checks at once, each given up to `check_seconds`."""
    database, temporal = await asyncio.gather(
        _read_model(engine, check_seconds), _temporal(client, check_seconds)
    )
    return Readiness(ready=database.ok and temporal.ok, checks=[database, temporal])
