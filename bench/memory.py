"""RSS of one worker process holding N open workflows in its cache, and how fast N start."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bench.holder import keys_in
from bench.subjects import Subject
from bench.timing import start_rate

__all__ = ["Holding", "hold", "rss_bytes"]

_STARTERS = 20
# After the last start, time for the worker to finish its tasks and the heap to settle.
_SETTLE_SECONDS = 5.0


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@contextlib.asynccontextmanager
async def _holder(kind: str, address: str, task_queue: str, cache: int,
                  database: Path) -> AsyncIterator[int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.holder", kind, address, task_queue, str(cache), str(database),
        str(keys_in(database.parent)),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 120)
        if line.strip() != b"ready":
            raise RuntimeError(f"the {kind} worker did not start (exit {await process.wait()})")
        yield process.pid
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


@dataclass(frozen=True)
class Holding:
    """What one holder measured: RSS idle and holding `count`, and the start rate."""

    idle: int
    loaded: int
    count: int
    rate: float

    def as_json(self) -> dict[str, float | int]:
        return {
            "rss_idle_bytes": self.idle,
            "rss_bytes": self.loaded,
            "rss_per_open_bytes": round((self.loaded - self.idle) / self.count),
            "start_rate_per_s": round(self.rate, 2),
        }

    def extrapolated(self, count: int) -> int:
        return round(self.idle + (self.loaded - self.idle) * count / self.count)


async def hold(subject: Subject, *, kind: str, address: str, task_queue: str, count: int,
               workdir: Path) -> Holding:
    """Start `count` instances on a fresh worker process whose cache holds them all."""
    database = workdir / f"holder-{kind}.sqlite3"
    async with _holder(kind, address, task_queue, count, database) as pid:
        await asyncio.sleep(_SETTLE_SECONDS)
        idle = rss_bytes(pid)

        def progress(started: int) -> None:
            print(f"  {subject.name}: {started}/{count} started, RSS {rss_bytes(pid) >> 20} MiB",
                  file=sys.stderr)

        rate = await start_rate(subject, count, _STARTERS, progress)
        await asyncio.sleep(_SETTLE_SECONDS)
        return Holding(idle, rss_bytes(pid), count, rate)
