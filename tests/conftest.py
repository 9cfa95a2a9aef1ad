"""Fixtures every test layer shares: Temporal environments from the pinned binaries."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from workflows.monitoring import ALL_KEYS

BIN = Path(sys.executable).parent
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
    """A real Temporal dev server (in memory) with the project's search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=ALL_KEYS,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


async def register_search_attributes(env: WorkflowEnvironment) -> None:
    """The time-skipping server knows no custom search attributes until told."""
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={key.name: key.indexed_value_type for key in ALL_KEYS},
        )
    )


async def start_time_skipping() -> WorkflowEnvironment:
    """The time-skipping test server: timers fire as soon as nothing else is waiting."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env)
    return env


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_time_skipping()
    yield env
    await env.shutdown()
