"""One worker process that holds open workflows in its cache, so its RSS can be read.

`python -m bench.holder project|bare ADDRESS TASK_QUEUE CACHE DATABASE_FILE KEYS_FILE` prints
`ready` once it polls and runs until its stdin closes. The project side is `build_worker` as
production builds it, with a SQLite read model and the console notifier; both seal payloads with
the benchmark's keys, as production does (the project takes only what the service sealed).
"""

from __future__ import annotations

import asyncio
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from bench.bare import BareWorkflow
from core.codec import sealing_converter
from core.database import make_engine, migrate
from core.keys import create_key_file, read_keys
from core.notifier import ConsoleNotifier
from worker import InterventionWorker, build_worker

__all__ = ["ACTIVITY_SLOTS", "keys_in", "main"]

ACTIVITY_SLOTS = 8
# Workflow tasks at once; the SDK wants the cache at least this big.
_WORKFLOW_SLOTS = 100


def keys_in(workdir: Path) -> Path:
    """The benchmark's key file in `workdir`, made on first use."""
    path = workdir / "keys.json"
    create_key_file(path)
    return path


def _worker(kind: str, client: Client, task_queue: str, cache: int, database: Path,
            executor: ThreadPoolExecutor) -> Worker | InterventionWorker:
    slots = min(_WORKFLOW_SLOTS, cache)
    if kind == "bare":
        return Worker(client, task_queue=task_queue, workflows=[BareWorkflow],
                      max_cached_workflows=cache, max_concurrent_workflow_tasks=slots)
    engine = make_engine(f"sqlite:///{database}")
    migrate(engine)
    return build_worker(client, task_queue=task_queue, engine=engine, notifier=ConsoleNotifier(),
                        executor=executor, max_cached_workflows=cache,
                        max_concurrent_activities=ACTIVITY_SLOTS,
                        max_concurrent_workflow_tasks=slots)


async def _hold(kind: str, address: str, task_queue: str, cache: int, database: Path,
                keys: Path) -> None:
    client = await Client.connect(address, data_converter=sealing_converter(read_keys(keys)))
    with ThreadPoolExecutor(ACTIVITY_SLOTS) as executor:
        async with _worker(kind, client, task_queue, cache, database, executor):
            print("ready", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def main(argv: list[str]) -> None:
    kind, address, task_queue, cache, database, keys = argv
    asyncio.run(_hold(kind, address, task_queue, int(cache), Path(database), Path(keys)))


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(0)  # the SDK runtime can abort at interpreter shutdown (sdk-python issue 300)
