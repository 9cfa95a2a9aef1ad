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
from workflows.monitoring import READ_MODEL_BEHIND

__all__ = [
    "Check",
    "Lag",
    "Readiness",
    "check_read_model",
    "lag_or_none",
    "read_model_lag",
    "readiness",
]


class Check(BaseModel):
    name: str
    ok: bool
    detail: str | None = None


class Lag(BaseModel):
    """How far the read model is behind: audit entries not yet recorded, and of how many
    running interventions (those whose recording has been held up past their patience)."""

    interventions: int
    entries: int


class Readiness(BaseModel):
    ready: bool
    checks: list[Check]
    # None when Temporal could not say; lag does not make a process unready (it still serves).
    read_model_lag: Lag | None = None


_LAGGING = f"{READ_MODEL_BEHIND.name} > 0 AND ExecutionStatus = 'Running'"


async def read_model_lag(client: Client, *, limit: int = 10_000) -> Lag:
    """Sum the lag the interventions report in their search attributes (Temporal's
    visibility store, so this works while the read model's database is down)."""
    interventions = entries = 0
    async for execution in client.list_workflows(_LAGGING, limit=limit):
        interventions += 1
        entries += execution.typed_search_attributes.get(READ_MODEL_BEHIND) or 0
    return Lag(interventions=interventions, entries=entries)


async def lag_or_none(client: Client, seconds: float = 3.0) -> Lag | None:
    try:
        return await asyncio.wait_for(read_model_lag(client), seconds)
    except Exception:  # Temporal unreachable or slow: its own check says so
        return None


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
    """Both checks, and the read model's lag, at once, each given up to `check_seconds`."""
    database, temporal, lag = await asyncio.gather(
        _read_model(engine, check_seconds), _temporal(client, check_seconds),
        lag_or_none(client, check_seconds),
    )
    return Readiness(
        ready=database.ok and temporal.ok, checks=[database, temporal], read_model_lag=lag
    )
