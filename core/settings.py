"""Settings from the environment (prefix QI_). Nothing is built at import time."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["GRACEFUL_SHUTDOWN_SECONDS", "LogFormat", "NotifierKind", "Settings"]


class NotifierKind(StrEnum):
    CONSOLE = "console"
    SMTP = "smtp"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


# How long a stopping worker lets its running activities finish: below the 30 s a container
# platform usually waits between SIGTERM and SIGKILL.
GRACEFUL_SHUTDOWN_SECONDS = 25.0

# A port number, so an impossible one is a settings error naming it, not a failure to bind.
Port = Annotated[int, Field(ge=1, le=65535)]


def _readable_file(path: Path) -> Path:
    # Checked when the settings load, so a wrong path is one line naming the setting, not a
    # failed handshake later.
    if not path.exists():
        raise PydanticCustomError("no_such_file", "no such file")
    if not path.is_file():
        raise PydanticCustomError("not_a_file", "is not a file")
    if not os.access(path, os.R_OK):
        raise PydanticCustomError("unreadable_file", "cannot be read by this process")
    return path


# A file this process must be able to read: a certificate, a private key.
ReadableFile = Annotated[Path, AfterValidator(_readable_file)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QI_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".qi-data"), description="Where the embedded stack keeps its files")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the read model; default SQLite in data_dir"
    )
    catalogue: Path | None = Field(None, description="TOML merged over the shipped catalogue")

    # Connection settings are the Temporal SDK's (TEMPORAL_* variables, a TOML profile): see
    # core/temporal.py. These two override them, and a `.env` file can hold them.
    temporal_address: str | None = Field(
        None, description="host:port of an existing Temporal; unset: the SDK's, else embedded"
    )
    temporal_namespace: str | None = Field(
        None, description="Namespace; unset: the SDK's (TEMPORAL_NAMESPACE), else default"
    )
    # TLS to Temporal (mutual with a client certificate), each overriding its TEMPORAL_TLS_*
    # counterpart of the SDK's configuration; core/temporal.py merges them.
    temporal_tls_client_cert: ReadableFile | None = Field(
        None, description="PEM certificate this process presents to Temporal (mTLS), with "
        "QI_TEMPORAL_TLS_CLIENT_KEY; unset: the SDK's TEMPORAL_TLS_CLIENT_CERT_PATH"
    )
    temporal_tls_client_key: ReadableFile | None = Field(
        None, description="PEM private key of QI_TEMPORAL_TLS_CLIENT_CERT"
    )
    temporal_tls_server_ca_cert: ReadableFile | None = Field(
        None, description="PEM CA the Temporal frontend's certificate must chain to; unset: "
        "the SDK's TEMPORAL_TLS_SERVER_CA_CERT_PATH, else the system's roots"
    )
    temporal_tls_server_name: str | None = Field(
        None, description="Name the frontend's certificate must carry, when not the address's "
        "host"
    )
    keys_file: Path | None = Field(
        None, description="Key file (or mounted secret) sealing payloads; unset: embedded only, "
        "data_dir/keys.json, made on first use"
    )
    task_queue: str = "quality-interventions"
    temporal_port: Port = 7233
    ui_port: Port = 8233

    api_host: str = Field("127.0.0.1", description="Interface the HTTP API listens on")
    api_port: Port = Field(8000, description="Port of the HTTP API")
    ui_origin: str | None = Field(
        None, description="The Web UI's origin, the only one the codec server answers (CORS); "
        "unset: http://127.0.0.1:QI_UI_PORT, the same site as the API's pages"
    )
    api_max_body_bytes: int = Field(
        64 * 1024, gt=0, description="Larger request bodies are refused (413) before parsing"
    )
    # Signing in to the pages (api/pages): a browser's session ends after this long without a
    # request, and this long after signing in, whichever comes first.
    session_idle_minutes: int = Field(
        30, ge=1, le=24 * 60, description="A session ends after this many minutes unused"
    )
    session_lifetime_hours: int = Field(
        12, ge=1, le=7 * 24, description="A session ends this many hours after signing in"
    )
    # The names the API answers to: a request whose Host is another gets 400. A comma-separated
    # list; `*.example.org` matches any subdomain, `*` any host (no check).
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        ["127.0.0.1", "localhost", "::1"],
        description="Host names the HTTP API answers to, comma-separated",
    )
    # Proxies whose X-Forwarded-For names the client (for the throttle and the logs); none by
    # default, so no one on this machine can pose as another client address.
    api_trusted_proxies: Annotated[list[str], NoDecode] = Field(
        [], description="Addresses of proxies in front of the HTTP API, comma-separated")
    token_lifetime_days: int = Field(
        90, ge=1, le=3650, description="How long a token from qi tokens issue or rotate works"
    )
    # Failed authentication is throttled per client address, in each API process's memory.
    auth_failure_limit: int = Field(
        10, ge=1, description="Failed authentications from one client before it gets 429"
    )
    auth_failure_window_seconds: float = Field(
        60.0, gt=0, description="How long a failed authentication counts against its client"
    )
    auth_failure_max_clients: int = Field(
        10_000, ge=1, description="Clients whose failures one API process keeps track of"
    )

    quality_lead_email: str | None = Field(
        None, description="Escalations after the owner go here; unset: to the coordinator"
    )
    dean_email: str | None = Field(
        None, description="Last rung of the escalation chain; unset: to the coordinator"
    )

    notifier: NotifierKind = NotifierKind.CONSOLE
    mail_from: str = "quality-team@example.nhs.uk"
    smtp_host: str = "localhost"
    smtp_port: Port = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    # The outbox's delivery loop (activities/delivery.py).
    delivery_first_pause_seconds: float = Field(
        30.0, gt=0, description="Pause before a failed message's second attempt; doubles, to 1 h"
    )
    delivery_lease_seconds: float = Field(
        300.0, gt=0,
        description="How long a worker may hold a message it is sending before another takes it",
    )
    delivery_poll_seconds: float = Field(
        2.0, gt=0, description="How often the outbox is read when nothing nudges it"
    )

    # How often each worker compares the read model's open interventions with Temporal, to
    # notice what was done to them there, outside the service (activities/outside.py).
    outside_sweep_seconds: float = Field(
        60.0, gt=0, description="How often a worker looks for interventions terminated, "
        "cancelled, timed out or reset in Temporal, outside the service"
    )

    # Worker tuning. Sync activities run on a thread pool of this size, each holding a database
    # connection, so it stays within the engine's pool (5 + 10 overflow) by default.
    max_concurrent_activities: int = Field(
        8, ge=1, description="Activities one worker runs at once"
    )
    # One slot stalls the worker: its sticky and its shared queue poller each hold one.
    max_concurrent_workflow_tasks: int = Field(
        100, ge=2, description="Workflow tasks one worker runs at once"
    )
    max_cached_workflows: int = Field(
        1000, ge=0, description="Workflows kept in memory between tasks; 0 turns off stickiness"
    )
    graceful_shutdown_seconds: float = Field(
        GRACEFUL_SHUTDOWN_SECONDS, ge=0,
        description="After SIGTERM, how long running activities get to finish",
    )
    worker_metrics_address: str | None = Field(
        None, description="host:port of the worker's Prometheus endpoint (SDK metrics); unset: off"
    )

    log_format: LogFormat = Field(LogFormat.TEXT, description="text, or json: one object a line")
    log_level: str | None = Field(
        None, description="DEBUG, INFO, WARNING or ERROR; unset: INFO for the worker, WARNING else"
    )
    otel_endpoint: str | None = Field(
        None, description="OTLP/HTTP traces URL (needs the [otel] extra); unset: no tracing"
    )

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str | None) -> str | None:
        if value is None:
            return None
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("api_trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list):
            hosts = [str(host).strip().lower() for host in value if str(host).strip()]
            if not hosts:
                raise ValueError("must name at least one host, e.g. 127.0.0.1,localhost")
            return hosts
        return value

    @field_validator("worker_metrics_address")
    @classmethod
    def _host_and_port(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError("must be host:port, e.g. 0.0.0.0:9464")
        return value

    @property
    def resolved_ui_origin(self) -> str:
        return (self.ui_origin or f"http://127.0.0.1:{self.ui_port}").rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'read-model.sqlite3').resolve()}"
