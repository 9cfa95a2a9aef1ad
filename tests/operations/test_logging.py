"""JSON log lines: one object each, with the intervention they concern and nothing identifying."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio.testing import ActivityEnvironment

from activities.notifications import NotificationActivities
from core.logging import JsonFormatter, configure_logging, intervention_context, log_handler
from core.notifier import ConsoleNotifier
from core.settings import LogFormat, Settings
from models.effects import Message, SendNotificationInput

INTERVENTION_ID = "intervention-4f8e2d1c-7b3a-4e59-9c61-0d2f5a8b7e34"
LEAD_EMAIL = "dme@northshire.example.nhs.uk"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Everything logged at INFO and above during the test, as the JSON handler writes it."""
    stream = io.StringIO()
    handler = log_handler(Settings(_env_file=None, log_format=LogFormat.JSON), stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_an_activitys_log_lines_carry_its_intervention(
    engine: Engine, json_lines: io.StringIO
) -> None:
    env = ActivityEnvironment()
    # The workflow ID is the intervention ID; an activity knows it from its info.
    env.info = dataclasses.replace(env.info, workflow_id=INTERVENTION_ID)
    activities = NotificationActivities(engine, ConsoleNotifier())
    message = Message(to=[LEAD_EMAIL], subject="Quality intervention started", body="Dear Dr Hale")
    notice = SendNotificationInput(
        idempotency_key=f"{INTERVENTION_ID}:1:notify:provider-lead",
        intervention_id=INTERVENTION_ID,
        message=message,
    )

    assert await env.run(activities.send_notification, notice) is True

    lines = _parsed(json_lines)
    assert {line["logger"] for line in lines} >= {"core.notifier", "temporalio.activity"}
    assert {line["intervention_id"] for line in lines} == {INTERVENTION_ID}
    assert all(line["level"] == "INFO" for line in lines)
    assert LEAD_EMAIL not in json_lines.getvalue()
    assert "Dr Hale" not in json_lines.getvalue()


def test_the_api_can_name_the_intervention_of_its_request(json_lines: io.StringIO) -> None:
    log = logging.getLogger("api.requests")

    with intervention_context(INTERVENTION_ID):
        log.warning("command refused")
    log.warning("no intervention here")

    inside, outside = _parsed(json_lines)
    assert inside["intervention_id"] == INTERVENTION_ID
    assert "intervention_id" not in outside


def test_extras_and_arguments_stay_out_of_the_line(json_lines: io.StringIO) -> None:
    logging.getLogger("qi.test").info("panel convened", extra={"member_email": LEAD_EMAIL})

    [line] = _parsed(json_lines)
    assert set(line) == {"time", "level", "logger", "message"}
    assert line["message"] == "panel convened"


def test_an_exception_is_kept_in_its_line() -> None:
    error = ZeroDivisionError("division by zero")
    record = logging.makeLogRecord({
        "name": "qi.test", "levelname": "ERROR", "msg": "division failed",
        "exc_info": (ZeroDivisionError, error, None),
    })

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "division failed"
    assert "ZeroDivisionError: division by zero" in line["exception"]


@pytest.mark.usefixtures("restore_root_logger")
def test_configure_logging_uses_the_format_and_level_the_settings_name() -> None:
    configure_logging(Settings(_env_file=None, log_format=LogFormat.JSON, log_level="error"))

    root = logging.getLogger()
    [handler] = root.handlers
    assert isinstance(handler.formatter, JsonFormatter)
    assert root.level == logging.ERROR


@pytest.mark.usefixtures("restore_root_logger")
def test_an_explicit_level_wins_and_text_is_the_default_format() -> None:
    configure_logging(Settings(_env_file=None, log_level="ERROR"), level="INFO")

    root = logging.getLogger()
    [handler] = root.handlers
    assert not isinstance(handler.formatter, JsonFormatter)
    assert root.level == logging.INFO


def test_text_lines_name_the_intervention_too() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("qi.text")
    logger.addHandler(log_handler(Settings(_env_file=None), stream))
    logger.propagate = False
    try:
        with intervention_context(INTERVENTION_ID):
            logger.warning("deadline missed")
    finally:
        logger.handlers.clear()
        logger.propagate = True

    assert f"qi.text [{INTERVENTION_ID}] deadline missed" in stream.getvalue()
