"""`readiness`: the read model at the newest schema and Temporal answering, or why not."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from core.database import make_engine
from core.health import Check, readiness
from tests.processes import free_port


async def test_ready_when_both_answer(engine: Engine, dev_env: WorkflowEnvironment) -> None:
    report = await readiness(engine, dev_env.client)

    assert report.ready is True
    assert report.checks == [Check(name="read_model", ok=True), Check(name="temporal", ok=True)]


async def test_not_ready_before_migrations(tmp_path: Path, dev_env: WorkflowEnvironment) -> None:
    unmigrated = make_engine(f"sqlite:///{tmp_path / 'read-model.sqlite3'}")
    try:
        report = await readiness(unmigrated, dev_env.client)
    finally:
        unmigrated.dispose()

    assert report.ready is False
    assert report.checks[0] == Check(
        name="read_model", ok=False, detail="schema not migrated (run qi migrate)"
    )


async def test_not_ready_without_the_database(dev_env: WorkflowEnvironment) -> None:
    url = f"postgresql+psycopg://qi:secret@127.0.0.1:{free_port()}/qi"
    away = make_engine(url)
    try:
        report = await readiness(away, dev_env.client)
    finally:
        away.dispose()

    assert report.ready is False
    assert report.checks[0] == Check(
        name="read_model", ok=False, detail="unreachable (OperationalError)"
    )
    assert "secret" not in report.model_dump_json()


async def test_not_ready_without_temporal(engine: Engine) -> None:
    client = await Client.connect(f"127.0.0.1:{free_port()}", lazy=True)

    report = await readiness(engine, client, check_seconds=2.0)

    assert report.ready is False
    [_, temporal] = report.checks
    assert (temporal.name, temporal.ok) == ("temporal", False)
    assert temporal.detail is not None
    assert temporal.detail.startswith("unreachable")
