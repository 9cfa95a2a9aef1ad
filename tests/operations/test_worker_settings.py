"""The worker takes its concurrency, cache and shutdown grace from the settings."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.testing import WorkflowEnvironment

from core.database import make_engine
from core.settings import Settings
from worker import worker_from_settings


async def test_the_worker_is_tuned_by_the_settings(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = Settings(
        _env_file=None,
        max_concurrent_activities=3,
        max_concurrent_workflow_tasks=7,
        max_cached_workflows=11,
        graceful_shutdown_seconds=4.5,
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'read-model.sqlite3'}")

    with ThreadPoolExecutor(max_workers=3) as executor:
        config = worker_from_settings(settings, dev_env.client, engine, executor).config()
    engine.dispose()

    assert config["max_concurrent_activities"] == 3
    assert config["max_concurrent_workflow_tasks"] == 7
    assert config["max_cached_workflows"] == 11
    assert config["graceful_shutdown_timeout"] == timedelta(seconds=4.5)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_concurrent_activities", 0),
        ("graceful_shutdown_seconds", -1),
        ("worker_metrics_address", "9464"),
        ("log_level", "loud"),
    ],
)
def test_settings_refuse_values_that_cannot_work(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings(_env_file=None, **{field: value})
