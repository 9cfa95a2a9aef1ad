"""Log set-up for every entry point: plain text by default, one JSON object a line on request.

Each record carries the intervention it concerns when that is known: inside an activity or a
workflow (their ID is the intervention's), or inside `intervention_context` (the API and CLI).
A JSON line holds a fixed set of fields and never a record's arguments or extras, so inputs
that name learners or panel members cannot reach it through a careless `extra=`.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any

from temporalio import activity

from core.settings import LogFormat, Settings

__all__ = [
    "InterventionFilter",
    "JsonFormatter",
    "configure_logging",
    "intervention_context",
    "log_handler",
]

_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(intervention_tag)s %(message)s"
_intervention: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "qi_intervention_id", default=None
)


@contextmanager
def intervention_context(intervention_id: str) -> Iterator[None]:
    """Records logged inside the block carry `intervention_id`."""
    token = _intervention.set(intervention_id)
    try:
        yield
    finally:
        _intervention.reset(token)


def _current_intervention(record: logging.LogRecord) -> str | None:
    if (known := _intervention.get()) is not None:
        return known
    if activity.in_activity():
        return activity.info().workflow_id
    # workflow.logger puts the workflow's info on the record; workflow code has no contextvars.
    details = getattr(record, "temporal_workflow", None)
    if isinstance(details, dict):
        workflow_id = details.get("workflow_id")
        return workflow_id if isinstance(workflow_id, str) else None
    return None


class InterventionFilter(logging.Filter):
    """Adds `intervention_id` (or None) to every record; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        intervention_id = _current_intervention(record)
        record.intervention_id = intervention_id
        record.intervention_tag = f" [{intervention_id}]" if intervention_id else ""
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        intervention_id = getattr(record, "intervention_id", None)
        if intervention_id:
            line["intervention_id"] = intervention_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_handler(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing to `stream` (stderr) in the format the settings ask for."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(InterventionFilter())
    if settings.log_format is LogFormat.JSON:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(_TEXT_FORMAT))
    return handler


def configure_logging(
    settings: Settings, *, level: str | None = None, default_level: str = "WARNING"
) -> None:
    """Route every log record to stderr: `level` if given, else QI_LOG_LEVEL, else the default."""
    logging.basicConfig(
        level=level or settings.log_level or default_level,
        handlers=[log_handler(settings)],
        force=True,
    )
