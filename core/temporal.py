"""Connecting to Temporal: the embedded dev server, a cluster, or Temporal Cloud.

Where and how to connect comes from the SDK's client configuration (`temporalio.envconfig`):
a profile from a TOML file, overridden by TEMPORAL_* environment variables. The QI_TEMPORAL_*
settings (address, namespace, and the TLS client certificate, key, server CA and server name),
which a `.env` file can also set, override both. With no address from any of them, the target
is the embedded dev server that `qi up` runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

from temporalio.client import Client, Interceptor
from temporalio.converter import DataConverter
from temporalio.envconfig import ClientConfigProfile, ClientConfigTLS, ClientConnectConfig
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from core.codec import sealing_converter
from core.keys import KeyFile, KeyRing, KeysUnavailable, create_key_file, read_keys
from core.settings import Settings
from models.errors import ErrorType, Problem, ProblemError

__all__ = [
    "TemporalTlsUnavailable", "client_config", "connect", "data_converter", "key_file", "keys",
    "metrics_runtime", "uses_embedded_server"]

# Each TLS file of the SDK's profile: our setting over it, and the SDK's own names for it.
_TLS_FILES = {
    "client_cert": ("temporal_tls_client_cert",
                    "TEMPORAL_TLS_CLIENT_CERT_PATH (or the profile's tls.client_cert_path)"),
    "client_private_key": ("temporal_tls_client_key",
                           "TEMPORAL_TLS_CLIENT_KEY_PATH (or the profile's tls.client_key_path)"),
    "server_root_ca_cert": ("temporal_tls_server_ca_cert", "TEMPORAL_TLS_SERVER_CA_CERT_PATH "
                            "(or the profile's tls.server_ca_cert_path)"),
}


class TemporalTlsUnavailable(ProblemError):
    """A TLS file the connection needs is missing or unreadable, or a client certificate
    comes without its key: one line naming the setting, and nothing connects."""

    def __init__(self, setting: str, rule: str) -> None:
        super().__init__([Problem(field=setting, rule=rule)], ErrorType.INVALID_INPUT)


def _ours(settings: Settings, field: str) -> Path | None:
    path: Path | None = getattr(settings, _TLS_FILES[field][0])
    return path


def _setting_of(settings: Settings, field: str) -> str:
    """The name of the setting a TLS file came from: ours when set, else the SDK's."""
    ours, sdk = _TLS_FILES[field]
    return f"QI_{ours.upper()}" if _ours(settings, field) else sdk


def _tls(settings: Settings, loaded: ClientConfigTLS | None) -> ClientConfigTLS | None:
    """The SDK's TLS with each QI_TEMPORAL_TLS_* setting that is set over its counterpart."""
    if settings.temporal_tls_server_name is None and not any(
            _ours(settings, field) for field in _TLS_FILES):
        return loaded
    base = loaded or ClientConfigTLS()
    return ClientConfigTLS(
        disabled=False,
        server_name=settings.temporal_tls_server_name or base.server_name,
        server_root_ca_cert=_ours(settings, "server_root_ca_cert") or base.server_root_ca_cert,
        client_cert=_ours(settings, "client_cert") or base.client_cert,
        client_private_key=_ours(settings, "client_private_key") or base.client_private_key,
    )


def _connect_tls(settings: Settings, loaded: ClientConfigProfile) -> ClientConnectConfig:
    """The profile as `Client.connect` arguments, the TLS files read; a client certificate
    without its key, or a file that cannot be read, is one line naming the setting."""
    tls = _tls(settings, loaded.tls)
    if tls is not None and (tls.client_cert is None) != (tls.client_private_key is None):
        have, missing = ("client_cert", "client_private_key")
        if tls.client_cert is None:
            have, missing = missing, have
        # The missing one is named as the present one was: ours, or the SDK's.
        ours, sdk = _TLS_FILES[missing]
        unset = f"QI_{ours.upper()}" if _ours(settings, have) else sdk
        raise TemporalTlsUnavailable(
            unset, f"not set, while {_setting_of(settings, have)} is; a client certificate "
            "needs its key")
    try:
        return dataclasses.replace(loaded, tls=tls).to_client_connect_config()
    except OSError as exc:  # the SDK reads the files here
        fields = [f for f in _TLS_FILES if str(getattr(tls, f, None)) == str(exc.filename)]
        setting = _setting_of(settings, fields[0]) if fields else "TLS file"
        rule = "no such file" if isinstance(exc, FileNotFoundError) else \
            f"cannot be read ({exc.strerror})"
        raise TemporalTlsUnavailable(f"{setting} {exc.filename}", rule) from None


def _profile(settings: Settings, environ: Mapping[str, str] | None) -> ClientConnectConfig:
    # TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE and the other TEMPORAL_* variables are the SDK's;
    # `environ` stands in for the process environment (None: the real one).
    profile = _connect_tls(settings, ClientConfigProfile.load(override_env_vars=environ))
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
