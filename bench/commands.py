"""The project against bare Temporal, on one dev server: commands, starts, lifecycles, history
size and the memory of open workflows. Prints one JSON document; progress goes to stderr.

`python -m bench.commands [--quick] [--n N] [--rounds R]` (`make bench` runs it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.memory import hold
from bench.report import OPEN_TARGET, ratio, targets
from bench.stack import BARE_QUEUE, Stack, json_stdout, running_stack
from bench.subjects import BareSubject, ProjectSubject, Subject, lifecycle_commands
from bench.timing import (
    command_latencies,
    concurrent_command_latencies,
    lifecycle_rate,
    percentiles,
    start_latencies,
)

__all__ = ["Config", "main", "measure"]


@dataclass(frozen=True)
class Config:
    n: int = OPEN_TARGET
    rounds: int = 3
    at_once: int = 20
    sequential_commands: int = 40
    concurrent_batches: int = 3
    starts: int = 30


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def _round(subjects: list[Subject], config: Config) -> tuple[dict[str, Any], list[str]]:
    """Each measurement taken for every subject in turn, so drift hits them alike."""
    result: dict[str, dict[str, Any]] = {s.name: {} for s in subjects}
    ready = {s.name: await asyncio.gather(*(s.ready() for _ in range(config.at_once)))
             for s in subjects}
    for s in subjects:
        latencies = await command_latencies(s, ready[s.name], config.sequential_commands)
        result[s.name]["one_at_a_time"] = percentiles(latencies)
    for s in subjects:
        latencies = await concurrent_command_latencies(s, ready[s.name], config.concurrent_batches)
        result[s.name]["twenty_at_once"] = percentiles(latencies)
    for s in subjects:
        result[s.name]["start"] = percentiles(await start_latencies(s, config.starts))
    finished = []
    for s in subjects:
        rate, workflow_id = await lifecycle_rate(s, config.at_once)
        result[s.name]["lifecycles_per_minute"] = round(rate, 1)
        finished.append(workflow_id)
    return result, finished


def _median_of(rounds: list[dict[str, Any]], name: str, measure: str) -> Any:
    values = [r[name][measure] for r in rounds]
    if isinstance(values[0], dict):
        return {k: round(statistics.median(v[k] for v in values), 2) for k in values[0]}
    return round(statistics.median(values), 1)


def _compared(rounds: list[dict[str, Any]], measure: str) -> dict[str, Any]:
    project, bare = _median_of(rounds, "project", measure), _median_of(rounds, "bare", measure)
    if isinstance(project, dict):
        return {"project": project, "bare": bare,
                "ratio_p50": ratio(project["p50_ms"], bare["p50_ms"]),
                "ratio_p95": ratio(project["p95_ms"], bare["p95_ms"])}
    return {"project": project, "bare": bare, "ratio": ratio(project, bare)}


async def _history(client: Client, workflow_id: str, messages: int) -> dict[str, Any]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    activities = sum(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                     for e in history.events)
    # Temporal counts a history's size (its 50 MB limit) in serialized events, as here; the
    # JSON export is larger and given for comparison.
    return {"events": len(history.events), "bytes": sum(e.ByteSize() for e in history.events),
            "json_bytes": len(history.to_json().encode()),
            "activities_scheduled": activities, "messages_sent": messages,
            "activities_per_message": round(activities / messages, 2)}


async def _open_workflows(stack: Stack, config: Config) -> tuple[dict[str, Any], int]:
    _progress(f"open workflows: {config.n} interventions on one worker")
    project = await hold(ProjectSubject(stack.service("bench-hold-project")), kind="project",
                         address=stack.address, task_queue="bench-hold-project",
                         count=config.n, workdir=stack.workdir)
    _progress(f"open workflows: {config.n} bare workflows on one worker")
    bare = await hold(BareSubject(stack.client, "bench-hold-bare"), kind="bare",
                      address=stack.address, task_queue="bench-hold-bare",
                      count=config.n, workdir=stack.workdir)
    rss_at_target = project.extrapolated(OPEN_TARGET)
    return {
        "n": config.n,
        "project": project.as_json(),
        "bare": bare.as_json(),
        "ratio_rss": ratio(project.loaded, bare.loaded),
        "ratio_start_rate": ratio(project.rate, bare.rate),
        "project_rss_at_target_bytes": rss_at_target,
        "extrapolated_to_target": config.n != OPEN_TARGET,
    }, rss_at_target


async def measure(stack: Stack, config: Config) -> dict[str, Any]:
    subjects: list[Subject] = [ProjectSubject(stack.service()),
                               BareSubject(stack.client, BARE_QUEUE)]
    rounds: list[dict[str, Any]] = []
    finished: list[str] = []
    for number in range(config.rounds):
        _progress(f"round {number + 1}/{config.rounds}")
        result, ids = await _round(subjects, config)
        rounds.append(result)
        finished = finished or ids
    messages = 1 + lifecycle_commands()  # the start, then the commands
    report: dict[str, Any] = {
        "config": asdict(config) | {"project_command": "schedule_meeting",
                                    "bare_command": "one update"},
        "commands": {m: _compared(rounds, m) for m in ("one_at_a_time", "twenty_at_once")},
        "start": _compared(rounds, "start"),
        "lifecycles_per_minute": _compared(rounds, "lifecycles_per_minute"),
        "history": {"project": await _history(stack.client, finished[0], messages),
                    "bare": await _history(stack.client, finished[1], messages)},
    }
    report["open_workflows"], rss_at_target = await _open_workflows(stack, config)
    report["targets"] = targets(report, rss_at_target)
    return report


def _config(argv: list[str]) -> Config:
    parser = argparse.ArgumentParser(prog="python -m bench.commands", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="N=300 and one round")
    parser.add_argument("--n", type=int, help=f"open interventions to hold (default {OPEN_TARGET})")
    parser.add_argument("--rounds", type=int, help="rounds to take the median of (default 3)")
    args = parser.parse_args(argv)
    quick = Config(n=300, rounds=1) if args.quick else Config()
    return Config(n=args.n or quick.n, rounds=args.rounds or quick.rounds)


async def main(argv: list[str]) -> None:
    config = _config(argv)
    out = json_stdout()
    with tempfile.TemporaryDirectory(prefix="qi-bench-") as tmp:
        async with running_stack(Path(tmp)) as stack:
            report = await measure(stack, config)
    print(json.dumps(report, indent=2), file=out, flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
    os._exit(0)  # the SDK runtime can abort at interpreter shutdown (sdk-python issue 300)
