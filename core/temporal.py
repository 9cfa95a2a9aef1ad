"""Connecting to Temporal: the embedded dev server, a cluster, or Temporal Cloud."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import TLSConfig

from core.settings import Settings

__all__ = ["connect", "metrics_runtime", "tls_config"]


def tls_config(settings: Settings) -> TLSConfig | bool:
    """TLS from settings; an API key alone (Temporal Cloud) implies TLS with system roots."""
    if not (settings.temporal_tls_cert or settings.temporal_tls_ca or settings.temporal_api_key):
        return False
    if bool(settings.temporal_tls_cert) != bool(settings.temporal_tls_key):
        raise ValueError("QI_TEMPORAL_TLS_CERT and QI_TEMPORAL_TLS_KEY must be set together")
    ca, cert, key = settings.temporal_tls_ca, settings.temporal_tls_cert, settings.temporal_tls_key
    return TLSConfig(
        server_root_ca_cert=ca.read_bytes() if ca else None,
        client_cert=cert.read_bytes() if cert else None,
        client_private_key=key.read_bytes() if key else None,
    )


def metrics_runtime(settings: Settings) -> Runtime | None:
    """A runtime serving the SDK's metrics (`temporal_*`) for Prometheus, when the settings
    name an address; None keeps the SDK's default runtime. Build one per process: it binds
    the port for as long as it lives."""
    if not settings.worker_metrics_address:
        return None
    prometheus = PrometheusConfig(bind_address=settings.worker_metrics_address)
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


async def connect(
    settings: Settings,
    address: str | None = None,
    *,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """A client for the settings' Temporal; `runtime` carries metrics, `interceptors` tracing."""
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    return await Client.connect(
        address or settings.temporal_address or f"127.0.0.1:{settings.temporal_port}",
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        tls=tls_config(settings),
        api_key=api_key,
        runtime=runtime,
        interceptors=interceptors,
    )
