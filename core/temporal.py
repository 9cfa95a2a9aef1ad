"""Connecting to Temporal: the embedded dev server, a cluster, or Temporal Cloud.

Where and how to connect comes from the SDK's client configuration (`temporalio.envconfig`):
a profile from a TOML file, overridden by TEMPORAL_* environment variables. QI_TEMPORAL_ADDRESS
and QI_TEMPORAL_NAMESPACE, which a `.env` file can also set, override both. With no address
from any of them, the target is the embedded dev server that `qi up` runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from temporalio.client import Client, Interceptor
from temporalio.converter import DataConverter
from temporalio.envconfig import ClientConfigProfile, ClientConnectConfig
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from core.codec import sealing_converter
from core.keys import KeyFile, KeyRing, KeysUnavailable, create_key_file, read_keys
from core.settings import Settings

__all__ = [
    "client_config", "connect", "data_converter", "key_file", "keys", "metrics_runtime",
    "uses_embedded_server"]


def _profile(settings: Settings, environ: Mapping[str, str] | None) -> ClientConnectConfig:
    # TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE and the other TEMPORAL_* variables are the SDK's;
    # `environ` stands in for the process environment (None: the real one).
    profile = ClientConfigProfile.load(override_env_vars=environ).to_client_connect_config()
    if settings.temporal_address:
        profile["target_host"] = settings.temporal_address
    if settings.temporal_namespace:
        profile["namespace"] = settings.temporal_namespace
    return profile


def uses_embedded_server(settings: Settings, environ: Mapping[str, str] | None = None) -> bool:
    """No address anywhere: the target is the dev server `qi up` runs on this machine."""
    return "target_host" not in _profile(settings, environ)


def client_config(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> ClientConnectConfig:
    """Keyword arguments for `Client.connect`: target, namespace and any TLS, API key or gRPC
    metadata. The embedded server speaks plain gRPC, so it gets only the namespace."""
    config = _profile(settings, environ)
    config.setdefault("namespace", "default")
    if "target_host" not in config:
        return {"target_host": f"127.0.0.1:{settings.temporal_port}",
                "namespace": config["namespace"]}
    return config


def metrics_runtime(settings: Settings) -> Runtime | None:
    """A runtime serving the SDK's metrics (`temporal_*`) for Prometheus, when the settings
    name an address; None keeps the SDK's default runtime. Build one per process: it binds
    the port for as long as it lives."""
    if not settings.worker_metrics_address:
        return None
    prometheus = PrometheusConfig(bind_address=settings.worker_metrics_address)
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


def key_file(settings: Settings, environ: Mapping[str, str] | None = None) -> Path:
    """QI_KEYS_FILE; unset, the embedded stack's own in the data folder. Any other Temporal
    needs it named: its histories outlive this machine's data folder."""
    if settings.keys_file:
        return settings.keys_file
    default = settings.data_dir / "keys.json"
    if not uses_embedded_server(settings, environ):
        raise KeysUnavailable(default, "QI_KEYS_FILE is not set: name the key file (or mounted "
                              "secret) that seals this Temporal's payloads")
    return default


def keys(settings: Settings) -> KeyRing:
    """The key ring the settings name; the embedded stack makes its own on first use."""
    path = key_file(settings)
    if not settings.keys_file:
        create_key_file(path)
    return read_keys(path)


def data_converter(settings: Settings) -> DataConverter:
    """The converter of every client and worker: pydantic models as JSON, every payload
    sealed with the settings' keys (`core.codec`), the key file read again whenever it
    changes (a key added by a rotation, or one taken out)."""
    keys(settings)  # the embedded stack's file is made on first use
    source = KeyFile(key_file(settings))
    return sealing_converter(source.ring(), reload=source.ring)


async def connect(
    settings: Settings,
    address: str | None = None,
    *,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """A client for the settings' Temporal; `runtime` carries metrics, `interceptors` tracing."""
    config = client_config(settings)
    if address:
        config["target_host"] = address
    return await Client.connect(
        **config,
        data_converter=data_converter(settings),
        runtime=runtime,
        interceptors=interceptors,
    )
