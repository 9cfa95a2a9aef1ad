"""Temporal environments from the pinned binaries, for tests and benchmarks alike."""

from __future__ import annotations

import sys
import tempfile
from functools import cache
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from core.codec import sealing_converter
from core.keys import create_key_file, read_keys
from workflows.monitoring import ALL_KEYS

BIN = Path(sys.executable).parent


@cache
def key_file() -> Path:
    """This process's key file (QI_KEYS_FILE for the settings of tests that connect), made once
    in a folder of its own."""
    path = Path(tempfile.mkdtemp(prefix="qi-test-keys-")) / "keys.json"
    create_key_file(path)
    return path


def sealed() -> DataConverter:
    """The converter production uses (`core.temporal.data_converter`), with this process's keys:
    every environment's client seals, as every client the project makes does."""
    return sealing_converter(read_keys(key_file()))


async def register_search_attributes(env: WorkflowEnvironment) -> None:
    """The time-skipping server knows no custom search attributes until told."""
    attributes = {key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in ALL_KEYS}
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(namespace=env.client.namespace, search_attributes=attributes)
    )


async def start_time_skipping(converter: DataConverter | None = None) -> WorkflowEnvironment:
    """The time-skipping test server: timers fire as soon as nothing else is waiting. Its
    client seals unless given another `converter`."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=converter or sealed(),
    )
    await register_search_attributes(env)
    return env
