"""`qi worker` on SIGTERM: polling stops, the activity under way finishes, the process exits 0.

The worker is a real subprocess against the test's dev server. Its notification goes to an SMTP
server in the test that holds its reply to the message until the worker has begun shutting
down, so an activity is certainly in flight when the signal lands. Every wait is on something
observable (a received message, a log line, the process's exit), each with a bound.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select
from sqlmodel import col
from temporalio.testing import WorkflowEnvironment

from core.database import make_engine, migrate
from core.interventions import Interventions, intervention_id_for
from models.catalogue import load_catalogue
from models.tables import Notification, NotificationStatus
from tests import scenario
from tests.environments import key_file
from tests.fakes import RecordingNotifier
from tests.history import completed_activities
from tests.processes import ProcessOutput, free_port
from worker import build_worker

REPO = Path(__file__).resolve().parents[2]
STEP_TIMEOUT = 30.0
# The SDK logs this once it has stopped polling; activities then have their grace period.
SHUTDOWN_BEGUN = "Beginning worker shutdown"


class HeldReplies:
    """SMTP handler that takes each message, then holds its reply until released."""

    def __init__(self) -> None:
        self.received = threading.Event()
        self.release = threading.Event()
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        self.received.set()
        released = await asyncio.to_thread(self.release.wait, STEP_TIMEOUT)
        return "250 Message accepted for delivery" if released else "451 Test gave up"


class Output(ProcessOutput):
    def wait_for_line(self, text: str) -> None:
        if not self.wait_for(text, STEP_TIMEOUT):
            pytest.fail(f"the worker did not log {text!r}; its output:\n{self.text}")

    def json_lines(self) -> list[dict[str, Any]]:
        self.finish(STEP_TIMEOUT)
        return [json.loads(line) for line in self.lines if line.strip()]


def _ledger(engine: Engine, intervention_id: str) -> list[str]:
    """The statuses of the intervention's rows in the notification ledger."""
    query = select(col(Notification.status)).where(
        col(Notification.intervention_id) == intervention_id
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


@pytest.fixture
def smtp() -> Iterator[tuple[HeldReplies, int]]:
    handler, port = HeldReplies(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    handler.release.set()
    controller.stop()


def _worker_env(settings: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QI_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(settings)
    return env


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(settings: dict[str, str]) -> Output:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "worker"], cwd=tmp_path, env=_worker_env(settings),
            text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        started.append(process)
        return Output(process)

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(STEP_TIMEOUT)
        if process.stdout is not None:
            process.stdout.close()


async def test_sigterm_lets_the_running_activity_finish_and_exits_0(
    dev_env: WorkflowEnvironment,
    smtp: tuple[HeldReplies, int],
    start_worker: Any,
    tmp_path: Path,
) -> None:
    inbox, smtp_port = smtp
    task_queue = f"shutdown-{uuid.uuid4()}"
    database_url = f"sqlite:///{tmp_path / 'read-model.sqlite3'}"
    migrate(database_url)  # `qi migrate`: the worker never migrates
    worker = start_worker({
        "QI_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "QI_KEYS_FILE": str(key_file()),
        "QI_TASK_QUEUE": task_queue,
        "QI_DATABASE_URL": database_url,
        "QI_NOTIFIER": "smtp",
        "QI_SMTP_HOST": "127.0.0.1",
        "QI_SMTP_PORT": str(smtp_port),
        "QI_SMTP_TIMEOUT_SECONDS": str(STEP_TIMEOUT),
        "QI_GRACEFUL_SHUTDOWN_SECONDS": str(STEP_TIMEOUT),
        "QI_LOG_FORMAT": "json",
        "QI_LOG_LEVEL": "INFO",
    })
    worker.wait_for_line("worker polling task queue")

    # The start's announcement is queued and sent at once; the SMTP server holds it.
    service = Interventions(dev_env.client, task_queue=task_queue, catalogue=load_catalogue())
    request_id = str(uuid.uuid4())
    start = asyncio.create_task(service.start(scenario.start_request(), request_id=request_id))
    engine = make_engine(database_url)
    notifier = RecordingNotifier()
    try:
        assert await asyncio.to_thread(inbox.received.wait, STEP_TIMEOUT), "no message arrived"
        worker.process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(worker.wait_for_line, SHUTDOWN_BEGUN)
        inbox.release.set()
        exit_code = await asyncio.to_thread(worker.process.wait, STEP_TIMEOUT)
        assert exit_code == 0
        # A worker started after it carries the intervention on without sending anything again.
        with ThreadPoolExecutor(max_workers=2) as executor:
            async with build_worker(dev_env.client, task_queue=task_queue, engine=engine,
                                    notifier=notifier, executor=executor):
                status = await asyncio.wait_for(start, STEP_TIMEOUT)
    finally:
        start.cancel()
    intervention_id = intervention_id_for(request_id)
    assert status.data.intervention_id == intervention_id
    assert notifier.sent == []
    assert len(inbox.messages) == 1
    assert _ledger(engine, intervention_id) == [NotificationStatus.SENT.value]
    engine.dispose()
    assert "project_changes" in await completed_activities(dev_env.client, intervention_id)
    sent_lines = [line for line in worker.json_lines() if " sent" in line["message"]]
    assert [line["intervention_id"] for line in sent_lines] == [intervention_id]
