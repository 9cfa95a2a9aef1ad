"""Timing the subjects: latencies one at a time and many at once, and rates."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from bench.subjects import Subject

__all__ = [
    "command_latencies",
    "concurrent_command_latencies",
    "lifecycle_rate",
    "percentiles",
    "start_latencies",
    "start_rate",
]

T = TypeVar("T")


async def _timed(awaitable: Awaitable[T]) -> float:
    started = time.perf_counter()
    await awaitable
    return time.perf_counter() - started


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds."""
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {"p50_ms": round(1000 * statistics.median(seconds), 2),
            "p95_ms": round(1000 * cuts[94], 2)}


async def command_latencies(subject: Subject, ids: Sequence[str], samples: int) -> list[float]:
    """One command at a time, going round the instances."""
    return [await _timed(subject.command(ids[i % len(ids)])) for i in range(samples)]


async def concurrent_command_latencies(
    subject: Subject, ids: Sequence[str], batches: int
) -> list[float]:
    """One command to every instance at once, `batches` times; each command's own latency."""
    latencies: list[float] = []
    for _ in range(batches):
        latencies += await asyncio.gather(*(_timed(subject.command(i)) for i in ids))
    return latencies


async def start_latencies(subject: Subject, samples: int) -> list[float]:
    return [await _timed(subject.start()) for _ in range(samples)]


async def lifecycle_rate(subject: Subject, at_once: int) -> tuple[float, str]:
    """Whole lifecycles per minute with `at_once` running together, and one finished ID."""
    started = time.perf_counter()
    ids = await asyncio.gather(*(subject.lifecycle() for _ in range(at_once)))
    return at_once * 60 / (time.perf_counter() - started), ids[0]


async def start_rate(
    subject: Subject, count: int, concurrency: int, every: Callable[[int], None] | None = None
) -> float:
    """Instances started per second, `concurrency` starts in flight at a time; `every` is told
    how many have started after each tenth."""
    remaining = iter(range(count))
    tenth = max(1, count // 10)

    async def starter() -> None:
        for number in remaining:
            await subject.start()
            if every is not None and (number + 1) % tenth == 0:
                every(number + 1)

    started = time.perf_counter()
    await asyncio.gather(*(starter() for _ in range(concurrency)))
    return count / (time.perf_counter() - started)
