"""Settings from the environment (prefix QI_). Nothing is built at import time."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["NotifierKind", "Settings"]


class NotifierKind(StrEnum):
    CONSOLE = "console"
    SMTP = "smtp"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QI_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".qi-data"), description="Where the embedded stack keeps its files")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the read model; default SQLite in data_dir"
    )
    catalogue: Path | None = Field(None, description="TOML merged over the shipped catalogue")

    temporal_address: str | None = Field(
        None, description="host:port of an existing Temporal; unset runs the embedded dev server"
    )
    temporal_namespace: str = "default"
    temporal_tls_ca: Path | None = None
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_api_key: SecretStr | None = None
    task_queue: str = "quality-interventions"
    temporal_port: int = 7233
    ui_port: int = 8233

    quality_lead_email: str | None = Field(
        None, description="Escalations after the owner go here; unset: to the coordinator"
    )
    dean_email: str | None = Field(
        None, description="Last rung of the escalation chain; unset: to the coordinator"
    )

    notifier: NotifierKind = NotifierKind.CONSOLE
    mail_from: str = "quality-team@example.nhs.uk"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'read-model.sqlite3').resolve()}"
