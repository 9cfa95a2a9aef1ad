"""Optional OpenTelemetry tracing of workflows and activities, exported over OTLP/HTTP.

Off unless QI_OTEL_ENDPOINT is set. The OpenTelemetry packages are the `[otel]` extra and are
imported only when tracing is on, so the default install stays lean. Spans carry Temporal's
names and IDs (workflow type and ID, activity type), never payloads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from temporalio.client import Interceptor

from core.settings import Settings

__all__ = ["SERVICE_NAME", "tracing_interceptors"]

SERVICE_NAME = "quality-interventions"
_EXPORT_TIMEOUT_SECONDS = 5


def _traced(endpoint: str) -> tuple[Any, Interceptor]:
    """A tracer provider exporting to `endpoint`, and the interceptor that uses it."""
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from temporalio.contrib.opentelemetry import TracingInterceptor
    except ImportError as exc:
        raise RuntimeError(
            "QI_OTEL_ENDPOINT is set but OpenTelemetry is not installed; "
            "install the project with its [otel] extra"
        ) from exc
    # A provider of our own rather than the global one: nothing else in the process is touched.
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    # A short export timeout bounds the flush at shutdown when the collector is down, so a
    # stopping worker stays inside the platform's grace period.
    exporter = OTLPSpanExporter(endpoint=endpoint, timeout=_EXPORT_TIMEOUT_SECONDS)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider, TracingInterceptor(provider.get_tracer(SERVICE_NAME))


@contextmanager
def tracing_interceptors(settings: Settings) -> Iterator[list[Interceptor]]:
    """The client interceptors tracing needs (none when off); spans are flushed on exit.

    Give them to `connect(..., interceptors=...)`: a worker built on that client traces too."""
    if not settings.otel_endpoint:
        yield []
        return
    provider, interceptor = _traced(settings.otel_endpoint)
    try:
        yield [interceptor]
    finally:
        provider.shutdown()
