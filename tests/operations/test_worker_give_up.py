"""A Temporal worker whose shutdown never finishes does not hold its process forever."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from activities.delivery import Courier
from core.database import make_engine, migrate
from tests.fakes import RecordingNotifier
from worker import InterventionWorker


class _NeverStops:
    """Stands in for the SDK's worker: starts, and then never finishes shutting down."""

    def __init__(self) -> None:
        self.stopping = asyncio.Event()

    async def __aenter__(self) -> _NeverStops:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stopping.set()
        await asyncio.Event().wait()


async def test_a_stuck_shutdown_is_given_up_on_and_delivery_stops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'read-model.sqlite3'}")
    migrate(engine)
    courier = Courier(engine, RecordingNotifier(), sender="qt@example.nhs.uk",
                      poll=timedelta(milliseconds=20))
    stuck = _NeverStops()
    worker = InterventionWorker(stuck, courier, give_up_after=timedelta(milliseconds=200))  # type: ignore[arg-type]
    try:
        async with asyncio.timeout(10):  # far above the 0.2 s it is given
            async with worker:
                pass
    finally:
        engine.dispose()

    assert stuck.stopping.is_set()
    assert worker._delivery is not None
    assert worker._delivery.done()  # the delivery loop stopped too
    assert any("had not shut down" in r.getMessage() for r in caplog.records
               if r.levelno == logging.ERROR)
