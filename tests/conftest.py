"""Fixtures every test layer shares: Temporal environments from the pinned binaries."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.environments import BIN, sealed, start_time_skipping
from workflows.monitoring import ALL_KEYS

# Every worker a test starts runs without the SDK's deadlock detector (a fixed 2 s per
# activation, measured in wall time). Here two pytest processes, their Temporal servers,
# Chromium and CPU-bound threads such as the API fuzzer's share two cores and one GIL per
# process, so an activation can wait longer than that for the CPU; the detector then
# interrupts the workflow thread wherever it is, once inside a garbage-collector callback,
# where pytest reports it as an unraisable exception. A workflow that truly blocks still
# fails its test, by timing out. Production workers keep the detector.
os.environ.setdefault("TEMPORAL_DEBUG", "1")

_exit_status = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    # The Temporal client runtime can abort the interpreter at shutdown (PyGILState_Release,
    # sdk-python issue 300). Everything is reported by now, so leave with pytest's own status.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (in memory) with the project's search attributes; its client
    seals payloads as production's do."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=sealed(),
        search_attributes=ALL_KEYS,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_time_skipping()
    yield env
    await env.shutdown()
