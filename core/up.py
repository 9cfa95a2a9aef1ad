"""`qi up`: everything a coordinator needs on one machine, stopped together by Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from core.settings import Settings
from core.stack import EmbeddedTemporal
from worker import run_worker

__all__ = ["run_stack"]

log = logging.getLogger(__name__)


def _stop_on_sigterm() -> None:
    """Treat SIGTERM (`kill`, a service manager) like Ctrl-C: cancel, so cleanup still runs."""
    task = asyncio.current_task()
    # Windows event loops have no signal handlers; there Ctrl-C is the way to stop.
    if task is not None and sys.platform != "win32":
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


async def run_stack(settings: Settings) -> None:
    _stop_on_sigterm()
    if settings.temporal_address:
        print(f"Worker only, against Temporal at {settings.temporal_address} "
              f"(namespace {settings.temporal_namespace}).", flush=True)
        await run_worker(settings)
        return
    data_dir = settings.data_dir.resolve()
    server = EmbeddedTemporal(
        db_file=data_dir / "temporal.sqlite3",
        port=settings.temporal_port,
        ui_port=settings.ui_port,
    )
    try:
        # Inside the try: a stop or a failure while it comes up must not orphan the server.
        await server.start()
        print(
            f"Temporal dev server on {server.address} (data in {server.db_file})\n"
            f"Web UI:      {server.ui_url}/namespaces/{settings.temporal_namespace}/workflows\n"
            f"Read model:  {settings.resolved_database_url}\n"
            f"Drive interventions from another terminal with `.venv/bin/qi --help`.\n"
            f"Ctrl-C stops everything.",
            flush=True,
        )
        await run_worker(settings)
    finally:
        await server.stop()
