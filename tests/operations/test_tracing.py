"""Tracing is off by default; an OTLP endpoint adds the SDK's tracing interceptor."""

from __future__ import annotations

import sys

import pytest
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from core.temporal import connect
from core.tracing import tracing_interceptors

ENDPOINT = "http://127.0.0.1:4318/v1/traces"


def test_no_endpoint_no_interceptor() -> None:
    with tracing_interceptors(Settings(_env_file=None, otel_endpoint=None)) as interceptors:
        assert interceptors == []


def test_an_endpoint_adds_the_tracing_interceptor() -> None:
    with tracing_interceptors(Settings(_env_file=None, otel_endpoint=ENDPOINT)) as interceptors:
        [interceptor] = interceptors
        assert isinstance(interceptor, TracingInterceptor)


async def test_a_client_connected_with_it_passes_it_to_its_workers(
    dev_env: WorkflowEnvironment,
) -> None:
    settings = Settings(_env_file=None, otel_endpoint=ENDPOINT)
    address = dev_env.client.service_client.config.target_host

    with tracing_interceptors(settings) as interceptors:
        client = await connect(settings, address, interceptors=interceptors)

    # Workers take the client's interceptors that are worker interceptors too.
    assert list(client.config()["interceptors"]) == interceptors


def test_an_endpoint_without_the_extra_installed_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)  # import fails

    with (
        pytest.raises(RuntimeError, match=r"\[otel\] extra"),
        tracing_interceptors(Settings(_env_file=None, otel_endpoint=ENDPOINT)),
    ):
        pass
