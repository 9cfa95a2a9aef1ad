"""Temporal environments from the pinned binaries, for tests and benchmarks alike."""

from __future__ import annotations

import sys
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from workflows.monitoring import ALL_KEYS

BIN = Path(sys.executable).parent


async def register_search_attributes(env: WorkflowEnvironment) -> None:
    """The time-skipping server knows no custom search attributes until told."""
    attributes = {key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in ALL_KEYS}
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(namespace=env.client.namespace, search_attributes=attributes)
    )


async def start_time_skipping() -> WorkflowEnvironment:
    """The time-skipping test server: timers fire as soon as nothing else is waiting."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env)
    return env
